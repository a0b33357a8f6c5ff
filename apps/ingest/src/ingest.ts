// CDC ingest: operational Postgres → ClickHouse. First start: publication + slot + consistent
// snapshot (snapshot.ts); then pgoutput streaming (replication.ts, pgoutput.ts), gathered into
// batches of whole transactions (batch.ts), written when batcher.ts says so, by apply.ts. The LSN
// is acknowledged to Postgres only after ClickHouse holds the batch, so a crash replays from the
// last acknowledged transaction; replayed rows carry the same _version and are left out: nothing
// lost, nothing counted twice. This class supervises: start and stop, reconnects, status.
import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import type { ClickHouse } from '../../../libs/clickhouse/src/clickhouse.js';
import type { AppConfig } from '../../../libs/config/src/config.js';
import type { AppliedBatch, AppliedListener, IngestFeed, IngestFreshness, IngestStatus } from '../../../libs/ingest-feed/src/feed.js';
import { errorMessage } from '../../../libs/errors/src/error-message.js';
import { BatchWriter } from './apply.js';
import type { Batch } from './batch.js';
import { Batcher } from './batcher.js';
import { formatLsn, parseLsn, PgOutputDecoder } from './pgoutput.js';
import { ReplicationConnection } from './replication.js';
import { finishedSnapshotProgress, takeSnapshot } from './snapshot.js';
import { SourceDatabase } from './source.js';
import { IngestStateStore } from './state.js';

/** A stream that ran this long before failing was healthy: its reconnect backoff starts over. */
const HEALTHY_STREAM_MS = 30_000;

export interface IngestOptions {
  databaseUrl: string;
  clickhouse: ClickHouse;
  slot: string;
  publication: string;
  batchRows: number;
  batchDelayMs: number;
  /** Row images kept of what was last written (default 200 000; see ImageCache). */
  imageCacheRows?: number;
}

/** The ingest's settings from the configuration: everything but the database and the engine. */
export function ingestSettings(config: AppConfig): Omit<IngestOptions, 'databaseUrl' | 'clickhouse'> {
  return {
    slot: config.replicationSlot,
    publication: config.publication,
    batchRows: config.ingestBatchRows,
    batchDelayMs: config.ingestBatchDelayMs,
    imageCacheRows: config.ingestImageCacheRows,
  };
}

export type { AppliedBatch, IngestFreshness, IngestStatus, SnapshotProgress } from '../../../libs/ingest-feed/src/feed.js';

export class Ingest extends EventEmitter implements IngestFeed {
  /** This process applies the batches: its status is current and its notices are never lost. */
  readonly source = 'in-process';
  private readonly logger = new Logger('statistics.ingest');
  private readonly state: IngestStateStore;
  private readonly writer: BatchWriter;
  private readonly sourceDb: SourceDatabase;
  private readonly decoder = new PgOutputDecoder();
  private replication: ReplicationConnection | null = null;
  private readonly batcher: Batcher;
  private stopped = false;
  /** The running start(), which stop() waits for (a snapshot must not write into a closed engine). */
  private starting: Promise<void> | null = null;
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
  private flushFailureHandler: (error: Error) => void = () => undefined;

  constructor(private readonly options: IngestOptions) {
    super();
    this.state = new IngestStateStore(options.clickhouse);
    this.writer = new BatchWriter(options.clickhouse, this.state, options.imageCacheRows);
    this.sourceDb = new SourceDatabase(options.databaseUrl, this.logger);
    this.batcher = new Batcher(
      { batchRows: options.batchRows, batchDelayMs: options.batchDelayMs },
      {
        write: (batch) => this.writeBatch(batch),
        failed: (error) => {
          // The state tables may hold part of the batch: nothing cached can be trusted any more.
          this.writer.forgetImages();
          this.derivedDirty = true;
          this.flushFailureHandler(error);
        },
        hold: () => this.replication?.pause(),
        release: () => this.replication?.resume(),
      },
    );
  }

  status(): IngestStatus {
    return structuredClone(this.currentStatus);
  }

  /** Rows whose latest image the writer holds in memory (a memory figure for benches and operators). */
  cachedImageRows(): number {
    return this.writer.cachedImageRows;
  }

