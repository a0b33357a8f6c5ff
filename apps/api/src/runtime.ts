// Boots everything the API needs in one process: the pool on the operational database
// (DATABASE_URL; the embedded demo gives its own), ClickHouse (server or embedded; one process owns
// the embedded data directory, hence API and ingest together), the ingest's feed, then the HTTP API.
// startApiWithIngest is SERVICE_ROLE=all, with an ingest in this process built by the caller
// (apps/service/src/runtime.ts: the API never imports the ingest); startApiRuntime is
// SERVICE_ROLE=api, whose ingest runs as its own service and reports through Redis.
import { rm } from 'node:fs/promises';
import type { Server as HttpServer } from 'node:http';
import { ConsoleLogger, Logger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import type { ClickHouse } from '../../../libs/clickhouse/src/clickhouse.js';
import { openStorage } from '../../../libs/lifecycle/src/open-storage.js';
import { assertApiConfig, ConfigError, type AppConfig } from '../../../libs/config/src/config.js';
import { fromRoot } from '../../../libs/config/src/paths.js';
import { openStateStore } from '../../../libs/state/src/open.js';
import type { StateStore } from '../../../libs/state/src/store.js';
import type { IngestFeed, LocalIngest, LocalIngestFactory } from '../../../libs/ingest-feed/src/feed.js';
import { RedisIngestFeed } from '../../../libs/ingest-feed/src/redis-feed.js';
import { AdmissionControl, AdmittedClickHouse } from '../../../libs/clickhouse/src/admission.js';
import { acceptQueryBodies } from './analyst/protocol.js';
import { admitRequests } from './engine/request-priority.js';
import { LoopTurns, takeTurns } from './http/loop-turns.js';
import { AppModule } from './app.module.js';
import { openCacheBackend, type CacheBackend } from './cache/cache-backend.js';
import { openRealtimeAdapter, StatisticsIoAdapter, type RealtimeAdapter } from './realtime/io-adapter.js';
import { ErrorsFilter } from './errors/errors.filter.js';
import { applyHttpSecurity, corsPolicy } from './security/http-security.js';
import { LEGACY_PATHS } from './statistics/legacy/legacy.controller.js';
import { ApiTelemetry } from './telemetry/api-telemetry.js';
import { isWriteRoute, writeBodyRefusal } from './write-routes.js';
import { DASHBOARD_BUILD_DIR, serveDashboard } from './web/dashboard-static.js';
import { errorMessage } from '../../../libs/errors/src/error-message.js';
import { StopSequence } from '../../../libs/lifecycle/src/stop-sequence.js';

export interface RuntimeOptions {
  /** Wipe the embedded ClickHouse data first (never the operational database). */
  reset?: boolean;
  /** Offer the web dashboard's one-click sign-in (the embedded demo, apps/service/src/demo-runtime.ts). */
  demoSignIn?: boolean;
  /** Nest logger; tests pass false to keep output quiet. */
  logger?: ConsoleLogger | false;
  /** An engine opened by the caller (tests share one embedded engine between roles); not closed here. */
  clickhouse?: ClickHouse;
}

/** The API (SERVICE_ROLE=api), whose ingest runs elsewhere; see Runtime for both in one process. */
export interface ApiRuntime {
  app: INestApplication;
  url: string;
  config: AppConfig;
  clickhouse: ClickHouse;
  /** The queue the API's reads wait in (status(): who waits, who was refused, who used the engine). */
  admission: AdmissionControl;
  operationalDb: pg.Pool;
  /** What the API knows of the ingest: the Ingest itself (all), or its feed through Redis (api). */
  feed: IngestFeed;
  jwtSecret: string;
  /** Resolves once the snapshot is in ClickHouse and changes stream; rejects if the ingest cannot start. */
  ready: Promise<void>;
  /**
   * Stops everything in a fixed order (HTTP, sockets and workers → ingest → ClickHouse →
   * operational pool → state store), each step logged; a failed step does not keep the later ones
   * from running. Calling it again returns the same promise.
   */
  close(): Promise<void>;
  /** The step close() is waiting on, for a shutdown that overruns its deadline; null when idle or done. */
  closingStep(): string | null;
  /** True while the embedded engine is open: exiting then may wait on its exit handlers. */
  embeddedEngineOpen(): boolean;
  /** For a forced exit: stops at once what would otherwise outlive the process (the demo's Postgres; nothing here). */
  forceStop(): void;
}

/** SERVICE_ROLE=all: the API and its in-process ingest (built by the caller: apps/service/src/runtime.ts). */
export interface RuntimeWithIngest<I extends LocalIngest> extends ApiRuntime {
  ingest: I;
}

const HTTP_CLOSE_GRACE_MS = 5000;
/** Connections the kernel may hold for the server to accept (see the listen call). */
const LISTEN_BACKLOG = 4096;

/**
 * SERVICE_ROLE=all: the API with an ingest in this process, built by `createIngest` on the engine
 * and database opened here, started once the API listens and stopped before the engine closes.
 */
export async function startApiWithIngest<I extends LocalIngest>(config: AppConfig, options: RuntimeOptions, createIngest: LocalIngestFactory<I>): Promise<RuntimeWithIngest<I>> {
  const { ingest, ...runtime } = await boot(config, options, createIngest);
  if (!ingest) throw new Error('SERVICE_ROLE=all started without its ingest');
  return { ...runtime, ingest };
}

/**
 * SERVICE_ROLE=api: the API without the ingest, which runs as its own service against the same
 * ClickHouse and reports through Redis (REDIS_URL). No replication slot, no demo database.
 */
export async function startApiRuntime(config: AppConfig, options: RuntimeOptions = {}): Promise<ApiRuntime> {
  if (!config.databaseUrl) throw new ConfigError('DATABASE_URL', 'required by SERVICE_ROLE=api (the embedded demo database runs only with SERVICE_ROLE=all)');
  if (!config.redisUrl) throw new ConfigError('REDIS_URL', 'required by SERVICE_ROLE=api: the ingest service reports through Redis');
  if (!config.clickhouseUrl && !options.clickhouse) {
    throw new ConfigError('CLICKHOUSE_URL', 'required by SERVICE_ROLE=api: the ingest service writes to the same ClickHouse server');
  }
  const { ingest: _none, ...runtime } = await boot(config, { ...options, reset: false }, null);
  return runtime;
}

async function boot<I extends LocalIngest>(config: AppConfig, options: RuntimeOptions, createIngest: LocalIngestFactory<I> | null): Promise<ApiRuntime & { ingest: I | null }> {
  const logger = new Logger('statistics.runtime');
  const stops = new StopSequence(logger);
  const engine = { open: (): boolean => false };
  const shutdownControls = {
    closingStep: () => stops.currentStep(),
    embeddedEngineOpen: () => engine.open(),
    forceStop: () => undefined,
  };
  try {
    const resources = await openResources(config, options, createIngest, stops, engine, logger);
    const app = await createApp(config, options, resources);
    const url = await listen(app, config, stops, logger);
    const { ingest, remoteFeed } = resources;
    // The API answers (health, snapshot progress) while the ingest snapshots; statistics say 503
    // until the snapshot is complete, never a partial number.
    // (SERVICE_ROLE=api: once the ingest service says so through its feed.)
    const ready = ingest ? ingest.start() : remoteFeed!.whenStreaming();
    ready.catch((error: unknown) => {
      // A stop during the snapshot interrupts it (the ingest logs that): not a failure to start.
      if (stops.started) return;
      logger.error({ message: 'ingest could not start', error: errorMessage(error) });
    });
    return {
      app,
      url,
      config,
      clickhouse: resources.clickhouse,
      admission: resources.admitted.admission,
      operationalDb: resources.operationalDb,
      feed: resources.feed,
      ingest,
      jwtSecret: resources.jwtSecret,
      ready,
      close: () => stops.close(),
      ...shutdownControls,
    };
  } catch (error) {
    await stops.closeAfterFailedStart();
    throw error;
  }
}

/** What the API runs on, opened at boot; each registered in `stops` as it opens. */
interface Resources<I extends LocalIngest> {
  stateStore: StateStore;
  operationalDb: pg.Pool;
  /** The engine itself (the ingest and the telemetry write with it) … */
  clickhouse: ClickHouse;
  /** … and behind the admission queue, for the API's reads. */
  admitted: AdmittedClickHouse;
  telemetry: ApiTelemetry;
  ingest: I | null;
  /** Its feed through Redis when the ingest runs elsewhere (SERVICE_ROLE=api). */
  remoteFeed: RedisIngestFeed | null;
  feed: IngestFeed;
  jwtSecret: string;
  cacheBackend: CacheBackend;
  realtimeAdapter: RealtimeAdapter;
}

/**
 * Opens, in order, the state store, the operational pool, ClickHouse (and its migrations, under
 * the lock every process takes), the telemetry, the ingest (or its feed), the cache's store and the
 * realtime adapter; what is opened stops in the reverse order.
 */
async function openResources<I extends LocalIngest>(
  config: AppConfig,
  options: RuntimeOptions,
  createIngest: LocalIngestFactory<I> | null,
  stops: StopSequence,
  engine: { open: () => boolean },
  logger: Logger,
): Promise<Resources<I>> {
  assertApiConfig(config);
  // The service's own state (alert rules…), never in the operational database; closed last.
  const stateStore = await openStateStore(config);
  stops.add('state store', () => stateStore.close());
  const databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    throw new ConfigError('DATABASE_URL', 'required to start the service; without it `npm start` runs the embedded demo (apps/service)');
  }
  if (options.reset && !config.clickhouseUrl) {
    // Only our own data: the operational database is never written.
    await rm(config.clickhouseDataDir, { recursive: true, force: true });
  }

  // The pool, the engine and its migrations (under the lock every process takes), as the ingest service opens them.
  const { operationalDb, clickhouse, engineOpen } = await openStorage(config, { databaseUrl, poolSize: 8, clickhouse: options.clickhouse }, stops, logger);
  engine.open = engineOpen;
  const admitted = new AdmittedClickHouse(
    clickhouse,
    new AdmissionControl({ concurrency: config.engine.concurrency, maxQueued: config.engine.maxQueued, defaultWaitMs: config.engine.queueTimeoutSeconds * 1000 }),
  );
  // Runs before the engine closes (steps stop in reverse): what still waits is refused at once.
  stops.add('engine admission queue', async () => admitted.admission.close());

  // The API's own measurements (technical KPIs); stopped after the HTTP server, before ClickHouse.
  const telemetry = new ApiTelemetry(clickhouse);
  telemetry.start();
  stops.add('API telemetry', () => telemetry.stop());

  // SERVICE_ROLE=api: no ingest here (no replication slot); its feed comes through Redis.
  const ingest = createIngest ? createIngest({ clickhouse, databaseUrl }) : null;
  let feed: IngestFeed;
  let remoteFeed: RedisIngestFeed | null = null;
  if (ingest) {
    feed = ingest;
    stops.add('ingest', () => ingest.stop());
  } else {
    const remote = await RedisIngestFeed.open({ redisUrl: config.redisUrl!, scope: config.replicationSlot, statusTtlSeconds: config.ingestStatusTtlSeconds });
    feed = remoteFeed = remote;
    stops.add('ingest feed', () => remote.close());
  }

  const cacheBackend = await openCacheBackend(config);
  stops.add('statistics cache', () => cacheBackend.close());
  const realtimeAdapter = await openRealtimeAdapter(config);
  stops.add('realtime adapter', () => realtimeAdapter.close());
  // Checked by assertApiConfig: a service on an operational database shares Django's secret.
  const jwtSecret = config.jwtSecret!;
  return { stateStore, operationalDb, clickhouse, admitted, telemetry, ingest, remoteFeed, feed, jwtSecret, cacheBackend, realtimeAdapter };
}

