// The ingest feed across processes, through Redis (SERVICE_ROLE=ingest beside SERVICE_ROLE=api).
//
// The ingest side (RedisFeedPublisher) writes, in one MULTI after each batch has landed in
// ClickHouse: the table versions (the hash the statistics cache keys its entries on: table → LSN
// of the last batch that touched it), its status under a key with a TTL, and a notice on a Pub/Sub
// channel. It rewrites the versions and the status on every heartbeat (TTL / 4), so a Redis that
// restarted empty is whole again within one heartbeat, and a notice that could not be written is
// sent with the next heartbeat that gets through.
//
// The API side (RedisIngestFeed) is correct without the notices: the cache reads the versions hash
// on each lookup (it is written only after ClickHouse holds the data, so a key never names data
// that is not there), and a poll of the status and versions (at most every second) notices any
// table whose version moved without a notice reaching us (Pub/Sub delivers at most once: a
// subscriber that was disconnected misses what was published meanwhile) and reports it as a batch.
// After its subscriber reconnects, it reports every table as changed (conservative: rooms and
// alerts recompute once). A status key that expired means the ingest has not reported within its
// TTL: the feed's state is then 'stale', and /health/ready says not ready.
import { Logger } from '@nestjs/common';
import { createClient } from '@keyv/redis';
import {
  formatLsn,
  parseLsn,
  type AppliedBatch,
  type AppliedListener,
  type FeedStatus,
  type IngestFeed,
  type IngestFreshness,
  type IngestStatus,
} from './feed.js';
import { feedKeys } from './keys.js';
import { errorMessage } from '../../errors/src/error-message.js';

/** The status key's value. */
interface PublishedStatus {
  status: IngestStatus;
  snapshotDone: boolean;
  snapshotStartedAt: string | null;
  /** Every table the ingest replicates (what a conservative catch-up reports as changed). */
  tables: string[];
  publishedAt: string;
}

/** A notice on the channel (LSN as a decimal string: JSON has no bigint). */
interface PublishedNotice {
  tables: string[];
  lsn: string;
  commitTime: string;
  changes: number;
}

/** Reconnects within 2 s of Redis returning; a connection attempt gives up after 1 s. */
const SOCKET = { connectTimeout: 1_000, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2_000) };

// Return type inferred: createClient() with options is a narrower generic than its default type.
function openClient(url: string, onError: (error: Error) => void) {
  // Fail at once while disconnected rather than queue: the heartbeat retries with the whole state.
  const client = createClient({ url, disableOfflineQueue: true, socket: SOCKET });
  client.on('error', onError);
  return client;
}

type RedisClient = ReturnType<typeof openClient>;

export interface FeedPublisherOptions {
  redisUrl: string;
  scope: string;
  /** The status key expires after this long without a heartbeat: the API then says the ingest is stale. */
  statusTtlSeconds: number;
  /** Expiry of the versions hash, refreshed on each write (longer than any cache entry it describes). */
  versionsTtlMs: number;
  /** Every replicated table. */
  tables: readonly string[];
}

export interface PublisherHealth {
  ok: boolean;
  lastPublishedAt: string | null;
  error: string | null;
}

/** Ingest side: publishes the in-process ingest's feed to Redis. */
export class RedisFeedPublisher {
  private readonly logger = new Logger('statistics.ingest');
  private readonly keys: ReturnType<typeof feedKeys>;
  private readonly client: RedisClient;
  /** LSN of the last batch that touched each table; tables untouched since the start have the baseline. */
  private readonly versions = new Map<string, bigint>();
  private baselineSet = false;
  /** Notices not yet written (Redis was away): sent, merged, with the next write that gets through. */
  private pending: { tables: Set<string>; lsn: bigint; commitTime: Date; changes: number } | null = null;
  private chain: Promise<void> = Promise.resolve();
  private heartbeat: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private lastPublishedAt: string | null = null;
  private lastError: string | null = null;
  private stopped = false;

  constructor(
    private readonly source: IngestFeed,
    private readonly options: FeedPublisherOptions,
  ) {
    this.keys = feedKeys(options.scope);
    this.client = openClient(options.redisUrl, (error) => this.failed('connection', error));
    // Back from an outage: everything at once, not at the next heartbeat.
    this.client.on('ready', () => this.enqueue(null));
  }

  start(): void {
    // Not awaited: a Redis that does not answer yet must not stop the ingest; writes fail and are
    // retried by the heartbeat, and the ingest's readiness says so meanwhile.
    this.client.connect().catch((error: unknown) => this.failed('connect', error));
    this.unsubscribe = this.source.onApplied((batch) => this.applied(batch));
    const everyMs = Math.max(250, (this.options.statusTtlSeconds * 1000) / 4);
    this.heartbeat = setInterval(() => this.enqueue(null), everyMs);
  }

