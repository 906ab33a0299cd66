/** A {@link TokenStore} in memory: for tests, and for processes that get their refresh token elsewhere. */
import type { ConnectionState, TokenStore } from './token-store.js';

export class MemoryTokenStore implements TokenStore {
  private state: ConnectionState | undefined;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(initial?: ConnectionState) {
    this.state = initial ? structuredClone(initial) : undefined;
  }

  async load(): Promise<ConnectionState | undefined> {
    return this.state ? structuredClone(this.state) : undefined;
  }

  async save(state: ConnectionState): Promise<void> {
    this.state = structuredClone(state);
  }

  async clear(): Promise<void> {
    this.state = undefined;
  }

  /** Serializes `work` with every other `withLock` on this store. */
  withLock<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work, work);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
