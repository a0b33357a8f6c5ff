// What the API may know of the CDC ingest, and nothing more: how fresh the data in ClickHouse is,
// the ingest's status, and "a batch was applied" (tables touched, LSN, commit time). Two sources
// implement it: the Ingest itself when it runs in the same process (SERVICE_ROLE=all), and
// RedisIngestFeed when it runs in another (SERVICE_ROLE=api, fed by RedisFeedPublisher beside the
// ingest). The API depends on this module only, never on apps/ingest.

/** What the ingest is doing. */
import type { ClickHouse } from '../../clickhouse/src/clickhouse.js';
export type IngestState = 'starting' | 'snapshot' | 'streaming' | 'reconnecting' | 'stopped';

/**
 * What the API knows of it: the ingest's own state, or 'stale' when it runs in another process and
 * has not reported within its status TTL (dead, hung, or unreachable through Redis).
 */
export type FeedState = IngestState | 'stale';

export interface SnapshotProgress {
  status: 'pending' | 'running' | 'done';
  table: string | null;
  rowsDone: number;
  rowsTotal: number;
  rowsPerSecond: number;
  etaSeconds: number | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface IngestStatus {
  state: IngestState;
  snapshot: SnapshotProgress;
  /** End LSN of the last transaction ClickHouse holds (and Postgres was told about). */
  appliedLsn: string | null;
  /** Commit time of that transaction: the data is exact as of this instant. */
  dataAsOf: string | null;
  lastBatchAt: string | null;
  transactionsApplied: number;
  changesApplied: number;
  lastError: string | null;
}

/** The ingest's status as the API sees it (possibly reported by another process, possibly stale). */
export type FeedStatus = Omit<IngestStatus, 'state'> & { state: FeedState };

export interface IngestFreshness {
  state: FeedState;
  appliedLsn: string | null;
  dataAsOf: string | null;
  /**
   * The snapshot is complete and the signed logs and aggregates are built from it: statistics may
   * be served. False while they are rebuilt (after the snapshot, after an unclean stop, after a
   * failed batch), when they hold part of the data.
   */
  snapshotDone: boolean;
  snapshotStartedAt: string | null;
}

/** One batch that landed in ClickHouse. */
export interface AppliedBatch {
  tables: string[];
  lsn: bigint;
  commitTime: Date;
  /** Row changes in the batch; 0 for a catch-up notice (changes missed while Redis was away, count unknown). */
  changes: number;
  /** How long writing the batch took (ms), from its first engine call to its checkpoint; not relayed through Redis. */
  writeMs?: number;
}

export type AppliedListener = (batch: AppliedBatch) => void;

export interface IngestFeed {
  /** 'in-process': this process applies the batches; 'remote': another one does and reports through Redis. */
  readonly source: 'in-process' | 'remote';
  /** What every API request needs to know (hot path: no copy of the whole status). */
  freshness(): IngestFreshness;
  status(): FeedStatus;
  /** Called after each batch lands in ClickHouse; returns the unsubscribe function. */
  onApplied(listener: AppliedListener): () => void;
}

/** An ingest running in this process: a feed the API also starts and stops (SERVICE_ROLE=all). */
export interface LocalIngest extends IngestFeed {
  /** Takes the snapshot if needed and starts streaming; resolves once streaming. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Builds the in-process ingest on the engine and operational database the runtime opened. */
export type LocalIngestFactory<I extends LocalIngest> = (resources: { clickhouse: ClickHouse; databaseUrl: string }) => I;

/** `16/B374D848` (Postgres's text form) of an LSN. */
export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

export function parseLsn(text: string): bigint {
  const match = /^([0-9A-Fa-f]+)\/([0-9A-Fa-f]+)$/.exec(text);
  if (!match) throw new Error(`invalid LSN "${text}"`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}
