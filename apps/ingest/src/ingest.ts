// CDC ingest: operational Postgres → ClickHouse. First start: publication + slot + consistent
// snapshot (COPY under the slot's exported snapshot); then pgoutput streaming, applied in batches
// at transaction boundaries. The LSN is acknowledged to Postgres only after ClickHouse holds the
// batch, so a crash replays from the last acknowledged transaction; replayed rows carry the same
// _version and ReplacingMergeTree keeps one copy: nothing lost, nothing counted twice.
import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import pg from 'pg';
import pgCopyStreams from 'pg-copy-streams';
import type { ClickHouse } from '../../../libs/clickhouse/src/clickhouse.js';
import type { AppliedBatch, AppliedListener, IngestFeed, IngestFreshness, IngestStatus, SnapshotProgress } from '../../../libs/ingest-feed/src/feed.js';
import { clickhouseColumns, rowImageJson, signedLine, snapshotSelect, stateLine, tombstoneLine } from './convert.js';
import { formatLsn, parseLsn, PgOutputDecoder, type PgOutputMessage } from './pgoutput.js';
import { ReplicationConnection, type XLogData } from './replication.js';
import { REPLICATED_TABLES, REPLICATED_TABLE_NAMES, tableSpec, type TableSpec } from './tables.js';
import { ImageCache } from './image-cache.js';
import { IngestStateStore, type SnapshotState } from './state.js';
import { errorMessage } from '../../../libs/errors/src/error-message.js';

export interface IngestOptions {
  databaseUrl: string;
  clickhouse: ClickHouse;
  slot: string;
  publication: string;
  batchRows: number;
  batchDelayMs: number;
}

export type { AppliedBatch, IngestFreshness, IngestStatus, SnapshotProgress } from '../../../libs/ingest-feed/src/feed.js';

/** The latest change of one row within a batch: its new image, or null when deleted. */
interface RowChange {
  image: string | null;
  version: bigint;
}

interface Batch {
  rows: Map<string, Map<string, RowChange>>;
  truncated: Set<string>;
  changes: number;
  transactions: number;
  endLsn: bigint;
  commitTime: Date | null;
}

function emptyBatch(): Batch {
  return { rows: new Map(), truncated: new Set(), changes: 0, transactions: 0, endLsn: 0n, commitTime: null };
}

export class Ingest extends EventEmitter implements IngestFeed {
  /** This process applies the batches: its status is current and its notices are never lost. */
  readonly source = 'in-process';
  private readonly logger = new Logger('statistics.ingest');
  private readonly state: IngestStateStore;
  private readonly decoder = new PgOutputDecoder();
  private replication: ReplicationConnection | null = null;
  private batch = emptyBatch();
  private flushing: Promise<void> | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private inTransaction = false;
  private paused = false;
  private stopped = false;
  /** The running start(), which stop() waits for (a snapshot must not write into a closed engine). */
  private starting: Promise<void> | null = null;
  /** Open plain connections to the source (catalogue, snapshot COPY): stop() ends them. */
  private readonly sourceClients = new Set<pg.Client>();
  private streamFailure: Error | null = null;
  private appliedLsn = 0n;
  private readonly currentStatus: IngestStatus = {
    state: 'starting',
    snapshot: {
      status: 'pending',
      table: null,
      rowsDone: 0,
      rowsTotal: 0,
      rowsPerSecond: 0,
      etaSeconds: null,
      startedAt: null,
      finishedAt: null,
    },
    appliedLsn: null,
    dataAsOf: null,
    lastBatchAt: null,
    transactionsApplied: 0,
    changesApplied: 0,
    lastError: null,
  };
  private supervisor: Promise<void> | null = null;
  /** A batch write failed part-way: the derived tables must be rebuilt before streaming again. */
  private derivedDirty = false;
  /** The signed logs and aggregates match the state tables (see IngestFreshness.snapshotDone). */
  private derivedReady = false;
  private readonly recentImages = new ImageCache(200_000);

  constructor(private readonly options: IngestOptions) {
    super();
    this.state = new IngestStateStore(options.clickhouse);
  }

