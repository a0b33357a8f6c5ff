// The state store on Postgres (STATE_DATABASE_URL): for several replicas, which cannot share one
// SQLite file. A pg.Pool; a transaction holds one client from BEGIN to COMMIT/ROLLBACK.
import { Logger } from '@nestjs/common';
import pg from 'pg';
import { bindable, StateStoreError, type StateParameter, type StateQueries, type StateStore } from './store.js';

/** host:port/database of a URL, for messages: never the password. */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}

function queriesOn(client: pg.Pool | pg.PoolClient, isOpen: () => boolean = () => true): StateQueries {
  const check = (): void => {
    if (!isOpen()) throw new StateStoreError('statement on a finished transaction (use the tx of the running transaction)');
  };
  return {
    dialect: 'postgres',
    async query<T extends object>(sql: string, params: readonly StateParameter[] = []): Promise<T[]> {
      check();
      const result = await client.query<T>(sql, bindable(params));
      return result.rows;
    },
    async execute(sql: string, params: readonly StateParameter[] = []): Promise<number> {
      check();
      const result = await client.query(sql, bindable(params));
      return result.rowCount ?? 0;
    },
  };
}

export class PostgresStateStore implements StateStore {
  readonly dialect = 'postgres' as const;
  private readonly logger = new Logger('statistics.state');
  private readonly pool: pg.Pool;
  private readonly direct: StateQueries;

  private constructor(readonly url: string) {
    // statement_timeout: a statement stuck behind a lock fails after 30 s instead of holding its
    // caller (the alert evaluator) forever.
    this.pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 10_000, statement_timeout: 30_000 });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    this.pool.on('error', (error) =>
      this.logger.error({ message: 'state database pool error', database: describeDatabaseUrl(url), error: error.message }),
    );
    this.direct = queriesOn(this.pool);
  }

  /** Connects once up front, so a wrong STATE_DATABASE_URL stops the start with a clear message. */
  static async connect(url: string): Promise<PostgresStateStore> {
    const store = new PostgresStateStore(url);
    try {
      await store.pool.query('SELECT 1');
    } catch (error) {
      await store.pool.end();
      throw new StateStoreError(
        `cannot connect to the state database of STATE_DATABASE_URL (${describeDatabaseUrl(url)}): ${(error as Error).message}`,
        { cause: error },
      );
    }
    return store;
  }

  query<T extends object>(sql: string, params: readonly StateParameter[] = []): Promise<T[]> {
    return this.direct.query<T>(sql, params);
  }

  execute(sql: string, params: readonly StateParameter[] = []): Promise<number> {
    return this.direct.execute(sql, params);
  }

  async transaction<T>(work: (tx: StateQueries) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // A client whose ROLLBACK failed is in an unknown state: destroyed rather than reused.
    let broken: Error | undefined;
    let open = true;
    // Checked out, the client has no pool listener: a lost connection's 'error' event would kill
    // the process. The query in flight fails with the same error; the client is then discarded.
    const lost = (error: Error): void => {
      broken ??= error;
    };
    client.on('error', lost);
    try {
      await client.query('BEGIN');
      try {
        const result = await work(queriesOn(client, () => open));
        open = false;
        await client.query('COMMIT');
        return result;
      } catch (error) {
        open = false;
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          broken = rollbackError as Error;
          throw new StateStoreError(`${(error as Error).message} (and ROLLBACK failed: ${broken.message})`, { cause: error });
        }
        throw error;
      }
    } finally {
      client.off('error', lost);
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
