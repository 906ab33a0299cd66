/**
 * Fixed-window counters behind the token endpoint's rate limits and failure budgets
 * (docs/architecture.md "Lessons from outside verification": budget failed attempts per client and per address). Two backends:
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

/**
 * Thrown by a limiter that cannot hold one more counter it was asked about (the in-memory
 * limiter's failure counters are full): the protection answers 429 then, so an attempt it cannot
 * count is refused rather than let through uncounted.
 */
export class CountersFull extends Error {
  constructor(
    /** When the soonest counter ends (room again). */
    readonly retryInMs: number,
  ) {
    super('rate-limit counters are full');
  }
}

interface Window {
  count: number;
  resetAt: number;
}

/** Request counters (`req:…`): a stranger creates one with every request. */
const isRequestCounter = (key: string) => key.startsWith('req:');

/**
 * Counters in this process's memory, for a single node, in two bounded maps:
 *
 * - request counters (`req:…`): past `maxRequestKeys` the expired windows are dropped, then the
 *   oldest (a flood of new addresses can at worst reset old request counts early);
 * - everything else (failure budgets, locks, unlock generations): only failures create them, and
 *   they are never dropped before their window ends, so no flood of requests can wipe a lock.
 *   Past `maxGuardKeys` live ones, any update that needs a counter the map does not hold (to
 *   count, or to read one that may have been refused) throws `CountersFull`: the protection
 *   answers 429 until windows end (fail closed; memory stays bounded).
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly kind = 'memory' as const;
  private readonly requests = new Map<string, Window>();
  private readonly guards = new Map<string, Window>();
  /** When the soonest guard window ends, as of the last sweep. */
  private nextGuardExpiry = 0;

  constructor(
    private readonly clock: Clock,
    private readonly maxRequestKeys = 100_000,
    private readonly maxGuardKeys = maxRequestKeys,
  ) {}

  /** How many counters are held now. */
  get size(): number {
    return this.requests.size + this.guards.size;
  }

  async update(updates: readonly CounterUpdate[]): Promise<CounterState[]> {
    const now = this.clock.now();
    this.checkGuardRoom(updates, now);
    return updates.map(({ key, windowMs, add }) => {
      const windows = isRequestCounter(key) ? this.requests : this.guards;
      let window = windows.get(key);
      // A window ending further off than its length began ahead of now (the emulator's clock moved back): it has ended.
      if (window && (window.resetAt <= now || window.resetAt - now > windowMs)) {
        windows.delete(key);
        window = undefined;
      }
      if (!window) {
        if (add === 0) return { count: 0, resetInMs: 0 };
        if (windows === this.requests) this.makeRequestRoom(now);
        window = { count: 0, resetAt: now + windowMs };
        windows.set(key, window);
      }
      window.count += add;
      return { count: window.count, resetInMs: window.resetAt - now };
    });
  }

  async reset(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      this.requests.delete(key);
      this.guards.delete(key);
    }
  }

  async close(): Promise<void> {
    this.requests.clear();
    this.guards.clear();
  }

  /**
   * Throws `CountersFull` before anything is counted when the guard map is full and an update
   * names a guard counter it does not hold. While full, a read of an absent counter is refused
   * too: a count may have been refused earlier, so "0" could be a lie.
   */
  private checkGuardRoom(updates: readonly CounterUpdate[], now: number): void {
    const absent = ({ key }: CounterUpdate) => {
      if (isRequestCounter(key)) return false;
      const window = this.guards.get(key);
      return !(window && window.resetAt > now);
    };
    const needed = Math.max(updates.filter((u) => u.add === 1 && absent(u)).length, updates.some((u) => u.add === 0 && absent(u)) ? 1 : 0);
    if (needed === 0 || this.guards.size + needed <= this.maxGuardKeys) return;
    // Sweep the ended windows, at most once per ending (a flood at the bound must not sweep every time).
    if (now >= this.nextGuardExpiry) {
      let soonest = Infinity;
      for (const [key, window] of this.guards) {
        if (window.resetAt <= now) this.guards.delete(key);
        else soonest = Math.min(soonest, window.resetAt);
      }
      this.nextGuardExpiry = soonest;
      if (this.guards.size + needed <= this.maxGuardKeys) return;
    }
    throw new CountersFull(Math.max(1000, this.nextGuardExpiry - now));
  }

  private makeRequestRoom(now: number): void {
    if (this.requests.size < this.maxRequestKeys) return;
    for (const [key, window] of this.requests) if (window.resetAt <= now) this.requests.delete(key);
    // Insertion order is window-start order: the oldest windows go first.
    const target = Math.floor(this.maxRequestKeys * 0.9);
    for (const key of this.requests.keys()) {
      if (this.requests.size <= target) break;
      this.requests.delete(key);
    }
  }
}