  /** Writes a last status ('stopped', which still expires) and closes the connection. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribe?.();
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.enqueue(null, { state: 'stopped' });
    await this.chain;
    if (this.client.isOpen) this.client.destroy();
  }

  health(): PublisherHealth {
    return { ok: this.lastError === null && this.lastPublishedAt !== null, lastPublishedAt: this.lastPublishedAt, error: this.lastError };
  }

  private applied(batch: AppliedBatch): void {
    this.setBaseline();
    for (const table of batch.tables) {
      const previous = this.versions.get(table);
      if (previous === undefined || batch.lsn > previous) this.versions.set(table, batch.lsn);
    }
    this.enqueue(batch);
  }

  /**
   * Tables untouched since this process started get the LSN applied once the snapshot is whole:
   * their data is at least that new, and a version higher than what an earlier run published
   * only costs a cache miss.
   */
  private setBaseline(): void {
    if (this.baselineSet) return;
    const { appliedLsn, snapshotDone } = this.source.freshness();
    if (appliedLsn === null || !snapshotDone) return;
    const baseline = parseLsn(appliedLsn);
    for (const table of this.options.tables) if (!this.versions.has(table)) this.versions.set(table, baseline);
    this.baselineSet = true;
  }

  private enqueue(batch: AppliedBatch | null, override?: Partial<IngestStatus>): void {
    if (batch) {
      const pending = (this.pending ??= { tables: new Set(), lsn: 0n, commitTime: batch.commitTime, changes: 0 });
      for (const table of batch.tables) pending.tables.add(table);
      if (batch.lsn > pending.lsn) pending.lsn = batch.lsn;
      if (batch.commitTime > pending.commitTime) pending.commitTime = batch.commitTime;
      pending.changes += batch.changes;
    }
    this.chain = this.chain.then(() => this.write(override));
  }

  /** One MULTI: versions, status, and the pending notice; on failure the notice stays pending. */
  private async write(override?: Partial<IngestStatus>): Promise<void> {
    if (this.stopped && override === undefined) return;
    if (!this.client.isReady) {
      if (this.pending) this.lastError ??= 'redis not connected';
      return;
    }
    this.setBaseline();
    const notice = this.pending;
    this.pending = null;
    const freshness = this.source.freshness();
    const status: PublishedStatus = {
      status: { ...(this.source.status() as IngestStatus), ...override },
      snapshotDone: freshness.snapshotDone,
      snapshotStartedAt: freshness.snapshotStartedAt,
      tables: [...this.options.tables],
      publishedAt: new Date().toISOString(),
    };
    const multi = this.client.multi();
    if (this.versions.size > 0) {
      const fields: Record<string, string> = {};
      for (const [table, lsn] of this.versions) fields[table] = lsn.toString();
      multi.hSet(this.keys.versions, fields).pExpire(this.keys.versions, this.options.versionsTtlMs);
    }
    multi.set(this.keys.status, JSON.stringify(status), { expiration: { type: 'PX', value: this.options.statusTtlSeconds * 1000 } });
    if (notice) {
      const message: PublishedNotice = {
        tables: [...notice.tables],
        lsn: notice.lsn.toString(),
        commitTime: notice.commitTime.toISOString(),
        changes: notice.changes,
      };
      multi.publish(this.keys.channel, JSON.stringify(message));
    }
    try {
      await multi.exec();
      if (this.lastError !== null) this.logger.log({ message: 'ingest feed published again', redis_error_was: this.lastError });
      this.lastError = null;
      this.lastPublishedAt = status.publishedAt;
    } catch (error) {
      if (notice) this.restore(notice);
      this.failed('publish', error);
    }
  }

  private restore(notice: NonNullable<RedisFeedPublisher['pending']>): void {
    if (!this.pending) {
      this.pending = notice;
      return;
    }
    for (const table of notice.tables) this.pending.tables.add(table);
    if (notice.lsn > this.pending.lsn) this.pending.lsn = notice.lsn;
    if (notice.commitTime > this.pending.commitTime) this.pending.commitTime = notice.commitTime;
    this.pending.changes += notice.changes;
  }

  private failed(operation: string, error: unknown): void {
    const message = errorMessage(error);
    // Once per distinct failure: node-redis retries every 2 s while Redis is away.
    if (message !== this.lastError) this.logger.warn({ message: 'ingest feed not published (the API processes cannot see new batches until it is)', operation, error: message });
    this.lastError = message;
  }
}

export interface RedisFeedOptions {
  redisUrl: string;
  scope: string;
  /** The ingest's status TTL: without a live status for this long, the feed says 'stale'. */
  statusTtlSeconds: number;
}

