/**
 * The data directory: the embedded store, the generated server key and the local certificate.
 * Everything Tessera writes in it is the owner's alone (files 0600, whatever the umask and whether
 * or not they existed before; the directory 0700 when it is Tessera's own): it holds password
 * hashes, the audit trail and keys.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Mode of every file Tessera keeps in the data dir. */
export const PrivateFileMode = 0o600;

/** Names of what Tessera itself keeps in a data dir (the store and its journals, keys, pid, temporaries). */
const tesseraFile = /^(tessera\.db(-wal|-shm|-journal)?|tessera\.db\.before-restore-.+|secret\.key|localhost-(cert|key)\.pem|tessera\.pid|\..+\.tmp)$/;

/**
 * Creates the data dir (0700), or narrows an existing one to 0700 when it holds nothing but
 * Tessera's files. A directory that also holds others' (`--data-dir .`, a home directory) is not
 * Tessera's to narrow: its mode is left as it is and `warn` says so (Tessera's files in it are
 * 0600 all the same).
 */
export function ensureDataDir(dataDir: string, warn?: (message: string) => void): void {
  if (mkdirSync(dataDir, { recursive: true, mode: 0o700 }) !== undefined) {
    chmodSync(dataDir, 0o700);
    return;
  }
  const mode = statSync(dataDir).mode & 0o777;
  if ((mode & 0o077) === 0) return;
  const others = readdirSync(dataDir).filter((name) => !tesseraFile.test(name)).length;
  if (others === 0) {
    chmodSync(dataDir, 0o700);
    return;
  }
  warn?.(`the data dir ${dataDir} (mode ${mode.toString(8)}) holds ${others} file(s) that are not Tessera's, so its mode is left as it is; `
    + 'Tessera\'s own files in it are 0600. Give Tessera a directory of its own (--data-dir, TESSERA_DATA_DIR).');
}

/** Sets an existing file to 0600; a missing one is left missing. */
export function restrictToOwner(file: string): void {
  try {
    chmodSync(file, PrivateFileMode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Creates `file` empty with mode 0600 unless it exists, and makes an existing one 0600. */
export function ensurePrivateFile(file: string): void {
  closeSync(openSync(file, 'a', PrivateFileMode));
  chmodSync(file, PrivateFileMode);
}

/**
 * Writes `file` (0600 whatever the umask, also when it existed before with a wider mode). The
 * content goes to a new 0600 file beside it, renamed over `file`: never, not even for a moment,
 * is the new content in a file others may read.
 */
export function writePrivateFile(file: string, content: string): void {
  const temporary = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(temporary, content, { mode: PrivateFileMode, flag: 'wx' });
    chmodSync(temporary, PrivateFileMode);
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/**
 * The server key: `TESSERA_SECRET_KEY` when set, else the one generated into the data dir on
 * first start (mode 0600). Losing it invalidates every stored digest and encrypted key.
 */
export function loadServerSecret(dataDir: string, configured: string | undefined): string {
  if (configured) return configured;
  ensureDataDir(dataDir);
  const file = join(dataDir, 'secret.key');
  try {
    const secret = readFileSync(file, 'utf8').trim();
    restrictToOwner(file);
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = randomBytes(32).toString('base64url');
  try {
    writeFileSync(file, `${secret}\n`, { mode: PrivateFileMode, flag: 'wx' });
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw error;
  }
  chmodSync(file, PrivateFileMode);
  return secret;
}
