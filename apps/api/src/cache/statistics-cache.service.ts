// The statistics cache: serves a result computed earlier while none of the tables it reads has
// changed, computes it (once per key at a time) otherwise, and never lets a cache fault change an
// answer: when Redis fails the figures come from ClickHouse, uncached, and the fault is logged
// and shown on /health.
//
// Invalidation is by versioning, not eviction. Each replicated table has a version: the LSN of
// the last ingest batch that touched it (or, for a table untouched since this process started,
// the LSN the ingest had applied then). A key holds the versions of the tables its result
// depends on, so the first request after a batch lands looks up a new key and recomputes; old
// entries are never read again and expire with their TTL. LSNs rather than counters because they
// are the same number in every process, never go back (a Redis that lost its data cannot hand out
// an old counter value again and resurrect an old entry), and the maximum of two is meaningful.
// With Redis the versions are also published in a hash (read on each lookup, max with ours) so
// that API processes without the ingest see the changes; the snapshot's start time is part of
// the versions, so a re-snapshot (e.g. a reset demo) never meets entries of the previous data.
import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import { currentEngineContext, EngineBusyError, raiseEngineContext, withEngineContext, withoutSignal, type EngineContext } from '../../../../libs/clickhouse/src/admission.js';
import type { AppConfig } from '../../../../libs/config/src/config.js';
import { parseLsn, type AppliedBatch, type IngestFeed } from '../../../../libs/ingest-feed/src/feed.js';
import { APP_CONFIG, CACHE_BACKEND, INGEST } from '../tokens.js';
import { type CacheBackend, type CacheBackendKind, withRedisTimeout } from './cache-backend.js';
import { staleVerdict } from './bounded-staleness.js';
import { canonicalFilters, entryPattern, entryPrefix, statisticsCacheKey, versionsDigest, versionsKey, type Filters } from './cache-key.js';
import { errorMessage } from '../../../../libs/errors/src/error-message.js';
import { logBackgroundFailure } from '../engine/background-failure.js';
import { UnavailableError } from '../errors/domain-errors.js';

export interface CachedResult<T> {
  value: T;
  /** True when served from the cache. */
  cached: boolean;
  /** ISO-8601 UTC instant the computation of `value` started. */
  generatedAt: string;
  /** Ingest commit time the figures reflect (at least), null before any change was applied. */
  dataAsOf: string | null;
  /** Served under a staleness bound although changes landed since it was computed. */
  stale?: boolean;
}

export interface LookupOptions {
  /** The client accepts an answer computed up to this long ago even if data changed since (0 = fresh only). */
  maxStaleMs?: number;
}

interface CacheEntry<T> {
  value: T;
  generatedAt: string;
  dataAsOf: string | null;
}

export interface CacheHealth {
  ok: boolean;
  backend: CacheBackendKind;
  /** Redis given by REDIS_URL (an outage degrades the service) rather than found at boot. */
  configured: boolean;
  location: string | null;
  ttl_seconds: number;
  error?: string;
}

/** Counters for /health and for tests (e.g. that concurrent misses computed once). */
export interface CacheCounters {
  hits: number;
  misses: number;
  computations: number;
  redisErrors: number;
  /** Requests that waited for the next computation of their answer rather than start one (data changed meanwhile). */
  sharedNext: number;
  /** Answers served stale within the client's bound (Cache-Control: max-stale). */
  staleServed: number;
  /** Computations started in the background because a stale answer served was half as old as its client allows. */
  refreshedAhead: number;
  /** Of those, the ones that failed (most often refused by a busy engine; the next stale answer served tries again). */
  refreshFailures: number;
}

/** A purge could not reach the store: nothing may be reported as purged. */
export class CacheUnavailableError extends UnavailableError {
  constructor(cause: unknown) {
    super(`statistics cache unavailable: ${errorMessage(cause)}`);
    this.name = 'CacheUnavailableError';
  }
}

const noop = (): void => undefined;

/** A lookup under way, shared by every request for the same key. */
interface SharedLookup {
  promise: Promise<CachedResult<unknown>>;
  /** Aborted when the last waiting request has gone: its queued queries give up their place. */
  controller: AbortController;
  waiters: number;
  /** The engine context its queries run under, raised to the most urgent request waiting for it. */
  context: EngineContext | undefined;
  cost: SharedCost;
}