const NO_STATUS: FeedStatus = {
  state: 'stale',
  snapshot: { status: 'pending', table: null, rowsDone: 0, rowsTotal: 0, rowsPerSecond: 0, etaSeconds: null, startedAt: null, finishedAt: null },
  appliedLsn: null,
  dataAsOf: null,
  lastBatchAt: null,
  transactionsApplied: 0,
  changesApplied: 0,
  lastError: null,
};

/** API side: the feed of an ingest running in another process. */
export class RedisIngestFeed implements IngestFeed {
  readonly source = 'remote';
  private readonly logger = new Logger('statistics.ingest');
  private readonly keys: ReturnType<typeof feedKeys>;
  private readonly client: RedisClient;
  private readonly subscriber: RedisClient;
  private readonly listeners = new Set<AppliedListener>();
  private readonly pollMs: number;
  private poller: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  /** The last status read, and when (local clock): older than the TTL means stale. */
  private latest: PublishedStatus | null = null;
  private latestReadAt = 0;
  /** Version of each table already reported to the listeners (null until the first read: the past is not news). */
  private seen: Map<string, bigint> | null = null;
  /** The subscriber was disconnected: notices may have been missed; report every table once. */
  private resync = false;
  private subscriberLost = false;
  private lastError: string | null = null;
  private closed = false;
  private readonly readyWaiters = new Set<() => void>();

  private constructor(private readonly options: RedisFeedOptions) {
    this.keys = feedKeys(options.scope);
    this.pollMs = Math.min(1000, Math.max(100, (options.statusTtlSeconds * 1000) / 5));
    this.client = openClient(options.redisUrl, (error) => this.failed('connection', error));
    this.subscriber = openClient(options.redisUrl, (error) => {
      this.subscriberLost = true;
      this.failed('subscriber', error);
    });
    this.subscriber.on('ready', () => {
      if (!this.subscriberLost) return;
      this.subscriberLost = false;
      this.resync = true;
      void this.refresh();
    });
  }