  status(): IngestStatus {
    return structuredClone(this.currentStatus);
  }

  /** What every API request needs to know, without copying the whole status (hot path). */
  freshness(): IngestFreshness {
    const { state, appliedLsn, dataAsOf, snapshot } = this.currentStatus;
    return { state, appliedLsn, dataAsOf, snapshotDone: snapshot.status === 'done' && this.derivedReady, snapshotStartedAt: snapshot.startedAt };
  }

  onApplied(listener: AppliedListener): () => void {
    this.on('applied', listener);
    return () => this.off('applied', listener);
  }

  /** Prepares the source, takes the snapshot if needed, and starts streaming (resolves once streaming). */
  start(): Promise<void> {
    this.starting = this.startStreaming();
    return this.starting;
  }

  private async startStreaming(): Promise<void> {
    this.stopped = false;
    await this.ensurePublication();
    const checkpoint = await this.state.checkpoint();
    if (checkpoint) {
      this.appliedLsn = parseLsn(checkpoint.lsn);
      this.currentStatus.appliedLsn = checkpoint.lsn;
      this.currentStatus.dataAsOf = checkpoint.commitTime;
    }
    const replication = await this.connect();
    const snapshot = await this.state.snapshot();
    const slotExists = await this.slotExists();
    if (snapshot?.status === 'done' && slotExists) {
      this.currentStatus.snapshot = { ...this.currentStatus.snapshot, ...snapshotProgressFromState(snapshot) };
      if ((await this.state.derived())?.consistent !== true) {
        this.logger.warn({ message: 'the previous run did not stop cleanly; rebuilding the signed logs and aggregates' });
        await this.rebuildDerived();
      } else {
        this.derivedReady = true;
      }
    } else {
      await this.takeSnapshot(replication, slotExists);
      await this.rebuildDerived();
    }
    // Until a clean stop says otherwise, a crash may leave the derived tables one batch apart.
    await this.state.saveDerived({ consistent: false });
    this.supervisor = this.superviseStream(replication);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    // A stop during the snapshot cuts its connections: the COPY fails, start() rejects (its caller
    // reports that), and the next start takes the snapshot again. Its end is awaited so that no
    // write reaches the engine after the caller closes it.
    await Promise.all([...this.sourceClients].map((client) => client.end()));
    await this.replication?.close();
    await this.starting?.then(
      () => undefined,
      (error: unknown) => this.logger.log({ message: 'start interrupted by the stop', error: errorMessage(error) }),
    );
    await this.supervisor;
    await this.flushing;
    if (!this.derivedDirty) await this.state.saveDerived({ consistent: true });
    this.currentStatus.state = 'stopped';
  }