/**
 * The engine time of a computation several requests share, charged in full to each of them that
 * keeps an account: a live room's budget must count what keeping it fresh costs, whoever started
 * the computation it joined.
 */
class SharedCost {
  readonly account = { busyMs: 0 };
  private readonly payers = new Set<{ busyMs: number }>();

  add(context: EngineContext | undefined): void {
    if (context?.account && context.account !== this.account) this.payers.add(context.account);
  }

  charge(): void {
    for (const payer of this.payers) payer.busyMs += this.account.busyMs;
  }
}


/** Pseudo-table carrying the snapshot generation among the versions. */
const SNAPSHOT_VERSION = '_snapshot';

/** Entries kept in process in front of Redis (a dashboard asks for a few dozen keys). */
const LOCAL_ENTRIES = 256;

@Injectable()
export class StatisticsCacheService implements OnModuleDestroy {
  private readonly logger = new Logger('statistics.cache');
  /** Separates data sources sharing a Redis: one replication slot = one source. */
  private readonly scope: string;
  private readonly ttlMs: number;
  /** LSN of the last applied batch touching each table, as seen by this process. */
  private readonly tableVersions = new Map<string, bigint>();
  /** Applied LSN when versions were first needed: the version of tables untouched since. */
  private baseline: bigint | null = null;
  /** Single-flight: the lookup under way for each key, shared by concurrent identical requests. */
  private readonly inFlight = new Map<string, SharedLookup>();
  /**
   * Per answer (endpoint and filters, whatever the versions): the lookup under way and the one
   * queued behind it for requests that arrived after a change (see getOrCompute).
   */
  private readonly computing = new Map<
    string,
    { key: string; done: Promise<void>; next: Promise<CachedResult<unknown>> | null; nextContext: EngineContext | undefined; nextCost: SharedCost }
  >();
  /** The latest answer per endpoint and filters, and the key it was computed under. */
  private readonly recent = new Map<string, { key: string | null; result: CachedResult<unknown> }>();
  private readonly counters: CacheCounters = {
    hits: 0,
    misses: 0,
    computations: 0,
    redisErrors: 0,
    sharedNext: 0,
    staleServed: 0,
    refreshedAhead: 0,
    refreshFailures: 0,
  };
  /**
   * In-process copy of Redis entries read or written here, so a hit costs no round trip. Safe
   * because keys carry the versions: a copy can only be served for the exact data it was computed
   * on. Used only while Redis is connected, so an outage still shows as such (and answers come
   * from ClickHouse, as the entries' home is down).
   */
  private readonly local = new Map<string, { entry: CacheEntry<unknown>; expiresAt: number }>();
  /** Bumped whenever a table version moves: keys computed before are stale. */
  private generation = 0;
  /** Keys already derived for the current versions (a digest per request is measurable at 10k/s). */
  private readonly keys = new Map<string, { generation: number; snapshot: string; key: string }>();
  private readonly onApplied = (batch: AppliedBatch): void => this.recordBatch(batch);
  /** Ends the subscription to the ingest feed's batches. */
  private stopListening: (() => void) | null = null;
  private readonly onRedisReady = (): void => void this.publishVersions([...this.tableVersions.keys()]);

  constructor(
    @Inject(CACHE_MANAGER) private readonly cache: Cache,
    @Inject(CACHE_BACKEND) private readonly backend: CacheBackend,
    @Inject(INGEST) private readonly ingest: IngestFeed,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.scope = config.replicationSlot;
    this.ttlMs = config.statisticsCacheTtlSeconds * 1000;
    if (backend.kind !== 'disabled') this.stopListening = this.ingest.onApplied(this.onApplied);
    // Versions bumped while Redis was away are published again when it returns, else other
    // processes would keep using the older versions and serve entries older than the data.
    backend.redis?.on('ready', this.onRedisReady);
    // cache-manager turns a store error on get() into a miss and reports it only as an event.
    this.cache.on('get', (event: { error?: unknown }) => {
      if (event.error !== undefined) this.redisFailure('get', event.error);
    });
  }

  onModuleDestroy(): Promise<void> {
    this.stopListening?.();
    this.backend.redis?.off('ready', this.onRedisReady);
    return this.backend.close();
  }

