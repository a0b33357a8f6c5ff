// The real engine behind a thin wrapper, for tests that need to see or steer what reaches it (the
// statements sent, a slow insert, a refused query): everything else goes straight through.
import { EngineBusyError } from '../../libs/clickhouse/src/admission.js';
import type { ClickHouse, InsertRequest, QueryParams } from '../../libs/clickhouse/src/clickhouse.js';

/** Passes every call to `inner`; subclasses override what they watch. */
export class PassThroughClickHouse implements ClickHouse {
  readonly engine: ClickHouse['engine'];
  readonly database: string;

  constructor(protected readonly inner: ClickHouse) {
    this.engine = inner.engine;
    this.database = inner.database;
  }

  query<Row = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<Row[]> {
    return this.inner.query<Row>(sql, params);
  }

  command(sql: string, params?: QueryParams): Promise<void> {
    return this.inner.command(sql, params);
  }

  insert(request: InsertRequest): Promise<void> {
    return this.inner.insert(request);
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * Keeps the text of each statement sent; `refuse`, when set, makes the next matching query fail as
 * the admission queue refuses one (EngineBusyError), once.
 */
export class RecordingClickHouse extends PassThroughClickHouse {
  readonly statements: string[] = [];
  refuse: ((sql: string) => boolean) | null = null;

  override query<Row = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<Row[]> {
    this.statements.push(sql);
    if (this.refuse?.(sql)) {
      this.refuse = null;
      return Promise.reject(new EngineBusyError('deadline', 1, 'refused for the test'));
    }
    return super.query<Row>(sql, params);
  }

  override command(sql: string, params?: QueryParams): Promise<void> {
    this.statements.push(sql);
    return super.command(sql, params);
  }
}

/** Inserts into one table, or a query, can be held until the test releases them (a slow call). */
export class HeldInserts extends PassThroughClickHouse {
  private held: { table: string; reached: () => void; release: Promise<void> } | null = null;
  private heldQuery: { match: (sql: string) => boolean; reached: () => void; release: Promise<void> } | null = null;
  private readonly insertListeners: Array<(table: string) => void> = [];

  /** The next insert into `table` waits for `release()`; `reached` resolves when it starts waiting. */
  hold(table: string): { reached: Promise<void>; release: () => void } {
    let release!: () => void;
    let reached!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const arrived = new Promise<void>((resolve) => (reached = resolve));
    this.held = { table, reached, release: released };
    return { reached: arrived, release };
  }

  /** The next query whose text `match` accepts waits for `release()`; `reached` resolves when it starts waiting. */
  holdQuery(match: (sql: string) => boolean): { reached: Promise<void>; release: () => void } {
    let release!: () => void;
    let reached!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const arrived = new Promise<void>((resolve) => (reached = resolve));
    this.heldQuery = { match, reached, release: released };
    return { reached: arrived, release };
  }

  /** Resolves once an insert into `table` has been written. */
  inserted(table: string): Promise<void> {
    return new Promise((resolve) => {
      const listener = (written: string) => {
        if (written !== table) return;
        this.insertListeners.splice(this.insertListeners.indexOf(listener), 1);
        resolve();
      };
      this.insertListeners.push(listener);
    });
  }

  override async query<Row = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<Row[]> {
    const held = this.heldQuery;
    if (held && held.match(sql)) {
      this.heldQuery = null;
      held.reached();
      await held.release;
    }
    return super.query<Row>(sql, params);
  }

  override async insert(request: InsertRequest): Promise<void> {
    const held = this.held;
    if (held && held.table === request.table) {
      this.held = null;
      held.reached();
      await held.release;
    }
    await super.insert(request);
    for (const listener of [...this.insertListeners]) listener(request.table);
  }
}
