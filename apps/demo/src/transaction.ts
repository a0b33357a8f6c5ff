// One transaction on a pooled connection, rolled back if the work throws. If even the rollback
// fails the connection is unusable, and the pool is told to discard it; the work's error is the
// one reported. While checked out, a client has no pool listener for 'error' (a lost connection,
// e.g. Postgres shutting down): ours keeps that event from killing the process and marks the
// connection broken, the query in flight failing with the same error.
import type pg from 'pg';

export async function inTransaction<T>(pool: pg.Pool, work: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const lost = (error: Error): void => {
    broken = error;
  };
  client.on('error', lost);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    }
    throw error;
  } finally {
    client.off('error', lost);
    client.release(broken);
  }
}
