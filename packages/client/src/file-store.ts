/**
 * A {@link TokenStore} in a JSON file, safe for several processes at once (docs/protocol.md §13):
 * read → refresh → write runs under a lock file, every write replaces the file atomically
 * (temporary file, fsync, rename, fsync of the directory), and the file is mode 0600.
 */
import { readFile, rm } from 'node:fs/promises';
import { ConcurError } from './errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { withFileLock, type FileLockOptions } from './file-lock.js';
import { assertConnectionState, type ConnectionState, type TokenStore } from './token-store.js';

export interface FileTokenStoreOptions extends FileLockOptions {
  /** The lock file (default: the store's path plus `.lock`). */
  lockPath?: string;
}

export class FileTokenStore implements TokenStore {
  readonly lockPath: string;

  constructor(readonly path: string, private readonly options: FileTokenStoreOptions = {}) {
    this.lockPath = options.lockPath ?? `${path}.lock`;
  }

  async load(): Promise<ConnectionState | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new ConcurError('ERR_STORE', `cannot read ${this.path}: ${(error as Error).message}`, { cause: error });
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new ConcurError('ERR_STORE', `${this.path} is not valid JSON`, { cause: error });
    }
    return assertConnectionState(value, this.path);
  }

  async save(state: ConnectionState): Promise<void> {
    try {
      await writeFileAtomic(this.path, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    } catch (error) {
      throw new ConcurError('ERR_STORE', `cannot write ${this.path}: ${(error as Error).message}`, { cause: error });
    }
  }

  async clear(): Promise<void> {
    await rm(this.path, { force: true });
  }

  withLock<T>(work: () => Promise<T>): Promise<T> {
    return withFileLock(this.lockPath, work, this.options);
  }
}
