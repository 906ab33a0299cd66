/**
 * The data dir's files: `writePrivateFile` leaves a file 0600 even when it existed with a wider
 * mode, and never puts the new content in a file others may read, not even for a moment (it goes
 * to a new 0600 file renamed over the old one).
 */
import { chmodSync, mkdtempSync, openSync, readdirSync, readSync, closeSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writePrivateFile } from '../src/data-dir.js';

const cleanups: (() => unknown)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-private-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('writePrivateFile', () => {
  it('replaces an existing 0644 file by a 0600 one; the readable file never holds the new content', () => {
    const dir = folder();
    const file = join(dir, 'secret.key');
    writeFileSync(file, 'old public content\n');
    chmodSync(file, 0o644);
    // Whoever had the readable file open keeps seeing what it held: the new content is elsewhere.
    const reader = openSync(file, 'r');
    cleanups.push(() => closeSync(reader));

    writePrivateFile(file, 'the new secret\n');
    expect(modeOf(file).toString(8)).toBe('600');
    expect(statSync(file).size).toBe('the new secret\n'.length);
    const buffer = Buffer.alloc(64);
    const read = readSync(reader, buffer, 0, buffer.length, 0);
    expect(buffer.subarray(0, read).toString()).toBe('old public content\n');
    expect(readdirSync(dir)).toEqual(['secret.key']);
  });

  it('creates a missing file 0600 whatever the umask', () => {
    const file = join(folder(), 'new.pem');
    const umask = process.umask(0o000);
    try {
      writePrivateFile(file, 'pem');
    } finally {
      process.umask(umask);
    }
    expect(modeOf(file).toString(8)).toBe('600');
  });
});
