// Write load of the cdc benchmark, run in a child process (child_process.fork) so that building
// and sending statements never competes with the ingest for the benchmark's event loop, and the
// ingest never delays the writer's clock readings. The parent sends jobs, one at a time:
//   insert  multi-row INSERTs into depannage_repairrequest (the Postgres write baseline)
//   burst   transactions of multi-row INSERTs plus UPDATEs of existing requests, back to back
//   steady  small transactions at a fixed rate; for each: commit time and an LSN inside it
// Times are epoch milliseconds (performance.timeOrigin + now()), comparable across processes.
import pg from 'pg';
import { epochMs } from './report.js';

export interface WriterPopulation {
  clients: number;
  technicians: number;
  /** Requests with ids 1..maxRequestId exist (the generated ones): UPDATEs pick among them. */
  maxRequestId: number;
}

export type WriterJob =
  | { kind: 'insert'; rows: number; rowsPerStatement: number; rowsPerTransaction: number }
  | { kind: 'burst'; changes: number; rowsPerStatement: number; changesPerTransaction: number }
  | { kind: 'steady'; changesPerSecond: number; changesPerTransaction: number; seconds: number };

export interface WriterInit {
  databaseUrl: string;
  population: WriterPopulation;
}

export interface WriteResult {
  inserted: number;
  updated: number;
  transactions: number;
  startedAt: number;
  firstCommitAt: number;
  lastCommitAt: number;
  /** steady only: one entry per transaction. */
  commits: Array<{ lsn: string; committedAt: number; commitMs: number; transactionMs: number }>;
}

export type ParentMessage = { type: 'init'; init: WriterInit } | { type: 'job'; job: WriterJob } | { type: 'exit' };
export type ChildMessage = { type: 'ready' } | { type: 'done'; result: WriteResult } | { type: 'failed'; error: string };

const SPECIALTIES = ['electrician', 'plumber', 'mechanic', 'it', 'air_conditioning', 'appliance_repair', 'locksmith', 'other'];
const CITIES = ['Bamako', 'Bamako', 'Bamako', 'Sikasso', 'Ségou', 'Kayes', 'Kati', 'Mopti', ''];
const UPDATE = `UPDATE depannage_repairrequest
   SET status = 'completed', technician_id = COALESCE(technician_id, $2), assigned_at = COALESCE(assigned_at, now()),
       completed_at = now(), final_price = COALESCE(final_price, estimated_price, 15000), updated_at = now()`;
const COLUMNS = ['title', 'specialty_needed', 'priority', 'urgency_level', 'status', 'address', 'city', 'latitude', 'longitude', 'estimated_price', 'is_urgent', 'client_id'];

class Writer {
  private sequence = 0;

  constructor(
    private readonly client: pg.Client,
    private readonly population: WriterPopulation,
  ) {}

  /** Values of `rows` new requests, in COLUMNS order. */
  private newRows(rows: number): unknown[][] {
    return Array.from({ length: rows }, () => {
      const n = ++this.sequence;
      const specialty = SPECIALTIES[n % SPECIALTIES.length]!;
      const city = CITIES[n % CITIES.length]!;
      return [
        `Demande ${specialty} n°${n}`, specialty, n % 7 === 0 ? 'high' : 'medium', n % 11 === 0 ? 'urgent' : 'normal', 'pending',
        `Rue ${1 + (n % 450)}, Porte ${1 + (n % 120)}, ${city || 'Quartier non précisé'}`, city,
        12.6392 + ((n % 1000) - 500) / 10_000, -8.0029 + ((n % 997) - 498) / 10_000, 5000 + (n % 60) * 500, n % 11 === 0,
        1 + ((n * 7919) % this.population.clients),
      ];
    });
  }

  /** Ids of `rows` existing requests picked at random (the generated set), without repeats. */
  private existingIds(rows: number): number[] {
    const ids = new Set<number>();
    while (ids.size < rows) ids.add(1 + Math.floor(Math.random() * this.population.maxRequestId));
    return [...ids];
  }

  private randomTechnician(): number {
    return 1 + Math.floor(Math.random() * this.population.technicians);
  }

  /** A multi-row INSERT of `rows` new requests, as a named (prepared once) statement with bound values. */
  private async insertRows(rows: number): Promise<void> {
    const values = this.newRows(rows);
    const tuples = values.map((_, i) => `(${COLUMNS.map((__, c) => `$${i * COLUMNS.length + c + 1}`).join(', ')})`);
    await this.client.query({
      name: `bench_insert_${rows}`,
      text: `INSERT INTO depannage_repairrequest (${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`,
      values: values.flat(),
    });
  }

  /** Assigns-and-completes `rows` existing requests. */
  private async updateRows(rows: number): Promise<void> {
    const ids = this.existingIds(rows);
    const result = await this.client.query({ name: 'bench_update', text: `${UPDATE} WHERE id = ANY ($1::bigint[])`, values: [ids, this.randomTechnician()] });
    if (result.rowCount !== ids.length) throw new Error(`update touched ${result.rowCount} rows, expected ${ids.length}`);
  }