  /**
   * The cached result of `endpoint` with `filters` if none of `tables` changed since it was
   * computed, else `compute()` (run once per key however many requests wait for it). Errors of
   * `compute` propagate; errors of the cache are logged and the result is computed.
   */
  async getOrCompute<T>(
    endpoint: string,
    filters: Filters,
    tables: readonly string[],
    compute: () => Promise<T>,
    options: LookupOptions = {},
  ): Promise<CachedResult<T>> {
    if (this.backend.kind === 'disabled') return this.computeFresh(compute);
    const status = this.ingest.freshness();
    // Nothing applied yet: no versions, so an entry's freshness could not be proven.
    if (status.appliedLsn === null || status.snapshotStartedAt === null) return this.computeFresh(compute);
    let shared: Map<string, bigint> | null;
    try {
      // While this process streams the changes, its versions are the latest there are (it holds
      // the replication slot; the published ones are its own, or older from before a restart).
      // An ingest in another process writes them to Redis before it tells anyone (SERVICE_ROLE=api).
      shared = status.state === 'streaming' && this.ingest.source === 'in-process' ? new Map() : await this.sharedVersions(tables);
    } catch (error) {
      // Redis is failing: skip the store (each call would wait for its timeout) but still let
      // concurrent identical requests share one computation, keyed on our own versions.
      this.redisFailure('read versions', error);
      shared = null;
    }
    const key = this.keyFor(endpoint, filters, tables, status.appliedLsn, status.snapshotStartedAt, shared ?? new Map());
    const answer = `${endpoint}\u0000${canonicalFilters(filters)}`;
    const recent = this.recent.get(answer);
    const maxStaleMs = options.maxStaleMs ?? 0;
    const ageMs = recent ? Date.now() - Date.parse(recent.result.generatedAt) : Infinity;
    const verdict = staleVerdict(ageMs, maxStaleMs);
    if (verdict !== 'too-old' && recent && recent.key !== null && recent.key !== key) {
      // The client prefers speed within its bound: the last answer, said to be stale (the current
      // one computed in the background from half the bound on: bounded-staleness.ts).
      this.counters.staleServed++;
      if (verdict === 'serve-and-refresh' && !this.computing.has(answer)) {
        this.refreshAhead(() => this.fresh(endpoint, filters, tables, compute, key, answer, shared), answer, maxStaleMs);
      }
      return { ...(recent.result as CachedResult<T>), cached: true, stale: true };
    }
    const [pending, computedUnder] = this.fresh(endpoint, filters, tables, compute, key, answer, shared);
    return this.remember(answer, computedUnder, pending);
  }

  /**
   * Starts `start` (a fresh computation of `answer`) for no request in particular: the current
   * request may leave without cancelling it, and its queries may wait `extraWaitMs` longer for a
   * turn than the request's (work refused halfway is wasted; it serves every client of the answer
   * until its bound runs out). Its failure is counted and logged; the next stale answer served
   * starts another.
   */
  private refreshAhead(start: () => [Promise<CachedResult<unknown>>, string | null], answer: string, extraWaitMs: number): void {
    this.counters.refreshedAhead++;
    const requester = currentEngineContext();
    const run = (): Promise<unknown> => {
      const [pending, computedUnder] = start();
      return this.remember(answer, computedUnder, pending);
    };
    const context = requester && { ...withoutSignal(requester), deadline: requester.deadline + extraWaitMs };
    (context ? withEngineContext(context, run) : run()).catch((error: unknown) => {
      this.counters.refreshFailures++;
      logBackgroundFailure(this.logger, 'background refresh of a stale answer failed', error, { endpoint: answer.split('\u0000')[0] });
    });
  }

  /**
   * Keeps the latest answer per endpoint and filters (bounded), for clients that accept stale ones.
   * `key` null: computed under versions not known here (a queued next computation), never served stale.
   */
  private async remember<T>(answer: string, key: string | null, pending: Promise<CachedResult<T>>): Promise<CachedResult<T>> {
    const result = await pending;
    const known = this.recent.get(answer);
    // A cache hit of the answer already kept (the common case at thousands of requests a second): nothing to do.
    if (known && known.key === key && known.result.generatedAt === result.generatedAt) return result;
    if (!known || Date.parse(known.result.generatedAt) <= Date.parse(result.generatedAt)) {
      this.recent.delete(answer);
      if (this.recent.size >= LOCAL_ENTRIES) this.recent.delete(this.recent.keys().next().value!);
      this.recent.set(answer, { key, result });
    }
    return result;
  }

