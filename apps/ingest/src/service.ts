// SERVICE_ROLE=ingest: the CDC ingest as a service of its own, beside API processes
// (SERVICE_ROLE=api) that share its ClickHouse server and Redis. It applies the migrations (under
// the lock every process takes), streams the operational database into ClickHouse, publishes its
// feed to Redis (libs/ingest-feed/src/redis-feed.ts), and answers a small HTTP server:
//   GET /health         liveness (the event loop answers)
//   GET /health/ready   200 once the snapshot is done, changes stream and the feed reaches Redis;
//                       else 503 with reason codes (as the API's readiness: no hosts, LSNs, errors)
//   GET /metrics        Prometheus text with Bearer METRICS_TOKEN (404 when no token is configured)
import { timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Logger } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { ClickHouse } from '../../../libs/clickhouse/src/clickhouse.js';
import { openStorage } from '../../../libs/lifecycle/src/open-storage.js';
import { ConfigError, type AppConfig } from '../../../libs/config/src/config.js';
import { StopSequence } from '../../../libs/lifecycle/src/stop-sequence.js';
import { RedisFeedPublisher } from '../../../libs/ingest-feed/src/redis-feed.js';
import { Ingest, ingestSettings } from './ingest.js';
import { REPLICATED_TABLE_NAMES } from '../../../libs/ingest-feed/src/tables.js';
import { errorMessage } from '../../../libs/errors/src/error-message.js';

export interface IngestServiceOptions {
  /** An engine opened by the caller (tests share one embedded engine between roles); not closed here. */
  clickhouse?: ClickHouse;
}

export interface IngestService {
  /** Base URL of the health server. */
  url: string;
  config: AppConfig;
  ingest: Ingest;
  publisher: RedisFeedPublisher;
  /** Resolves once the snapshot is in ClickHouse and changes stream; rejects if the ingest cannot start. */
  ready: Promise<void>;
  /** Stops in order (ingest → feed, which says 'stopped' → health server → ClickHouse → pool); the same promise on a second call. */
  close(): Promise<void>;
  closingStep(): string | null;
  embeddedEngineOpen(): boolean;
  /** Nothing to kill at once here (no embedded Postgres): present for the entry point's forced exit. */
  forceStop(): void;
}

export type ReadinessReason = 'ingest_starting' | 'ingest_snapshot' | 'ingest_reconnecting' | 'ingest_stopped' | 'feed_unpublished';

export async function startIngestService(config: AppConfig, options: IngestServiceOptions = {}): Promise<IngestService> {
  const logger = new Logger('statistics.runtime');
  if (!config.databaseUrl) throw new ConfigError('DATABASE_URL', 'required by the ingest service (SERVICE_ROLE=ingest)');
  if (!config.redisUrl) throw new ConfigError('REDIS_URL', 'required by the ingest service: it tells the API processes about new data through Redis');
  if (!config.clickhouseUrl && !options.clickhouse) {
    throw new ConfigError('CLICKHOUSE_URL', 'required by the ingest service: the API processes read the same ClickHouse server');
  }
  const databaseUrl = config.databaseUrl;
  const redisUrl = config.redisUrl;
  const stops = new StopSequence(logger);
  let engineOpen = (): boolean => false;
  const close = (): Promise<void> => stops.close();
  try {
    // As the API opens them: a small operational pool (the migrations' lock), the engine, its migrations.
    const storage = await openStorage(config, { databaseUrl, poolSize: 2, clickhouse: options.clickhouse }, stops, logger);
    const { clickhouse } = storage;
    engineOpen = storage.engineOpen;

    const ingest = new Ingest({
      databaseUrl,
      clickhouse,
      ...ingestSettings(config),
    });
    const publisher = new RedisFeedPublisher(ingest, {
      redisUrl,
      scope: config.replicationSlot,
      statusTtlSeconds: config.ingestStatusTtlSeconds,
      // As the cache's own versions hash: longer than any entry it can describe.
      versionsTtlMs: 2 * config.statisticsCacheTtlSeconds * 1000 + 60_000,
      tables: REPLICATED_TABLE_NAMES,
    });
    publisher.start();
    // Stopped after the ingest (steps stop in reverse), so its last word is 'stopped'.
    stops.add('ingest feed', () => publisher.stop());

    const server = createServer((request, response) => void answer(request, response, ingest, publisher, metricsOf(ingest, publisher), config.security.metricsToken));
    server.listen(config.port, config.host);
    await once(server, 'listening');
    stops.add('health server', () => closeServer(server));
    stops.add('ingest', () => ingest.stop());
    const address = server.address() as { port: number };
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;

    const ready = ingest.start();
    ready.catch((error: unknown) => {
      if (stops.started) return;
      logger.error({ message: 'ingest could not start', error: errorMessage(error) });
    });
    return {
      url,
      config,
      ingest,
      publisher,
      ready,
      close,
      closingStep: () => stops.currentStep(),
      embeddedEngineOpen: () => engineOpen(),
      forceStop: () => undefined,
    };
  } catch (error) {
    await stops.closeAfterFailedStart();
    throw error;
  }
}

