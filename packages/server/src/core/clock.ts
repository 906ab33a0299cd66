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