  private fresh<T>(
    endpoint: string,
    filters: Filters,
    tables: readonly string[],
    compute: () => Promise<T>,
    key: string,
    answer: string,
    shared: Map<string, bigint> | null,
  ): [Promise<CachedResult<T>>, string | null] {
    const running = this.inFlight.get(key);
    if (running) return [untilDeadline(this.join(running) as Promise<CachedResult<T>>), key];
    const earlier = this.computing.get(answer);
    if (earlier && earlier.key !== key && !this.readLocal(key)) {
      // The same answer is being computed on older versions (a change landed since it began). Under
      // constant writes every request would start its own computation; instead wait for the next
      // one, started when that one ends, whose data is at least as new as this request's arrival
      // and which every request arriving meanwhile shares: at most two per answer at any time.
      this.counters.sharedNext++;
      const requester = currentEngineContext();
      earlier.nextCost.add(requester);
      if (earlier.next) raiseEngineContext(earlier.nextContext!, requester);
      else {
        // Several requests wait for it: no single one's departure may cancel it.
        const { nextCost } = earlier;
        const context = requester && { ...withoutSignal(requester), account: nextCost.account };
        earlier.nextContext = context;
        const next = (): Promise<CachedResult<unknown>> => this.getOrCompute(endpoint, filters, tables, compute);
        earlier.next = earlier.done.then(() => (context ? withEngineContext(context, next) : next())).finally(() => nextCost.charge());
      }
      // (Its key is not known yet: computed when it starts, on the versions of that moment.)
      return [untilDeadline(earlier.next as Promise<CachedResult<T>>), null];
    }
    // The computation's queries give up their place in the engine's queue only when every request
    // waiting for them has gone (one abandoned request must not fail the others).
    const requester = currentEngineContext();
    const controller = new AbortController();
    const cost = new SharedCost();
    const context = requester ? { ...requester, signal: controller.signal, account: cost.account } : undefined;
    const start = (): Promise<CachedResult<T>> => (shared === null ? this.computeFresh(compute) : this.lookup(key, compute));
    const work = context ? withEngineContext(context, start) : start();
    const lookup: SharedLookup = {
      controller,
      waiters: 0,
      context,
      cost,
      promise: work.finally(() => {
        cost.charge();
        this.inFlight.delete(key);
        if (this.computing.get(answer)?.key === key) this.computing.delete(answer);
      }),
    };
    this.inFlight.set(key, lookup);
    this.computing.set(answer, { key, done: lookup.promise.then(noop, noop), next: null, nextContext: undefined, nextCost: new SharedCost() });
    return [untilDeadline(this.join(lookup) as Promise<CachedResult<T>>), key];
  }

  /** Counts the current request among those waiting for `lookup`, until it leaves or is answered. */
  private join(lookup: SharedLookup): Promise<CachedResult<unknown>> {
    const joiner = currentEngineContext();
    lookup.cost.add(joiner);
    if (lookup.context) raiseEngineContext(lookup.context, joiner);
    const signal = joiner?.signal;
    lookup.waiters++;
    if (!signal) return lookup.promise;
    const leave = (): void => {
      lookup.waiters--;
      if (lookup.waiters === 0) lookup.controller.abort();
    };
    if (signal.aborted) leave();
    else {
      signal.addEventListener('abort', leave, { once: true });
      void lookup.promise.then(
        () => signal.removeEventListener('abort', leave),
        () => signal.removeEventListener('abort', leave),
      );
    }
    return lookup.promise;
  }

  /** Deletes every entry of this data source (our prefix and scope only: the Redis may be shared). */
  async purge(): Promise<{ purged: number }> {
    // This process's copies go too (other API processes keep theirs until the data changes or
    // the TTL ends: their keys carry the versions, so they never serve older data than Redis would).
    this.local.clear();
    let purged = 0;
    if (this.backend.memory) {
      const prefix = entryPrefix(this.scope);
      for (const key of [...this.backend.memory.keys()]) {
        if (key.startsWith(prefix) && this.backend.memory.delete(key)) purged++;
      }
    } else if (this.backend.redis) {
      const redis = this.backend.redis;
      try {
        // SCAN, not KEYS: it does not block a shared Redis. Deleted batch by batch as found.
        for await (const keys of redis.scanIterator({ MATCH: entryPattern(this.scope), COUNT: 500 })) {
          if (keys.length > 0) purged += await withRedisTimeout('purge', redis.unlink(keys));
        }
      } catch (error) {
        this.redisFailure('purge', error);
        throw new CacheUnavailableError(error);
      }
      this.backend.failures?.success();
    }
    this.logger.log({ message: 'statistics cache purged', purged, backend: this.backend.kind });
    return { purged };
  }

