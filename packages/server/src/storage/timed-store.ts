/**
 * A store that reports how long each repository operation took (metrics: store latency per
 * operation kind). Each method is wrapped once, when the store is wrapped, with the observer of
 * its operation already chosen, so a call costs two clock reads and one observation.
 */
import type { Store } from './types.js';

/** Answers the observer of one operation (`connections.rotateRefreshToken`), given its duration in seconds. */
export type StoreTimer = (operation: string) => (seconds: number) => void;

/** The repositories whose operations are timed (locks are not: their time is the work they guard). */
const timedRepositories = ['companies', 'users', 'apps', 'requestTokens', 'connections', 'keys', 'audit', 'sessions', 'authorizations', 'otps', 'outbox'] as const;

/** Wraps every operation of `store`'s repositories so that `timer` hears its duration, success or failure. */
export function timeStore(store: Store, timer: StoreTimer): Store {
  const timed: Record<string, unknown> = {};
  for (const name of timedRepositories) {
    const repository = store[name] as unknown as Record<string, unknown>;
    const wrapped: Record<string, unknown> = {};
    for (const key of methodNames(repository)) {
      const method = repository[key] as (...args: unknown[]) => Promise<unknown>;
      const observe = timer(`${name}.${key}`);
      wrapped[key] = function timedOperation(...args: unknown[]): Promise<unknown> {
        const start = performance.now();
        const done = () => observe((performance.now() - start) / 1000);
        return method.apply(repository, args).then(
          (value) => { done(); return value; },
          (error: unknown) => { done(); throw error; },
        );
      };
    }
    timed[name] = wrapped;
  }
  return Object.freeze({
    ...timed,
    kind: store.kind,
    locks: store.locks,
    close: () => store.close(),
  }) as unknown as Store;
}

/** Own and prototype function names of a repository object (plain objects and class instances alike). */
export function methodNames(object: Record<string, unknown>): string[] {
  const names = new Set<string>();
  for (let o: object | null = object; o && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const key of Object.getOwnPropertyNames(o)) {
      if (key !== 'constructor' && typeof object[key] === 'function') names.add(key);
    }
  }
  return [...names];
}
