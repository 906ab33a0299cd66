/**
 * A process-wide bound on concurrent password hashing (docs/architecture.md "Lessons from outside verification": every expensive step
 * has a concurrency limit). scrypt runs on libuv's thread pool and takes tens of milliseconds of
 * CPU; unbounded, a burst of sign-ins slows every other request. At most `concurrency` run at
 * once, at most `queue` wait for a turn, none waits longer than `waitMs`; the rest are answered
 * 429 with `Retry-After` at once instead of queuing forever.
 */
import { ConcurCodes } from 'tessera-protocol';
import type { Settings } from '../config.js';
import { ConcurError } from './errors.js';

export type HashingGateSettings = Pick<Settings, 'passwordHashConcurrency' | 'passwordHashQueue' | 'passwordHashWaitMs'>;

interface Waiter {
  start(): void;
  timer: NodeJS.Timeout;
}

const busy = (why: string, waitMs: number) => new ConcurError(ConcurCodes.RateLimited, {
  headers: { 'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))) },
  detail: `password hashing is busy: ${why}`,
});

export class HashingGate {
  private running = 0;
  private readonly waiting: Waiter[] = [];
  /** The most hashes that ran at once since start (for tests and metrics). */
  highWater = 0;
  /** How many hashes have started since start (for tests and metrics). */
  started = 0;

  constructor(private readonly settings: HashingGateSettings) {}

  /** Hashes running now. */
  get active(): number {
    return this.running;
  }

  /** Hashes waiting for a turn now. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Runs `work` (one password hash) when a turn is free; throws a 429 `ConcurError` when the queue is full or the wait too long. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.settings.passwordHashConcurrency) await this.waitForTurn();
    else this.begin();
    try {
      return await work();
    } finally {
      this.running--;
      this.waiting.shift()?.start();
    }
  }

  private begin(): void {
    this.running++;
    this.started++;
    this.highWater = Math.max(this.highWater, this.running);
  }

  private waitForTurn(): Promise<void> {
    const { passwordHashQueue: max, passwordHashWaitMs: waitMs } = this.settings;
    if (this.waiting.length >= max) return Promise.reject(busy(`${max} already waiting`, waitMs));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        start: () => {
          clearTimeout(waiter.timer);
          this.begin();
          resolve();
        },
        timer: setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(waiter), 1);
          reject(busy(`no turn within ${waitMs} ms`, waitMs));
        }, waitMs),
      };
      this.waiting.push(waiter);
    });
  }
}