  /**
   * Connects (a Redis that does not answer yet does not stop the API: the feed says 'stale' and
   * keeps trying), subscribes, and reads the status once.
   */
  static async open(options: RedisFeedOptions): Promise<RedisIngestFeed> {
    const feed = new RedisIngestFeed(options);
    feed.client.connect().catch((error: unknown) => feed.failed('connect', error));
    // node-redis renews the subscription by itself after a reconnection.
    const subscribed = feed.subscriber
      .connect()
      .then(() => feed.subscriber.subscribe(feed.keys.channel, (message) => feed.notice(message)))
      .catch((error: unknown) => {
        feed.subscriberLost = true;
        feed.failed('subscribe', error);
      });
    await Promise.race([subscribed, new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
    await feed.refresh();
    // Not read at all (Redis away): whatever is found later is reported as changed, conservatively.
    feed.seen ??= new Map();
    feed.poller = setInterval(() => void feed.refresh(), feed.pollMs);
    return feed;
  }

  freshness(): IngestFreshness {
    const latest = this.live();
    if (!latest) {
      // The last known data time and snapshot still describe what ClickHouse holds (it does not
      // change while nobody ingests): statistics stay exact as of then; readiness says stale.
      return {
        state: 'stale',
        appliedLsn: this.latest?.status.appliedLsn ?? null,
        dataAsOf: this.latest?.status.dataAsOf ?? null,
        snapshotDone: this.latest?.snapshotDone ?? false,
        snapshotStartedAt: this.latest?.snapshotStartedAt ?? null,
      };
    }
    const { state, appliedLsn, dataAsOf } = latest.status;
    return { state, appliedLsn, dataAsOf, snapshotDone: latest.snapshotDone, snapshotStartedAt: latest.snapshotStartedAt };
  }

  status(): FeedStatus {
    const latest = this.live();
    if (latest) return structuredClone(latest.status);
    const known = this.latest ? structuredClone(this.latest.status) : structuredClone(NO_STATUS);
    return { ...known, state: 'stale', lastError: this.lastError ?? 'no status from the ingest within its TTL' };
  }

  onApplied(listener: AppliedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once the ingest reports its snapshot done and changes streaming. */
  whenStreaming(): Promise<void> {
    if (this.streaming()) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.add(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.poller) clearInterval(this.poller);
    await this.polling;
    // destroy, not close: close waits for pending commands, which never end while Redis is down.
    if (this.client.isOpen) this.client.destroy();
    if (this.subscriber.isOpen) this.subscriber.destroy();
  }

  private streaming(): boolean {
    const { state, snapshotDone } = this.freshness();
    return state === 'streaming' && snapshotDone;
  }

  private live(): PublishedStatus | null {
    return this.latest && Date.now() - this.latestReadAt <= this.options.statusTtlSeconds * 1000 ? this.latest : null;
  }

  /** One poll at a time; a poll that fails leaves the last status to age into 'stale'. */
  private refresh(): Promise<void> {
    this.polling ??= this.read().finally(() => {
      this.polling = null;
    });
    return this.polling;
  }

  private async read(): Promise<void> {
    if (this.closed || !this.client.isReady) return;
    let raw: string | null;
    let versions: Record<string, string>;
    try {
      const replies = await this.client.multi().get(this.keys.status).hGetAll(this.keys.versions).exec();
      raw = replies[0] as unknown as string | null;
      versions = (replies[1] ?? {}) as unknown as Record<string, string>;
    } catch (error) {
      this.failed('read status', error);
      return;
    }
    if (raw === null) {
      // Expired (no heartbeat within the TTL) or never written: stale now, not a TTL after our last read.
      this.latestReadAt = 0;
    } else {
      // Only a live key counts: an expired one is gone, so a value read now was refreshed within the TTL.
      this.latest = JSON.parse(raw) as PublishedStatus;
      this.latestReadAt = Date.now();
      if (this.lastError !== null) this.logger.log({ message: 'ingest feed readable again', redis_error_was: this.lastError });
      this.lastError = null;
    }
    const current = new Map(Object.entries(versions).map(([table, lsn]) => [table, BigInt(lsn)]));
    if (this.seen === null) {
      this.seen = current;
    } else if (this.resync && this.latest) {
      this.resync = false;
      this.logger.log({ message: 'ingest notices may have been missed while Redis was away: every table reported as changed' });
      const lsn = [...current.values()].reduce((max, value) => (value > max ? value : max), 0n);
      for (const [table, version] of current) this.seen.set(table, version);
      this.emit({ tables: [...new Set([...this.latest.tables, ...current.keys()])], lsn, commitTime: this.commitTime(), changes: 0 });
    } else {
      // Versions that moved without a notice reaching us (or before it does): reported now.
      const moved = this.advance(current);
      if (moved) this.emit({ ...moved, commitTime: this.commitTime(), changes: 0 });
    }
    if (this.streaming()) {
      for (const resolve of this.readyWaiters) resolve();
      this.readyWaiters.clear();
    }
  }

  private notice(message: string): void {
    let parsed: PublishedNotice;
    try {
      parsed = JSON.parse(message) as PublishedNotice;
    } catch (error) {
      this.logger.error({ message: 'unreadable ingest notice ignored (the next poll reports its tables)', error: errorMessage(error) });
      return;
    }
    const lsn = BigInt(parsed.lsn);
    const moved = this.advance(new Map(parsed.tables.map((table) => [table, lsn])));
    // A notice is news only for the tables whose version it moves (a poll may have reported them already).
    if (moved) this.emit({ tables: moved.tables, lsn, commitTime: new Date(parsed.commitTime), changes: parsed.changes });
    // The notice says more recent data is in: do not wait for the poll to say how fresh it is.
    if (this.latest && this.seen !== null) {
      const applied = this.latest.status.appliedLsn === null ? 0n : parseLsn(this.latest.status.appliedLsn);
      if (lsn > applied) {
        this.latest = { ...this.latest, status: { ...this.latest.status, appliedLsn: formatLsn(lsn), dataAsOf: parsed.commitTime } };
      }
    }
  }

  /** Marks the versions in `versions` that are newer than what was reported; null when none is. */
  private advance(versions: ReadonlyMap<string, bigint>): { tables: string[]; lsn: bigint } | null {
    if (this.seen === null) return null;
    const tables: string[] = [];
    let lsn = 0n;
    for (const [table, version] of versions) {
      const seen = this.seen.get(table);
      if (seen !== undefined && seen >= version) continue;
      this.seen.set(table, version);
      tables.push(table);
      if (version > lsn) lsn = version;
    }
    return tables.length > 0 ? { tables, lsn } : null;
  }

  private commitTime(): Date {
    const dataAsOf = this.latest?.status.dataAsOf;
    return dataAsOf ? new Date(dataAsOf) : new Date();
  }

  private emit(batch: AppliedBatch): void {
    for (const listener of this.listeners) {
      try {
        listener(batch);
      } catch (error) {
        // A listener's fault must not keep the others from hearing of the batch.
        this.logger.error({ message: 'ingest feed listener failed', error: errorMessage(error) });
      }
    }
  }

  private failed(operation: string, error: unknown): void {
    const message = errorMessage(error);
    if (message !== this.lastError) this.logger.warn({ message: 'ingest feed unreadable: the ingest shows as stale once its status is older than its TTL', operation, error: message });
    this.lastError = message;
  }
}
