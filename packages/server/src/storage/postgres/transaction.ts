/** One PostgreSQL transaction on one session (a pool's client or a plain client). */

/** What a transaction needs of a connection: statements on one session. */
export interface TransactionSession {
  query(text: string): Promise<unknown>;
}

/** Runs `work` between BEGIN and COMMIT on `session`; rolls back and rethrows when it throws. */
export async function inTransaction<T>(session: TransactionSession, work: () => Promise<T>): Promise<T> {
  await session.query('BEGIN');
  try {
    const value = await work();
    await session.query('COMMIT');
    return value;
  } catch (error) {
    await session.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
