/** Time, injectable so tests (and a curious developer) can move it. Milliseconds since the epoch. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock shifted by a fixed offset (the `clockOffsetSeconds` setting). */
export const offsetClock = (offsetMs: number): Clock => (offsetMs === 0 ? systemClock : { now: () => Date.now() + offsetMs });

/** A clock that tests move by hand. */
export class ManualClock implements Clock {
  constructor(private current = Date.now()) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
  set(ms: number): void {
    this.current = ms;
  }
}

/**
 * The emulator's clock (docs/protocol.md Decision 19): the real clock plus an offset that
 * `advance` and `set` move, so time keeps flowing between moves. `reset()` goes back to the
 * clock it started from. Listeners hear every move (the server sweeps and checks key rotation
 * right after one, so a jump of months takes effect at once rather than on the next timer).
 */
export class MovableClock implements Clock {
  private offsetMs = 0;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly base: Clock = systemClock) {}

  now(): number {
    return this.base.now() + this.offsetMs;
  }

  /** Milliseconds this clock is ahead of the one it started from (negative: behind). */
  offset(): number {
    return this.offsetMs;
  }

  advance(ms: number): void {
    this.move(this.offsetMs + ms);
  }

  set(ms: number): void {
    this.move(ms - this.base.now());
  }

  reset(): void {
    this.move(0);
  }

  /** Calls `listener` after every move; answers a function that stops it. */
  onMove(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private move(offsetMs: number): void {
    if (!Number.isFinite(offsetMs)) throw new RangeError('the clock cannot move there');
    this.offsetMs = offsetMs;
    for (const listener of this.listeners) listener();
  }
}
