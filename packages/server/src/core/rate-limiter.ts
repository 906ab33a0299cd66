/**
 * Fixed-window counters behind the token endpoint's rate limits and failure budgets
 * (DESIGN.md "Lessons": budget failed attempts per client and per address). Two backends:
 * process memory (one node, bounded) and Redis (shared by every node, the adapter `storage/redis/rate-limiter.ts`).
 */
import type { Clock } from './clock.js';

/** One counter to read, and optionally to count on, in one call. */
export interface CounterUpdate {
  /** The counter's name (the backend adds its own prefix). */
  key: string;
  /** Window length: the counter starts at its first counted event and resets this long after. */
  windowMs: number;
  /** How much to add: 1 to count an event, 0 to only read. */
  add: 0 | 1;
}

/** A counter as it is after the update. */
export interface CounterState {
  count: number;
  /** Milliseconds until the counter resets (0 when it is not running). */
  resetInMs: number;
}

/** A store of fixed-window counters. */
export interface RateLimiter {
  readonly kind: 'memory' | 'redis';
  /** Applies every update at once (atomically on Redis) and answers each counter after it, in order. */
  update(updates: readonly CounterUpdate[]): Promise<CounterState[]>;
  /** Forgets counters (for an administrator lifting a block, and tests). */
  reset(keys: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

interface Window {
  count: number;
  resetAt: number;
}

/**
 * Counters in this process's memory, for a single node. Memory is bounded: past `maxKeys` the
 * expired windows are dropped, then the oldest ones (an attacker spraying keys can at worst reset
 * old counters early, never grow the process).
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly kind = 'memory' as const;
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly clock: Clock,
    private readonly maxKeys = 100_000,
  ) {}

  /** How many counters are held now. */
  get size(): number {
    return this.windows.size;
  }

  async update(updates: readonly CounterUpdate[]): Promise<CounterState[]> {
    const now = this.clock.now();
    return updates.map(({ key, windowMs, add }) => {
      let window = this.windows.get(key);
      if (window && window.resetAt <= now) {
        this.windows.delete(key);
        window = undefined;
      }
      if (!window) {
        if (add === 0) return { count: 0, resetInMs: 0 };
        this.makeRoom(now);
        window = { count: 0, resetAt: now + windowMs };
        this.windows.set(key, window);
      }
      window.count += add;
      return { count: window.count, resetInMs: window.resetAt - now };
    });
  }

  async reset(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.windows.delete(key);
  }

  async close(): Promise<void> {
    this.windows.clear();
  }

  private makeRoom(now: number): void {
    if (this.windows.size < this.maxKeys) return;
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
    // Insertion order is window-start order: the oldest windows go first.
    const target = Math.floor(this.maxKeys * 0.9);
    for (const key of this.windows.keys()) {
      if (this.windows.size <= target) break;
      this.windows.delete(key);
    }
  }
}
