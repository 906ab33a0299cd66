/**
 * Process-local named locks: the `LockRepository` of the embedded SQLite store, which serves one
 * node (docs/architecture.md "Storage"). A lock is free when no work holds it or waits for it.
 */
import type { LockOutcome, LockRepository } from './types.js';

export class ProcessLocks implements LockRepository {
  /** Per name: settles when the last queued holder is done. */
  private readonly tails = new Map<string, Promise<void>>();

  async tryWithLock<T>(name: string, work: () => Promise<T>): Promise<LockOutcome<T>> {
    if (this.tails.has(name)) return { acquired: false };
    return { acquired: true, value: await this.withLock(name, work) };
  }

  async withLock<T>(name: string, work: () => Promise<T>): Promise<T> {
    const before = this.tails.get(name) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = before.then(() => mine);
    this.tails.set(name, tail);
    await before;
    try {
      return await work();
    } finally {
      release();
      if (this.tails.get(name) === tail) this.tails.delete(name);
    }
  }
}