export function ingestReadiness(ingest: Ingest, publisher: RedisFeedPublisher): ReadinessReason[] {
  const { state, snapshotDone } = ingest.freshness();
  const reasons: ReadinessReason[] = [];
  if (state === 'starting') reasons.push('ingest_starting');
  else if (state === 'snapshot' || (state === 'streaming' && !snapshotDone)) reasons.push('ingest_snapshot');
  else if (state === 'reconnecting') reasons.push('ingest_reconnecting');
  else if (state === 'stopped') reasons.push('ingest_stopped');
  // Without the feed the API processes cannot see new data: this ingest is not doing its job.
  if (!publisher.health().ok) reasons.push('feed_unpublished');
  return reasons;
}

/** The ingest's Prometheus registry (names as the API's: statistics_ingest_…). */
function metricsOf(ingest: Ingest, publisher: RedisFeedPublisher): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'statistics_ingest_lag_seconds',
    help: 'Age of the last change applied to ClickHouse (its commit time); grows when no change arrives',
    registers: [registry],
    collect() {
      this.reset();
      const { dataAsOf } = ingest.freshness();
      if (dataAsOf !== null) this.set(Math.max(0, (Date.now() - Date.parse(dataAsOf)) / 1000));
    },
  });
  new Gauge({
    name: 'statistics_ingest_streaming',
    help: '1 when the snapshot is done and changes stream, else 0',
    registers: [registry],
    collect() {
      const { state, snapshotDone } = ingest.freshness();
      this.set(state === 'streaming' && snapshotDone ? 1 : 0);
    },
  });
  new Gauge({
    name: 'statistics_ingest_feed_published',
    help: '1 when the last write of the ingest feed to Redis succeeded, else 0 (the API processes do not see new batches)',
    registers: [registry],
    collect() {
      this.set(publisher.health().ok ? 1 : 0);
    },
  });
  new Counter({
    name: 'statistics_ingest_changes_applied_total',
    help: 'Row changes applied to ClickHouse by this process',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(ingest.status().changesApplied);
    },
  });
  return registry;
}

async function answer(
  request: IncomingMessage,
  response: ServerResponse,
  ingest: Ingest,
  publisher: RedisFeedPublisher,
  registry: Registry,
  metricsToken: string | undefined,
): Promise<void> {
  const path = (request.url ?? '/').split('?')[0]!.replace(/\/+$/, '') || '/';
  const json = (status: number, body: unknown): void => {
    response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }).end(JSON.stringify(body));
  };
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('Allow', 'GET, HEAD');
    return json(405, { detail: `Méthode « ${request.method} » non autorisée.` });
  }
  if (path === '/health') return json(200, { status: 'ok' });
  if (path === '/health/ready') {
    const reasons = ingestReadiness(ingest, publisher);
    if (reasons.length === 0) return json(200, { status: 'ready' });
    const starting = reasons.every((reason) => reason === 'ingest_starting' || reason === 'ingest_snapshot');
    return json(503, { status: starting ? 'starting' : 'not_ready', reasons });
  }
  if (path === '/metrics') {
    if (!metricsToken) return json(404, { detail: 'set METRICS_TOKEN to scrape the ingest service' });
    const given = Buffer.from(/^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '');
    const expected = Buffer.from(metricsToken);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return json(401, { detail: 'Bearer METRICS_TOKEN required' });
    try {
      const text = await registry.metrics();
      response.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' }).end(text);
    } catch (error) {
      json(500, { detail: `metrics could not be collected: ${errorMessage(error)}` });
    }
    return;
  }
  json(404, { detail: 'not found: this is the ingest service (/health, /health/ready, /metrics)' });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    // Probes keep connections alive; nothing here is worth waiting for.
    server.closeIdleConnections();
  });
}
