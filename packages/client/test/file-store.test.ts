/**
 * The file store: mode 0600, atomic replacement, and a lock that really excludes other
 * processes (child processes run the built package, as separate `tessera` processes would).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { FileTokenStore, withFileLock, writeFileAtomic, type ConnectionState } from 'tessera-client';

const run = promisify(execFile);
const dist = resolve(import.meta.dirname, '../dist/index.js');
const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-store-'));
  dirs.push(dir);
  return dir;
};
const state = (refreshToken: string): ConnectionState => ({
  refreshToken, refreshExpiresAt: '2030-01-01T00:00:00.000Z', geolocation: 'https://us2.api.concursolutions.com', updatedAt: new Date().toISOString(),
});

describe('FileTokenStore', () => {
  it('writes the state with mode 0600, in a directory it creates with mode 0700, and reads it back', async () => {
    const dir = join(tempDir(), 'nested');
    const store = new FileTokenStore(join(dir, 'prod.json'));
    expect(await store.load()).toBeUndefined();
    await store.save(state('r1'));
    expect(statSync(join(dir, 'prod.json')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(await store.load()).toMatchObject({ refreshToken: 'r1' });
    await store.save(state('r2'));
    expect(await store.load()).toMatchObject({ refreshToken: 'r2' });
    expect(readdirSync(dir)).toEqual(['prod.json']); // no temporary file left behind
    await store.clear();
    expect(await store.load()).toBeUndefined();
  });

  it('keeps mode 0600 even over a file that was world-readable', async () => {
    const path = join(tempDir(), 'conn.json');
    writeFileSync(path, JSON.stringify(state('old')), { mode: 0o644 });
    await new FileTokenStore(path).save(state('new'));
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('says ERR_STORE for a file that is not a connection state', async () => {
    const path = join(tempDir(), 'conn.json');
    writeFileSync(path, '{"refreshToken": ');
    await expect(new FileTokenStore(path).load()).rejects.toMatchObject({ code: 'ERR_STORE' });
    writeFileSync(path, '{"geolocation": "x"}');
    await expect(new FileTokenStore(path).load()).rejects.toMatchObject({ code: 'ERR_STORE' });
  });

  it('never lets a reader see a torn file while writers replace it', async () => {
    const path = join(tempDir(), 'conn.json');
    const store = new FileTokenStore(path);
    await store.save(state('r0'));
    const big = 'x'.repeat(200_000);
    const writes = Array.from({ length: 20 }, (_, i) => writeFileAtomic(path, JSON.stringify({ ...state(`r${i}`), padding: big })));
    const reads = Array.from({ length: 200 }, () => store.load());
    await Promise.all([...writes, ...reads]);
    for (const read of await Promise.all(reads)) expect(read?.refreshToken).toMatch(/^r\d+$/);
  });

  it('excludes other processes: concurrent read-modify-write loses no update', async () => {
    expect(existsSync(dist), 'run `npm run build` first').toBe(true);
    const dir = tempDir();
    const counter = join(dir, 'counter.json');
    writeFileSync(counter, '{"n":0}');
    const script = `
      const { withFileLock, writeFileAtomic } = await import(${JSON.stringify(dist)});
      const { readFile } = await import('node:fs/promises');
      for (let i = 0; i < 15; i++) {
        await withFileLock(${JSON.stringify(`${counter}.lock`)}, async () => {
          const { n } = JSON.parse(await readFile(${JSON.stringify(counter)}, 'utf8'));
          await new Promise((r) => setTimeout(r, 2));
          await writeFileAtomic(${JSON.stringify(counter)}, JSON.stringify({ n: n + 1 }));
        });
      }`;
    await Promise.all(Array.from({ length: 4 }, () => run(process.execPath, ['--input-type=module', '-e', script])));
    expect(JSON.parse(readFileSync(counter, 'utf8'))).toEqual({ n: 60 });
    expect(existsSync(`${counter}.lock`)).toBe(false);
  });

  it('breaks the lock of a process that died, and one older than staleMs', async () => {
    const dir = tempDir();
    const lock = join(dir, 'conn.json.lock');
    const { stdout } = await run(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    writeFileSync(lock, JSON.stringify({ pid: Number(stdout), host: (await import('node:os')).hostname(), nonce: 'dead' }));
    expect(await withFileLock(lock, async () => 'ran', { timeoutMs: 2000 })).toBe('ran');

    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: 'another-host', nonce: 'hung' }));
    await expect(withFileLock(lock, async () => 'ran', { timeoutMs: 300, staleMs: 60_000 })).rejects.toMatchObject({ code: 'ERR_LOCK_TIMEOUT' });
    utimesSync(lock, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
    expect(await withFileLock(lock, async () => 'ran', { timeoutMs: 2000, staleMs: 60_000 })).toBe('ran');
    expect(existsSync(lock)).toBe(false);
  });
});