  /** Resolves once every change committed in Postgres so far is in ClickHouse. */
  async catchUp(timeoutMs = 120_000): Promise<void> {
    const client = this.sourceClient('catch-up');
    await client.connect();
    try {
      const { rows } = await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
      const target = parseLsn(rows[0]!.lsn);
      // A keepalive carries the server's position even when no change touched our tables.
      const deadline = Date.now() + timeoutMs;
      while (this.appliedLsn < target) {
        if (Date.now() > deadline) {
          throw new Error(`ingest did not catch up to ${formatLsn(target)} within ${timeoutMs} ms`);
        }
        this.replication?.sendStatus(this.appliedLsn, true);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    } finally {
      await client.end();
    }
  }

  private async connect(): Promise<ReplicationConnection> {
    const replication = await ReplicationConnection.connect(this.options.databaseUrl);
    replication.onError((error) => {
      this.streamFailure = error;
    });
    this.replication = replication;
    return replication;
  }

  /**
   * A plain connection to the source. pg emits 'error' on a lost connection (Postgres shutting
   * down: 57P01) besides failing the query in flight; without a listener that event kills the process.
   */
  private sourceClient(purpose: string): pg.Client {
    const client = new pg.Client({ connectionString: this.options.databaseUrl });
    client.on('error', (error) => {
      // After stop() it is our own doing (the connection cut above); the query in flight still fails with it.
      if (!this.stopped) this.logger.warn({ message: 'source connection lost', purpose, error: error.message });
    });
    this.sourceClients.add(client);
    client.once('end', () => this.sourceClients.delete(client));
    return client;
  }

  private async withSourceClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = this.sourceClient('snapshot and catalogue queries');
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  private async ensurePublication(): Promise<void> {
    const { publication } = this.options;
    await this.withSourceClient(async (client) => {
      const level = await client.query<{ wal_level: string }>('SHOW wal_level');
      if (level.rows[0]?.wal_level !== 'logical') {
        throw new Error(
          `the operational database has wal_level=${level.rows[0]?.wal_level}; logical replication needs wal_level=logical (ALTER SYSTEM SET wal_level = logical, then restart Postgres)`,
        );
      }
      const present = await client.query<{ tablename: string }>(
        'SELECT tablename FROM pg_publication_tables WHERE pubname = $1',
        [publication],
      );
      const exists = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [publication]);
      const tables = REPLICATED_TABLE_NAMES.map((name) => `public."${name}"`).join(', ');
      if (exists.rowCount === 0) {
        await client.query(`CREATE PUBLICATION "${publication}" FOR TABLE ${tables}`);
        this.logger.log({ message: 'publication created', publication, tables: REPLICATED_TABLE_NAMES });
        return;
      }
      const missing = REPLICATED_TABLE_NAMES.filter((name) => !present.rows.some((row) => row.tablename === name));
      if (missing.length > 0) {
        await client.query(
          `ALTER PUBLICATION "${publication}" ADD TABLE ${missing.map((name) => `public."${name}"`).join(', ')}`,
        );
        this.logger.log({ message: 'publication extended', publication, added: missing });
      }
    });
  }