/** The Nest application on Fastify over those resources: filters, sockets, hooks, security headers, /docs, the web dashboard. */
async function createApp<I extends LocalIngest>(config: AppConfig, options: RuntimeOptions, resources: Resources<I>): Promise<NestFastifyApplication> {
  const { operationalDb, feed, jwtSecret, telemetry, cacheBackend, stateStore, realtimeAdapter } = resources;
  // Fastify rather than Express: the same Nest application answers a cached response about three
  // times as fast (measured with bench serve), which is what a wall of live dashboards needs.
  const loopTurns = new LoopTurns();
  const app = await NestFactory.create<NestFastifyApplication>(
    // The API's reads wait their turn in the admission queue; the ingest writes with the engine itself.
    AppModule.forRoot({ config, clickhouse: resources.admitted, operationalDb, ingest: feed, jwtSecret, telemetry, loopTurns, cacheBackend, stateStore, realtimeAdapter, demoSignIn: options.demoSignIn === true }),
    // Under routerOptions: the top-level option draws a deprecation warning (FSTDEP022) at every start.
    new FastifyAdapter({ routerOptions: { ignoreTrailingSlash: true } }),
    { logger: options.logger ?? undefined, abortOnError: false },
  );
  app.useGlobalFilters(new ErrorsFilter());
  app.useWebSocketAdapter(new StatisticsIoAdapter(app, { adapter: realtimeAdapter, recoverySeconds: config.realtimeRecoverySeconds, cors: corsPolicy(config.security) }));
  const fastify = app.getHttpAdapter().getInstance();
  // First: a saturated loop must keep accepting connections (liveness probes, screens reconnecting).
  takeTurns(fastify, loopTurns);
  telemetry.attach(fastify);
  admitRequests(fastify, config.engine.queueTimeoutSeconds);
  // The statistics endpoints (and the legacy ones) are read-only: other methods are a 405, as in
  // the original, except the admin write routes listed in write-routes.ts.
  fastify.addHook('onRequest', (request, reply, done) => {
    const path = request.url.split('?')[0]!.replace(/\/+$/, '');
    const readOnly = path.startsWith('/depannage/api/statistics') || LEGACY_PATHS.includes(path);
    if (!readOnly || ['GET', 'HEAD', 'OPTIONS'].includes(request.method)) return done();
    if (isWriteRoute(request.method, path)) {
      const refusal = writeBodyRefusal(request.headers);
      if (refusal === null) return done();
      return void reply.code(415).send({ detail: refusal });
    }
    void reply.code(405).header('Allow', 'GET, HEAD, OPTIONS').send({ detail: `Méthode « ${request.method} » non autorisée.` });
  });
  // The SQL gateway's body is query text whatever its Content-Type (curl -d says form-urlencoded).
  acceptQueryBodies(fastify, '/clickhouse');
  await applyHttpSecurity(app, config.security);
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('DepanneTeliman statistics')
      .setDescription('Statistics of the DepanneTeliman marketplace, computed in ClickHouse from the operational database (CDC).')
      .setVersion('0.1.0')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
  // The web dashboard (apps/dashboard) at / and /tableau/…, from its build.
  await serveDashboard(fastify, fromRoot(...DASHBOARD_BUILD_DIR));
  return app;
}