  health(): CacheHealth {
    const failures = this.backend.failures;
    const ok = failures === null || (failures.ok && this.backend.redis?.isReady === true);
    const error = failures?.error ?? (ok ? null : 'redis not connected');
    return {
      ok,
      backend: this.backend.kind,
      configured: this.backend.configured,
      location: this.backend.location,
      ttl_seconds: this.ttlMs / 1000,
      ...(error ? { error } : {}),
    };
  }

  stats(): Readonly<CacheCounters> {
    return { ...this.counters };
  }

  private async lookup<T>(key: string, compute: () => Promise<T>): Promise<CachedResult<T>> {
    const copy = this.readLocal<T>(key);
    if (copy) {
      this.counters.hits++;
      return { ...copy, cached: true };
    }
    const entry = await this.read<T>(key);
    if (entry) {
      this.counters.hits++;
      this.writeLocal(key, entry);
      return { ...entry, cached: true };
    }
    this.counters.misses++;
    const fresh = await this.computeFresh(compute);
    const computed = { value: fresh.value, generatedAt: fresh.generatedAt, dataAsOf: fresh.dataAsOf };
    if (await this.write(key, computed)) this.writeLocal(key, computed);
    return fresh;
  }

  private readLocal<T>(key: string): CacheEntry<T> | undefined {
    const copy = this.local.get(key);
    if (!copy) return undefined;
    if (copy.expiresAt <= Date.now() || this.backend.redis?.isReady !== true) {
      this.local.delete(key);
      return undefined;
    }
    return copy.entry as CacheEntry<T>;
  }

  /** Redis only (the memory store is in process already); expires when the Redis entry does. */
  private writeLocal<T>(key: string, entry: CacheEntry<T>): void {
    if (!this.backend.redis) return;
    if (this.local.size >= LOCAL_ENTRIES) this.local.delete(this.local.keys().next().value!);
    this.local.set(key, { entry, expiresAt: Date.parse(entry.generatedAt) + this.ttlMs });
  }

  private async computeFresh<T>(compute: () => Promise<T>): Promise<CachedResult<T>> {
    // Read before computing: ClickHouse holds at least this much when the queries run.
    const dataAsOf = this.ingest.freshness().dataAsOf;
    const generatedAt = new Date().toISOString();
    this.counters.computations++;
    const value = await compute();
    return { value, cached: false, generatedAt, dataAsOf };
  }

  private async read<T>(key: string): Promise<CacheEntry<T> | undefined> {
    try {
      return await withRedisTimeout('get', this.cache.get<CacheEntry<T>>(key));
    } catch (error) {
      this.redisFailure('get', error);
      return undefined;
    }
  }

  /** Stores the entry; false when the store refused it. */
  private async write<T>(key: string, entry: CacheEntry<T>): Promise<boolean> {
    if (this.backend.memory) this.dropOlderVersions(this.backend.memory, key);
    try {
      await withRedisTimeout('set', this.cache.set(key, entry, this.ttlMs));
      this.backend.failures?.success();
      return true;
    } catch (error) {
      this.redisFailure('set', error);
      return false;
    }
  }

  /**
   * Memory only: the entries of the same endpoint and filters under older versions can never be
   * read again, and the in-memory store drops an expired entry only when it is read, so without
   * this every change would leave one dead response in the heap. (Redis expires them itself.)
   */
  private dropOlderVersions(memory: Map<string, unknown>, key: string): void {
    const stem = key.slice(0, key.lastIndexOf(':v=') + ':v='.length);
    for (const stored of memory.keys()) {
      if (stored !== key && stored.startsWith(stem)) memory.delete(stored);
    }
  }