  private async slotExists(): Promise<boolean> {
    return this.withSourceClient(async (client) => {
      const result = await client.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [this.options.slot]);
      return (result.rowCount ?? 0) > 0;
    });
  }

  private async takeSnapshot(replication: ReplicationConnection, slotExists: boolean): Promise<void> {
    const { clickhouse, slot } = this.options;
    this.currentStatus.state = 'snapshot';
    const startedAt = new Date();
    await this.state.saveSnapshot({ status: 'running', startedAt: startedAt.toISOString() });
    if (slotExists) {
      // A slot without a finished snapshot (crash mid-snapshot, or ClickHouse data wiped): start over.
      await this.withSourceClient((client) => client.query('SELECT pg_drop_replication_slot($1)', [slot]));
      this.logger.warn({ message: 'dropped replication slot left by an unfinished snapshot', slot });
    }
    for (const table of REPLICATED_TABLES) await clickhouse.command(`TRUNCATE TABLE IF EXISTS ${table.name}`);
    // Postgres waits for transactions already running to finish before the slot is ready.
    this.logger.log({ message: 'creating the replication slot (waits for running transactions)', slot });
    const { consistentPoint, snapshotName } = await replication.createSlot(slot);
    this.logger.log({ message: 'replication slot created', slot, consistentPoint: formatLsn(consistentPoint) });

    const progress = this.currentStatus.snapshot;
    Object.assign(progress, { status: 'running', startedAt: startedAt.toISOString(), rowsDone: 0, finishedAt: null });
    const rowsPerTable: Record<string, number> = {};
    await this.withSourceClient(async (client) => {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await client.query(`SET TRANSACTION SNAPSHOT '${snapshotName.replace(/'/g, "''")}'`);
      progress.rowsTotal = 0;
      for (const table of REPLICATED_TABLES) {
        const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM public."${table.name}"`);
        progress.rowsTotal += Number(rows[0]!.n);
      }
      const reporter = setInterval(() => this.reportSnapshotProgress(startedAt), 2000);
      try {
        for (const table of REPLICATED_TABLES) {
          progress.table = table.name;
          rowsPerTable[table.name] = await this.copyTable(client, table);
        }
      } finally {
        clearInterval(reporter);
      }
      await client.query('COMMIT');
    });
    const finishedAt = new Date();
    const seconds = (finishedAt.getTime() - startedAt.getTime()) / 1000;
    Object.assign(progress, {
      status: 'done',
      table: null,
      etaSeconds: 0,
      finishedAt: finishedAt.toISOString(),
      rowsPerSecond: Math.round(progress.rowsDone / Math.max(seconds, 0.001)),
    });
    await this.state.saveSnapshot({
      status: 'done',
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      consistentPoint: formatLsn(consistentPoint),
      rows: rowsPerTable,
    });
    // The snapshot holds every transaction committed before the slot's consistent point.
    await this.state.saveCheckpoint({ lsn: formatLsn(consistentPoint), commitTime: startedAt.toISOString() });
    this.appliedLsn = consistentPoint;
    this.currentStatus.appliedLsn = formatLsn(consistentPoint);
    this.currentStatus.dataAsOf = startedAt.toISOString();
    this.logger.log({
      message: 'snapshot finished',
      rows: progress.rowsDone,
      seconds: Number(seconds.toFixed(2)),
      rowsPerSecond: progress.rowsPerSecond,
      perTable: rowsPerTable,
    });
  }

  private reportSnapshotProgress(startedAt: Date): void {
    const progress = this.currentStatus.snapshot;
    const seconds = (Date.now() - startedAt.getTime()) / 1000;
    progress.rowsPerSecond = Math.round(progress.rowsDone / Math.max(seconds, 0.001));
    const left = Math.max(progress.rowsTotal - progress.rowsDone, 0);
    progress.etaSeconds = progress.rowsPerSecond > 0 ? Math.round(left / progress.rowsPerSecond) : null;
    this.logger.log({
      message: 'snapshot progress',
      table: progress.table,
      rowsDone: progress.rowsDone,
      rowsTotal: progress.rowsTotal,
      rowsPerSecond: progress.rowsPerSecond,
      etaSeconds: progress.etaSeconds,
    });
  }

  /** COPY one table out of Postgres straight into ClickHouse as TSV; returns the row count. */
  private async copyTable(client: pg.Client, table: TableSpec): Promise<number> {
    const progress = this.currentStatus.snapshot;
    const copy = client.query(pgCopyStreams.to(`COPY (${snapshotSelect(table)}) TO STDOUT`));
    let rows = 0;
    async function* counted(): AsyncIterable<Buffer> {
      for await (const chunk of copy as AsyncIterable<Buffer>) {
        let newlines = 0;
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) newlines++;
        rows += newlines;
        progress.rowsDone += newlines;
        yield chunk;
      }
    }
    await this.options.clickhouse.insert({
      table: table.name,
      format: 'TabSeparated',
      values: counted(),
      columns: clickhouseColumns(table),
    });
    return rows;
  }

  /** Streams, reconnecting with backoff after a failure until stop(). */
  private async superviseStream(first: ReplicationConnection): Promise<void> {
    let replication: ReplicationConnection | null = first;
    let delayMs = 500;
    while (!this.stopped) {
      try {
        replication ??= await this.connect();
        await this.flushing;
        if (this.derivedDirty) {
          await this.rebuildDerived();
          this.derivedDirty = false;
        }
        this.currentStatus.state = 'streaming';
        this.logger.log({ message: 'streaming', slot: this.options.slot, from: formatLsn(this.appliedLsn) });
        await this.streamOnce(replication);
        if (this.streamFailure) throw this.streamFailure;
        if (!this.stopped) throw new Error('replication connection closed');
      } catch (error) {
        if (this.stopped) break;
        const message = errorMessage(error);
        this.currentStatus.state = 'reconnecting';
        this.currentStatus.lastError = message;
        this.logger.error({ message: 'replication stream failed; reconnecting', error: message, retryInMs: delayMs });
        await replication?.close();
        replication = null;
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        delayMs = Math.min(delayMs * 2, 30_000);
        continue;
      }
      delayMs = 500;
    }
  }

  private async streamOnce(replication: ReplicationConnection): Promise<void> {
    // Whatever was received but not flushed is resent by Postgres from the acknowledged position.
    this.batch = emptyBatch();
    this.inTransaction = false;
    this.streamFailure = null;
    let failed: (error: Error) => void = () => undefined;
    const failure = new Promise<never>((_, reject) => {
      failed = reject;
    });
    const stream = replication.stream(this.options.slot, this.options.publication, {
      onData: (data) => {
        try {
          this.handleData(data);
        } catch (error) {
          failed(error instanceof Error ? error : new Error(String(error)));
        }
      },
      onKeepalive: (walEnd, replyRequested) => {
        // Idle as far as our tables go: everything before walEnd is applied, so the slot may advance.
        const idle = !this.inTransaction && this.batch.transactions === 0 && this.flushing === null && !this.derivedDirty;
        if (idle && walEnd > this.appliedLsn) this.appliedLsn = walEnd;
        if (replyRequested || idle) replication.sendStatus(this.appliedLsn);
      },
    });
    this.flushFailureHandler = failed;
    await Promise.race([stream, failure]);
  }

  private flushFailureHandler: (error: Error) => void = () => undefined;

  private handleData(data: XLogData): void {
    const message = this.decoder.decode(data.payload);
    this.apply(message, data.walStart);
  }

  private apply(message: PgOutputMessage, version: bigint): void {
    const batch = this.batch;
    switch (message.tag) {
      case 'begin':
        this.inTransaction = true;
        return;
      case 'insert':
      case 'update': {
        const table = tableSpec(message.relation.name);
        if (!table || message.relation.schema !== 'public') return;
        if (message.row.unchanged.some((name) => table.columns.some((column) => column.name === name))) {
          throw new Error(
            `${table.name}: an update left a replicated column as an unchanged TOAST value; set REPLICA IDENTITY FULL on it`,
          );
        }
        const id = message.row.values.get('id');
        if (id === undefined || id === null) throw new Error(`${table.name}: change without id`);
        this.rowsOf(batch, table.name).set(id, { image: rowImageJson(table, message.row.values), version });
        batch.changes += 1;
        return;
      }
      case 'delete': {
        const table = tableSpec(message.relation.name);
        if (!table || message.relation.schema !== 'public') return;
        const id = message.key.values.get('id');
        if (id === undefined || id === null) throw new Error(`${table.name}: delete without id`);
        this.rowsOf(batch, table.name).set(id, { image: null, version });
        batch.changes += 1;
        return;
      }
      case 'truncate':
        for (const relation of message.relations) {
          if (!tableSpec(relation.name) || relation.schema !== 'public') continue;
          batch.rows.delete(relation.name);
          batch.truncated.add(relation.name);
          batch.changes += 1;
        }
        return;
      case 'commit':
        this.inTransaction = false;
        batch.transactions += 1;
        batch.endLsn = message.endLsn;
        batch.commitTime = message.commitTime;
        this.scheduleFlush();
        return;
      case 'relation':
      case 'other':
        return;
    }
  }

  private rowsOf(batch: Batch, table: string): Map<string, RowChange> {
    let rows = batch.rows.get(table);
    if (!rows) {
      rows = new Map();
      batch.rows.set(table, rows);
    }
    return rows;
  }

  private scheduleFlush(): void {
    if (this.batch.changes >= this.options.batchRows) {
      this.flushNow();
    } else if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = null;
        this.flushNow();
      }, this.options.batchDelayMs);
    }
  }

  private flushNow(): void {
    if (this.flushing) {
      // One write at a time; hold the socket if the next batch grows too large meanwhile.
      if (this.batch.changes >= this.options.batchRows * 2 && !this.paused) {
        this.paused = true;
        this.replication?.pause();
      }
      return;
    }
    // After a failed write nothing more is written or acknowledged until the stream restarts from
    // the last acknowledged position: acknowledging a later batch would skip the failed one.
    if (this.batch.transactions === 0 || this.derivedDirty) return;
    const batch = this.batch;
    this.batch = emptyBatch();
    const started = performance.now();
    this.flushing = this.writeBatch(batch)
      .catch((error: unknown) => {
        // The state tables may hold part of the batch: nothing cached can be trusted any more.
        this.recentImages.clear();
        this.derivedDirty = true;
        this.flushFailureHandler(error instanceof Error ? error : new Error(String(error)));
      })
      .finally(() => {
        this.flushing = null;
        if (this.paused) {
          this.paused = false;
          this.replication?.resume();
        }
        // Group commit: what arrived during this write is written next, in one batch. A full batch
        // goes now; a smaller one after a pause as long as this write took, so that under a steady
        // trickle the ingest keeps at most about half of the engine: a batch's cost is mostly per
        // table and per part written, not per row, and every write slows the statistics queries
        // running alongside it. (On a quiet engine a write takes tens of milliseconds.)
        if (this.batch.transactions > 0 && !this.stopped) {
          if (this.flushTimer) clearTimeout(this.flushTimer);
          this.flushTimer = null;
          const pause = performance.now() - started;
          if (this.batch.changes >= this.options.batchRows) this.flushNow();
          else {
            this.flushTimer = setTimeout(() => {
              this.flushTimer = null;
              this.flushNow();
            }, pause);
          }
        }
      });
  }

  /**
   * For each changed row: the previous image with sign -1 (read from the current-state table) and
   * the new one with sign +1. A change whose version the state table already holds (or a later one,
   * a deletion's tombstone included) was applied before the stream restarted and is left out, so a
   * replay adds nothing; `applied` names the rows that were not left out.
   */
  private async signedChanges(spec: TableSpec, rows: Map<string, RowChange>): Promise<{ lines: string[]; applied: Set<string> }> {
    const columns = spec.columns.map((column) => column.name);
    const uncached = [...rows.keys()].filter((id) => !this.recentImages.get(spec.name, id));
    // The latest version of each row, tombstones included (FINAL would hide a deleted row, and a
    // replayed older change of it would then look new). The keys are written into the statement
    // (checked integers, nothing else can get in): the embedded engine runs statements with bound
    // parameters one at a time process-wide, so a bound list would wait behind every statistics
    // query under way before the batch could be written.
    const previous =
      uncached.length === 0
        ? []
        : await this.options.clickhouse.query<Record<string, unknown> & { id: number | string; _version: string; _deleted: number }>(
            `SELECT ${columns.join(', ')}, _version, _deleted FROM ${spec.name} WHERE id IN (${uncached.map(integerId).join(', ')})
             ORDER BY id, _version DESC LIMIT 1 BY id
             SETTINGS output_format_json_quote_decimals = 1, output_format_json_quote_64bit_integers = 1`,
          );
    const previousById = new Map(previous.map((row) => [String(row.id), row]));
    const lines: string[] = [];
    const applied = new Set<string>();
    for (const [id, change] of rows) {
      const cached = this.recentImages.get(spec.name, id);
      const stored = previousById.get(id);
      const beforeVersion = cached ? cached.version : stored ? BigInt(stored._version) : null;
      if (beforeVersion !== null && beforeVersion >= change.version) continue;
      applied.add(id);
      if (cached) lines.push(signedLine(cached.image, cached.version, -1));
      else if (stored && stored._deleted === 0) {
        const { _deleted, ...image } = stored;
        lines.push(JSON.stringify({ ...image, sign: -1 }));
      }
      if (change.image !== null) lines.push(signedLine(change.image, change.version, 1));
    }
    return { lines, applied };
  }

  /**
   * Rebuilds the signed logs and their aggregates from the current-state tables: after a snapshot,
   * and after an unclean stop (a crash between the signed write and the state write of a batch
   * could otherwise leave them one batch apart).
   */
  private async rebuildDerived(): Promise<void> {
    const { clickhouse } = this.options;
    const started = Date.now();
    // Truncated, then refilled: nothing may read them in between.
    this.derivedReady = false;
    for (const spec of REPLICATED_TABLES) {
      if (!spec.derived) continue;
      for (const table of [spec.derived.signed, ...spec.derived.aggregates]) await clickhouse.command(`TRUNCATE TABLE ${table}`);
      const columns = spec.columns.map((column) => column.name).join(', ');
      await clickhouse.command(
        `INSERT INTO ${spec.derived.signed} (${columns}, _version, sign) SELECT ${columns}, _version, 1 FROM ${spec.name} FINAL`,
      );
    }
    this.derivedReady = true;
    this.logger.log({ message: 'signed logs and aggregates rebuilt from the current state', ms: Date.now() - started });
  }

  private async writeBatch(batch: Batch): Promise<void> {
    const { clickhouse } = this.options;
    const started = performance.now();
    for (const name of batch.truncated) {
      const spec = tableSpec(name)!;
      this.recentImages.clearTable(name);
      for (const table of [name, ...(spec.derived ? [spec.derived.signed, ...spec.derived.aggregates] : [])]) {
        await clickhouse.command(`TRUNCATE TABLE ${table}`);
      }
    }
    await Promise.all(
      [...batch.rows].map(async ([name, rows]) => {
        const spec = tableSpec(name)!;
        // The retractions need the state before this batch: read it before writing the new state.
        const signed = spec.derived ? await this.signedChanges(spec, rows) : null;
        // A replayed change the state already holds is not written again; above all it must not
        // put its older image back in the cache, where the replay of the next change would retract
        // that image a second time (the signed log and the aggregates would count that change twice).
        const changed = signed ? [...rows].filter(([id]) => signed.applied.has(id)) : [...rows];
        const lines = changed.map(([id, change]) =>
          change.image === null ? tombstoneLine(id, change.version) : stateLine(change.image, change.version),
        );
        await Promise.all([
          lines.length > 0 ? clickhouse.insert({ table: name, format: 'JSONEachRow', values: Buffer.from(lines.join('\n')) }) : undefined,
          spec.derived && signed && signed.lines.length > 0
            ? clickhouse.insert({ table: spec.derived.signed, format: 'JSONEachRow', values: Buffer.from(signed.lines.join('\n')) })
            : undefined,
        ]);
        if (spec.derived) {
          for (const [id, change] of changed) {
            if (change.image === null) this.recentImages.delete(name, id);
            else this.recentImages.set(name, id, { image: change.image, version: change.version });
          }
        }
      }),
    );
    const commitTime = batch.commitTime ?? new Date();
    await this.state.saveCheckpoint({ lsn: formatLsn(batch.endLsn), commitTime: commitTime.toISOString() });
    if (batch.endLsn > this.appliedLsn) this.appliedLsn = batch.endLsn;
    this.replication?.sendStatus(this.appliedLsn);
    Object.assign(this.currentStatus, {
      appliedLsn: formatLsn(batch.endLsn),
      dataAsOf: commitTime.toISOString(),
      lastBatchAt: new Date().toISOString(),
      transactionsApplied: this.currentStatus.transactionsApplied + batch.transactions,
      changesApplied: this.currentStatus.changesApplied + batch.changes,
    });
    const applied: AppliedBatch = {
      tables: [...new Set([...batch.rows.keys(), ...batch.truncated])],
      lsn: batch.endLsn,
      commitTime,
      changes: batch.changes,
      writeMs: performance.now() - started,
    };
    this.emit('applied', applied);
  }
}

/** A row key as a number for an Array(Int64) parameter: keys beyond 2^53 would not survive the conversion. */
function integerId(id: string): number {
  const value = Number(id);
  if (!Number.isSafeInteger(value)) throw new Error(`row key "${id}" is not an integer below 2^53`);
  return value;
}

function snapshotProgressFromState(snapshot: SnapshotState): Partial<SnapshotProgress> {
  const rows = Object.values(snapshot.rows ?? {}).reduce((sum, n) => sum + n, 0);
  return {
    status: 'done',
    rowsDone: rows,
    rowsTotal: rows,
    etaSeconds: 0,
    startedAt: snapshot.startedAt,
    finishedAt: snapshot.finishedAt ?? null,
  };
}