/** Listens (HOST, PORT) and registers the HTTP stop; returns the base URL to give users. */
async function listen(app: NestFastifyApplication, config: AppConfig, stops: StopSequence, logger: Logger): Promise<string> {
  // A crowd connecting at once (a wall of screens after a restart, a load test) overflowed the
  // default accept queue of 511 (bench load: 537 ListenOverflows in one run, none since): the
  // kernel drops what it cannot queue and those clients retry after 1 s. Capped by net.core.somaxconn.
  await app.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG });
  // Nest's close: HTTP stops accepting, sockets close, then the modules' workers (exports, alerts, schedules).
  stops.add('HTTP server, sockets and workers', async () => {
    // The server's close waits for every open request, and a client that sent half its headers
    // would hold it until Node's headersTimeout (60 s): after a grace, such connections are cut.
    const server = app.getHttpServer() as HttpServer;
    const grace = setTimeout(() => {
      logger.warn(`HTTP connections still open after ${HTTP_CLOSE_GRACE_MS / 1000} s of shutdown: closing them`);
      server.closeAllConnections();
    }, HTTP_CLOSE_GRACE_MS);
    try {
      await app.close();
    } finally {
      clearTimeout(grace);
    }
  });
  const address = app.getHttpServer().address() as { port: number };
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}
