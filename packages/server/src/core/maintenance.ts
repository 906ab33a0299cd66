/**
 * Background work of a running node:
 *
 * - every `keyReloadSeconds`, reload the signing keys, so a key rotated on another node (or by
 *   `tessera admin keys rotate`) is published here well before it signs;
 * - every `sweepIntervalSeconds`, on whichever node takes the sweeper lock first (the others skip
 *   that turn): the scheduled key rotation, then a sweep.
 *
 * Timers are unref'd (they never keep a process alive); `stop()` waits for running work.
 */
import type { Core } from './context.js';
import { rotateIfDue } from './key-rotation.js';
import { sweep, type SweepReport } from './sweeper.js';

/** The store lock that keeps sweeping and scheduled rotation to one node at a time. */
export const SweeperLock = 'sweeper';

export interface Maintenance {
  /** Runs one sweeper turn now (when this node gets the lock); answers the report, or undefined when another node held it. */
  runSweeperTurn(): Promise<SweepReport | undefined>;
  stop(): Promise<void>;
}

export function startMaintenance(core: Core): Maintenance {
  const running = new Set<Promise<unknown>>();
  const timers: NodeJS.Timeout[] = [];
  let stopped = false;

  const track = <T>(work: Promise<T>): Promise<T> => {
    running.add(work);
    void work.finally(() => running.delete(work)).catch(() => undefined);
    return work;
  };

  const runSweeperTurn = () => track((async () => {
    const outcome = await core.store.locks.tryWithLock(SweeperLock, async () => {
      const rotation = await rotateIfDue(core);
      if (rotation) core.log.info({ kid: rotation.key.kid, activatesAt: rotation.key.activatesAt }, 'signing key rotated on schedule');
      return sweep(core);
    });
    if (!outcome.acquired) return undefined;
    const removed = Object.entries(outcome.value).filter(([, n]) => n > 0);
    if (removed.length > 0) core.log.info({ sweep: Object.fromEntries(removed) }, 'sweeper pass');
    return outcome.value;
  })());

  const every = (seconds: number, work: () => Promise<unknown>, what: string) => {
    if (seconds <= 0) return;
    let busy = false;
    const timer = setInterval(() => {
      if (busy || stopped) return;
      busy = true;
      track(work()).catch((err: unknown) => core.log.error({ err }, `${what} failed`)).finally(() => {
        busy = false;
      });
    }, seconds * 1000);
    timer.unref();
    timers.push(timer);
  };

  every(core.settings.keyReloadSeconds, () => core.keys.reload(), 'signing key reload');
  every(core.settings.sweepIntervalSeconds, runSweeperTurn, 'sweeper');

  return {
    runSweeperTurn,
    async stop() {
      stopped = true;
      for (const timer of timers) clearInterval(timer);
      await Promise.allSettled([...running]);
    },
  };
}
