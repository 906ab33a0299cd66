/**
 * Named locks across every node of one PostgreSQL store: session advisory locks keyed by the
 * schema and the name. A lock lives on one pooled connection for the duration of the work; if the
 * node dies, PostgreSQL ends the session and frees the lock (if the connection breaks while the
 * work runs, the lock is lost with it: work done under these locks must stay safe to run twice,
 * as the sweeper's conditional deletes are). Callers in one process queue in
 * front of it (`ProcessLocks`), so waiting for a lock never ties up more than one pooled
 * connection per name.
 */
import type pg from 'pg';
import { ProcessLocks } from '../process-locks.js';
import type { LockOutcome, LockRepository } from '../types.js';

export class AdvisoryLocks implements LockRepository {
  private readonly local = new ProcessLocks();

  constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
  ) {}

  async tryWithLock<T>(name: string, work: () => Promise<T>): Promise<LockOutcome<T>> {
    const outcome = await this.local.tryWithLock(name, () => this.holding(name, 'pg_try_advisory_lock', work));
    return outcome.acquired ? outcome.value : outcome;
  }

  async withLock<T>(name: string, work: () => Promise<T>): Promise<T> {
    const outcome = await this.local.withLock(name, () => this.holding(name, 'pg_advisory_lock', work));
    if (!outcome.acquired) throw new Error(`lock ${name} was not acquired`);
    return outcome.value;
  }

  private async holding<T>(name: string, lock: 'pg_try_advisory_lock' | 'pg_advisory_lock', work: () => Promise<T>): Promise<LockOutcome<T>> {
    const key = `tessera.lock.${this.schema}.${name}`;
    const client = await this.pool.connect();
    let broken = false;
    // A checked-out connection that breaks (the database restarted) emits 'error'; unheard, it would end the process.
    const onError = () => {
      broken = true;
    };
    client.on('error', onError);
    try {
      const sql = lock === 'pg_advisory_lock' ? 'SELECT pg_advisory_lock(hashtext($1)), true AS ok' : 'SELECT pg_try_advisory_lock(hashtext($1)) AS ok';
      const { rows } = await client.query<{ ok: boolean }>(sql, [key]).catch((error: unknown) => {
        broken = true;
        throw error;
      });
      if (rows[0]?.ok !== true) return { acquired: false };
      try {
        return { acquired: true, value: await work() };
      } finally {
        // If the unlock fails the connection is dropped, which frees the lock just as well.
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [key]).catch(() => {
          broken = true;
        });
      }
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }
}