  /**
   * One small transaction in two round trips: BEGIN, the INSERT, the UPDATE and the LSN read go as
   * one simple-protocol string (values inlined as literals), then COMMIT. Returns the LSN.
   */
  private async smallTransaction(inserts: number, updates: number): Promise<string> {
    const literal = (value: unknown): string =>
      typeof value === 'string' ? this.client.escapeLiteral(value) : typeof value === 'boolean' ? String(value) : String(Number(value));
    const statements = ['BEGIN'];
    if (inserts > 0) {
      const tuples = this.newRows(inserts).map((row) => `(${row.map(literal).join(', ')})`);
      statements.push(`INSERT INTO depannage_repairrequest (${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`);
    }
    if (updates > 0) {
      const ids = this.existingIds(updates);
      statements.push(`${UPDATE.replace('$2', String(this.randomTechnician()))} WHERE id IN (${ids.join(', ')})`);
    }
    statements.push('SELECT pg_current_wal_insert_lsn()::text AS lsn');
    const results = (await this.client.query(statements.join('; '))) as unknown as pg.QueryResult<{ lsn: string }>[];
    return results[results.length - 1]!.rows[0]!.lsn;
  }

  async insert(job: Extract<WriterJob, { kind: 'insert' }>): Promise<WriteResult> {
    const result = emptyResult();
    let left = job.rows;
    while (left > 0) {
      const inTransaction = Math.min(left, job.rowsPerTransaction);
      await this.client.query('BEGIN');
      for (let done = 0; done < inTransaction; done += job.rowsPerStatement) await this.insertRows(Math.min(job.rowsPerStatement, inTransaction - done));
      await this.client.query('COMMIT');
      this.committed(result);
      result.inserted += inTransaction;
      left -= inTransaction;
    }
    return result;
  }

  /** Half inserts, half updates, in transactions of `changesPerTransaction` changes. */
  async burst(job: Extract<WriterJob, { kind: 'burst' }>): Promise<WriteResult> {
    const result = emptyResult();
    let left = job.changes;
    while (left > 0) {
      const inTransaction = Math.min(left, job.changesPerTransaction);
      const inserts = Math.ceil(inTransaction / 2);
      const updates = inTransaction - inserts;
      await this.client.query('BEGIN');
      for (let done = 0; done < inserts; done += job.rowsPerStatement) await this.insertRows(Math.min(job.rowsPerStatement, inserts - done));
      for (let done = 0; done < updates; done += job.rowsPerStatement) await this.updateRows(Math.min(job.rowsPerStatement, updates - done));
      await this.client.query('COMMIT');
      this.committed(result);
      result.inserted += inserts;
      result.updated += updates;
      left -= inTransaction;
    }
    return result;
  }

  /**
   * Transactions started every changesPerTransaction / changesPerSecond seconds (on schedule, not
   * after the previous one, so a slow commit does not lower the rate). The LSN read just before
   * COMMIT lies inside the transaction: the first applied batch whose end LSN reaches it holds it.
   */
  async steady(job: Extract<WriterJob, { kind: 'steady' }>): Promise<WriteResult> {
    const result = emptyResult();
    const intervalMs = (1000 * job.changesPerTransaction) / job.changesPerSecond;
    const count = Math.max(1, Math.round((job.seconds * 1000) / intervalMs));
    const inserts = Math.ceil(job.changesPerTransaction / 2);
    const updates = job.changesPerTransaction - inserts;
    const start = epochMs();
    for (let i = 0; i < count; i++) {
      const due = start + i * intervalMs;
      const wait = due - epochMs();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const begun = epochMs();
      const lsn = await this.smallTransaction(inserts, updates);
      const commitSent = epochMs();
      await this.client.query('COMMIT');
      const committedAt = epochMs();
      this.committed(result, committedAt);
      result.inserted += inserts;
      result.updated += updates;
      result.commits.push({ lsn, committedAt, commitMs: committedAt - commitSent, transactionMs: committedAt - begun });
    }
    return result;
  }

  private committed(result: WriteResult, at = epochMs()): void {
    result.transactions += 1;
    if (result.firstCommitAt === 0) result.firstCommitAt = at;
    result.lastCommitAt = at;
  }
}

function emptyResult(): WriteResult {
  return { inserted: 0, updated: 0, transactions: 0, startedAt: epochMs(), firstCommitAt: 0, lastCommitAt: 0, commits: [] };
}

async function serve(): Promise<void> {
  let writer: Writer | null = null;
  let client: pg.Client | null = null;
  const send = (message: ChildMessage): void => {
    process.send!(message);
  };
  process.on('message', (message: ParentMessage) => {
    void (async () => {
      try {
        if (message.type === 'init') {
          client = new pg.Client({ connectionString: message.init.databaseUrl, application_name: 'bench-cdc-writer' });
          await client.connect();
          writer = new Writer(client, message.init.population);
          send({ type: 'ready' });
        } else if (message.type === 'job') {
          if (!writer) throw new Error('job before init');
          const job = message.job;
          const result = job.kind === 'insert' ? await writer.insert(job) : job.kind === 'burst' ? await writer.burst(job) : await writer.steady(job);
          send({ type: 'done', result });
        } else {
          await client?.end();
          process.exit(0);
        }
      } catch (error) {
        send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
    })();
  });
  // The parent going away (crash, Ctrl-C) must not leave this process holding a connection.
  process.on('disconnect', () => process.exit(0));
}

if (process.send) void serve();
