// The state store on one SQLite file (better-sqlite3): the default when STATE_DATABASE_URL is unset.
// WAL (readers never wait for the writer), busy_timeout (another process holding the write lock is
// waited for), foreign keys on.
//
// better-sqlite3 is synchronous while our transactions are async (their work awaits between
// statements), which shapes two choices:
// - One connection runs one transaction at a time: operations of this store queue behind each other,
//   and a statement outside a transaction runs as a transaction of its own.
// - Every transaction starts with BEGIN IMMEDIATE (the write lock up front, so a read-then-write
//   never fails half-way), retried with timers rather than by busy_timeout: busy_timeout waits
//   synchronously, which would block the very event loop that must finish the transaction holding
//   the lock when two connections of one process (two stores on one file) meet.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { bindable, StateStoreError, type StateParameter, type StateQueries, type StateStore } from './store.js';

/** Longest wait for another connection's write lock, in the pragma and in BEGIN IMMEDIATE retries. */
const BUSY_TIMEOUT_MS = 10_000;

interface Prepared {
  statement: Database.Statement;
  /** For each `?` of the rewritten SQL, the 0-based index of the parameter it binds. */
  order: number[];
}

/**
 * Rewrites `$n` placeholders to `?` (better-sqlite3 binds `?NNN` by name, not by position), outside
 * string literals, quoted identifiers and comments.
 */
export function rewritePlaceholders(sql: string): { sql: string; order: number[] } {
  const order: number[] = [];
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const char = sql[i]!;
    if (char === "'" || char === '"') {
      const end = sql.indexOf(char, i + 1);
      const stop = end === -1 ? sql.length : end + 1;
      out += sql.slice(i, stop);
      i = stop;
    } else if (char === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop;
    } else if (char === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      const stop = end === -1 ? sql.length : end + 2;
      out += sql.slice(i, stop);
      i = stop;
    } else if (char === '$' && /[0-9]/.test(sql[i + 1] ?? '')) {
      let j = i + 1;
      while (j < sql.length && /[0-9]/.test(sql[j]!)) j++;
      order.push(Number(sql.slice(i + 1, j)) - 1);
      out += '?';
      i = j;
    } else {
      out += char;
      i++;
    }
  }
  return { sql: out, order };
}

function isBusy(error: unknown): boolean {
  return error instanceof Database.SqliteError && error.code.startsWith('SQLITE_BUSY');
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class SqliteStateStore implements StateStore {
  readonly dialect = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly prepared = new Map<string, Prepared>();
  /** Tail of the queue of this connection's transactions. */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(readonly path: string) {
    try {
      mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path);
    } catch (error) {
      throw new StateStoreError(`cannot open the SQLite state file ${path} (STATE_SQLITE_PATH): ${(error as Error).message}`, { cause: error });
    }
    try {
      // busy_timeout first: switching a new file to WAL needs a moment of exclusive access.
      this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      const mode = this.db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new StateStoreError(`SQLite state file ${path}: cannot switch to WAL (journal_mode is ${String(mode)})`);
      this.db.pragma('foreign_keys = ON');
      // With WAL, NORMAL loses no committed transaction on a process crash (only on power loss).
      this.db.pragma('synchronous = NORMAL');
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  query<T extends object>(sql: string, params: readonly StateParameter[] = []): Promise<T[]> {
    return this.transaction((tx) => tx.query<T>(sql, params));
  }

  execute(sql: string, params: readonly StateParameter[] = []): Promise<number> {
    return this.transaction((tx) => tx.execute(sql, params));
  }

  transaction<T>(work: (tx: StateQueries) => Promise<T>): Promise<T> {
    const run = this.queue.then(() => this.runTransaction(work));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    this.db.close();
  }

  private async runTransaction<T>(work: (tx: StateQueries) => Promise<T>): Promise<T> {
    if (this.closed) throw new StateStoreError(`SQLite state store ${this.path} is closed`);
    await this.beginImmediate();
    let open = true;
    const bind = (sql: string, params: readonly StateParameter[]): { prepared: Database.Statement; values: Array<string | number | null> } => {
      if (!open) throw new StateStoreError('statement on a finished transaction (use the tx of the running transaction)');
      const { statement, order } = this.prepare(sql);
      const values = bindable(params);
      const missing = order.find((index) => index >= values.length);
      if (missing !== undefined) throw new StateStoreError(`statement uses $${missing + 1} but was given ${values.length} parameter(s): ${sql}`);
      return { prepared: statement, values: order.map((index) => values[index]!) };
    };
    const tx: StateQueries = {
      dialect: this.dialect,
      query: async <R extends object>(sql: string, params: readonly StateParameter[] = []): Promise<R[]> => {
        const { prepared, values } = bind(sql, params);
        if (prepared.reader) return prepared.all(values) as R[];
        prepared.run(values);
        return [];
      },
      execute: async (sql: string, params: readonly StateParameter[] = []): Promise<number> => {
        const { prepared, values } = bind(sql, params);
        return prepared.reader ? prepared.all(values).length : prepared.run(values).changes;
      },
    };
    try {
      const result = await work(tx);
      open = false;
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      open = false;
      // A failed COMMIT or statement may already have ended the transaction.
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  private async beginImmediate(): Promise<void> {
    const deadline = Date.now() + BUSY_TIMEOUT_MS;
    this.db.pragma('busy_timeout = 0');
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          this.db.exec('BEGIN IMMEDIATE');
          return;
        } catch (error) {
          if (!isBusy(error)) throw error;
          if (Date.now() >= deadline) {
            throw new StateStoreError(`SQLite state file ${this.path}: the write lock stayed taken for ${BUSY_TIMEOUT_MS} ms`, { cause: error });
          }
          // 2, 4, 8… ms up to 100, with jitter so that waiting connections do not retry in step.
          await sleep(Math.min(2 ** (attempt + 1), 100) * (0.5 + Math.random()));
        }
      }
    } finally {
      this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  }

  private prepare(sql: string): Prepared {
    let prepared = this.prepared.get(sql);
    if (!prepared) {
      const rewritten = rewritePlaceholders(sql);
      prepared = { statement: this.db.prepare(rewritten.sql), order: rewritten.order };
      this.prepared.set(sql, prepared);
    }
    return prepared;
  }
}