  private keyFor(
    endpoint: string,
    filters: Filters,
    tables: readonly string[],
    appliedLsn: string,
    snapshotStartedAt: string,
    shared: ReadonlyMap<string, bigint>,
  ): string {
    if (this.baseline === null) {
      this.baseline = parseLsn(appliedLsn);
      this.generation++;
    }
    // Without published versions the key depends only on ours: reuse it until one moves.
    const memo = shared.size === 0 ? `${endpoint}\u0000${canonicalFilters(filters)}\u0000${tables.join(',')}` : null;
    const known = memo === null ? undefined : this.keys.get(memo);
    if (known && known.generation === this.generation && known.snapshot === snapshotStartedAt) return known.key;
    const versions = new Map<string, string>([[SNAPSHOT_VERSION, snapshotStartedAt]]);
    for (const table of tables) {
      // An ingest in another process publishes a version for every table (untouched ones: its own
      // start) before it tells anyone of a batch: that one alone, so that API replicas started at
      // different times (or told of a catch-up, which names every table) share keys. Ours stand in
      // only where nothing was published (a Redis that restarted empty, until the next heartbeat).
      const published = this.ingest.source === 'remote' ? shared.get(table) : undefined;
      const candidates = published !== undefined ? [published] : [this.baseline, this.tableVersions.get(table), shared.get(table)];
      const latest = candidates.reduce<bigint>((max, lsn) => (lsn !== undefined && lsn > max ? lsn : max), 0n);
      versions.set(table, latest.toString());
    }
    const key = statisticsCacheKey({
      scope: this.scope,
      endpoint,
      filters,
      versions: versionsDigest(versions, [SNAPSHOT_VERSION, ...tables]),
    });
    if (memo !== null) {
      if (this.keys.size >= 1000) this.keys.clear();
      this.keys.set(memo, { generation: this.generation, snapshot: snapshotStartedAt, key });
    }
    return key;
  }

  /** Versions other processes published (Redis only); a Redis error propagates. */
  private async sharedVersions(tables: readonly string[]): Promise<Map<string, bigint>> {
    const shared = new Map<string, bigint>();
    if (!this.backend.redis || tables.length === 0) return shared;
    const values = await withRedisTimeout('read versions', this.backend.redis.hmGet(versionsKey(this.scope), [...tables]));
    values.forEach((value, index) => {
      if (value !== null && value !== undefined) shared.set(tables[index]!, BigInt(String(value)));
    });
    return shared;
  }

  private recordBatch(batch: AppliedBatch): void {
    this.generation++;
    for (const table of batch.tables) {
      const previous = this.tableVersions.get(table);
      if (previous === undefined || batch.lsn > previous) this.tableVersions.set(table, batch.lsn);
    }
    void this.publishVersions(batch.tables);
  }

  /**
   * Writes our versions of `tables` to the shared hash. The ingesting process is the only writer
   * (it owns the replication slot) and LSNs only grow, so a plain HSET keeps the hash current.
   * A failure is logged; our own lookups still use the local versions.
   */
  private async publishVersions(tables: readonly string[]): Promise<void> {
    const redis = this.backend.redis;
    // A remote ingest publishes them itself (libs/ingest-feed/src/redis-feed.ts), and ours could be older.
    if (!redis || tables.length === 0 || this.ingest.source !== 'in-process') return;
    const fields: Record<string, string> = {};
    for (const table of tables) {
      const version = this.tableVersions.get(table);
      if (version !== undefined) fields[table] = version.toString();
    }
    if (Object.keys(fields).length === 0) return;
    try {
      // Expires well after the entries it can describe (refreshed on each batch), so the hashes
      // of data sources that are gone (e.g. test runs, each with its own slot) do not pile up.
      const key = versionsKey(this.scope);
      await withRedisTimeout('publish versions', redis.multi().hSet(key, fields).pExpire(key, 2 * this.ttlMs + 60_000).exec());
    } catch (error) {
      this.redisFailure('publish versions', error);
    }
  }

  private redisFailure(operation: string, error: unknown): void {
    this.counters.redisErrors++;
    if (this.backend.failures) this.backend.failures.failure(operation, error);
    // The memory store cannot fail short of a bug: say so loudly rather than count it as a miss.
    else this.logger.error({ message: 'statistics cache store failed', operation, error: errorMessage(error) });
  }
}

/**
 * A shared computation as the current request sees it: refused at the request's own deadline if not
 * done by then (a more urgent request joining it may have given it a later one).
 */
function untilDeadline<T>(shared: Promise<T>): Promise<T> {
  const deadline = currentEngineContext()?.deadline;
  if (deadline === undefined) return shared;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new EngineBusyError('deadline', 2, 'the analytics engine is busy: the answer was not ready before the deadline; retry shortly')),
      Math.max(0, deadline - Date.now()),
    );
    shared.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