  /** What every API request needs to know, without copying the whole status (hot path). */
  freshness(): IngestFreshness {
    const { state, appliedLsn, dataAsOf, snapshot } = this.currentStatus;
    return { state, appliedLsn, dataAsOf, snapshotDone: snapshot.status === 'done' && this.writer.ready, snapshotStartedAt: snapshot.startedAt };
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
    this.batcher.start();
    this.sourceDb.open();
    await this.sourceDb.ensurePublication(this.options.publication);
    const checkpoint = await this.state.checkpoint();
    if (checkpoint) {
      this.appliedLsn = parseLsn(checkpoint.lsn);
      this.currentStatus.appliedLsn = checkpoint.lsn;
      this.currentStatus.dataAsOf = checkpoint.commitTime;
    }
    const replication = await this.connect();
    const snapshot = await this.state.snapshot();
    const slotExists = await this.sourceDb.slotExists(this.options.slot);
    if (snapshot?.status === 'done' && slotExists) {
      this.currentStatus.snapshot = { ...this.currentStatus.snapshot, ...finishedSnapshotProgress(snapshot) };
      if ((await this.state.derived())?.consistent !== true) {
        this.logger.warn({ message: 'the previous run did not stop cleanly; rebuilding the signed logs and aggregates' });
        await this.writer.rebuildDerived();
      } else {
        this.writer.markReady();
      }
    } else {
      this.currentStatus.state = 'snapshot';
      const { clickhouse, slot } = this.options;
      const taken = await takeSnapshot({
        clickhouse,
        source: this.sourceDb,
        state: this.state,
        replication,
        slot,
        slotExists,
        progress: this.currentStatus.snapshot,
        logger: this.logger,
      });
      this.appliedLsn = taken.consistentPoint;
      this.currentStatus.appliedLsn = formatLsn(taken.consistentPoint);
      this.currentStatus.dataAsOf = taken.startedAt.toISOString();
      await this.writer.rebuildDerived();
    }
    // Until a clean stop says otherwise, a crash may leave the derived tables one batch apart.
    await this.state.saveDerived({ consistent: false });
    this.supervisor = this.superviseStream(replication);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.batcher.stop();
    // A stop during the snapshot cuts its connections: the COPY fails, start() rejects (its caller
    // reports that), and the next start takes the snapshot again. Its end is awaited so that no
    // write reaches the engine after the caller closes it.
    await this.sourceDb.close();
    await this.replication?.close();
    await this.starting?.then(
      () => undefined,
      (error: unknown) => this.logger.log({ message: 'start interrupted by the stop', error: errorMessage(error) }),
    );
    await this.supervisor;
    await this.batcher.settled();
    if (!this.derivedDirty) await this.state.saveDerived({ consistent: true });
    this.currentStatus.state = 'stopped';
  }

  /** Resolves once every change committed in Postgres so far is in ClickHouse. */
  async catchUp(timeoutMs = 120_000): Promise<void> {
    const target = await this.sourceDb.currentLsn();
    // A keepalive carries the server's position even when no change touched our tables.
    const deadline = Date.now() + timeoutMs;
    while (this.appliedLsn < target) {
      if (Date.now() > deadline) {
        throw new Error(`ingest did not catch up to ${formatLsn(target)} within ${timeoutMs} ms`);
      }
      this.replication?.sendStatus(this.appliedLsn, true);
      await new Promise((resolve) => setTimeout(resolve, 25));
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

  /** Streams, reconnecting with backoff after a failure until stop(). */
  private async superviseStream(first: ReplicationConnection): Promise<void> {
    let replication: ReplicationConnection | null = first;
    let delayMs = 500;
    let streamingSince: number | null = null;
    while (!this.stopped) {
      try {
        replication ??= await this.connect();
        await this.batcher.settled();
        if (this.derivedDirty) {
          await this.writer.rebuildDerived();
          this.derivedDirty = false;
        }
        this.currentStatus.state = 'streaming';
        this.logger.log({ message: 'streaming', slot: this.options.slot, from: formatLsn(this.appliedLsn) });
        streamingSince = Date.now();
        await this.streamOnce(replication);
        if (this.streamFailure) throw this.streamFailure;
        if (!this.stopped) throw new Error('replication connection closed');
      } catch (error) {
        if (this.stopped) break;
        // A stream that had been healthy for a while starts the backoff again from its shortest step
        // (else, over weeks of rare blips, every reconnect would end up waiting the longest).
        if (streamingSince !== null && Date.now() - streamingSince >= HEALTHY_STREAM_MS) delayMs = 500;
        streamingSince = null;
        const message = errorMessage(error);
        this.currentStatus.state = 'reconnecting';
        this.currentStatus.lastError = message;
        this.logger.error({ message: 'replication stream failed; reconnecting', error: message, retryInMs: delayMs });
        await replication?.close();
        replication = null;
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        delayMs = Math.min(delayMs * 2, 30_000);
      }
    }
  }

  private async streamOnce(replication: ReplicationConnection): Promise<void> {
    // Whatever was received but not flushed is resent by Postgres from the acknowledged position.
    this.batcher.reset();
    this.streamFailure = null;
    let failed: (error: Error) => void = () => undefined;
    const failure = new Promise<never>((_, reject) => {
      failed = reject;
    });
    const stream = replication.stream(this.options.slot, this.options.publication, {
      onData: (data) => {
        try {
          this.batcher.add(this.decoder.decode(data.payload), data.walStart);
        } catch (error) {
          failed(error instanceof Error ? error : new Error(String(error)));
        }
      },
      onKeepalive: (walEnd, replyRequested) => {
        // Idle as far as our tables go: everything before walEnd is applied, so the slot may advance.
        const idle = this.batcher.idle && !this.derivedDirty;
        if (idle && walEnd > this.appliedLsn) this.appliedLsn = walEnd;
        if (replyRequested || idle) replication.sendStatus(this.appliedLsn);
      },
    });
    this.flushFailureHandler = failed;
    await Promise.race([stream, failure]);
  }

  /** Writes `batch`, then acknowledges it to Postgres and tells the listeners. */
  private async writeBatch(batch: Batch): Promise<void> {
    const started = performance.now();
    const commitTime = await this.writer.write(batch);
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
