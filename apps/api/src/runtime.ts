// Boots everything one process runs: the operational database (given by DATABASE_URL, or an
// embedded demo with a simulator), ClickHouse (server or embedded; one process owns the embedded
// data directory, hence API and ingest together), the CDC ingest, then the HTTP API.
// startRuntime is SERVICE_ROLE=all; startApiRuntime is SERVICE_ROLE=api: the same API without the
// ingest, which runs as its own service (apps/ingest/src/service.ts) and reports through Redis.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { Server as HttpServer } from 'node:http';
import { ConsoleLogger, Logger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import type { ClickHouse } from '../../../libs/clickhouse/src/clickhouse.js';
import { runMigrationsUnderLock } from '../../../libs/clickhouse/src/migration-lock.js';
import { openClickHouse } from '../../../libs/clickhouse/src/open.js';
import { assertApiConfig, ConfigError, type AppConfig } from '../../../libs/config/src/config.js';
import { fromRoot } from '../../../libs/config/src/paths.js';
import { openStateStore } from '../../../libs/state/src/open.js';
import { startEmbeddedPostgres, type RunningPostgres } from '../../demo/src/embedded-postgres.js';
import { createOperationalSchema } from '../../demo/src/operational-schema.js';
import { demoCredentialsDir, loadOrCreateDemoSecret } from './demo-credentials.js';
import { seedDemoData } from '../../demo/src/seed.js';
import { Simulator } from '../../demo/src/simulator.js';
import { demoAlertScale } from '../../demo/src/alert-scale.js';
import { Rhythm } from '../../demo/src/rhythm.js';
import { Ingest, ingestSettings } from '../../ingest/src/ingest.js';
import type { IngestFeed } from '../../../libs/ingest-feed/src/feed.js';
import { RedisIngestFeed } from '../../../libs/ingest-feed/src/redis-feed.js';
import { AdmissionControl, AdmittedClickHouse } from '../../../libs/clickhouse/src/admission.js';
import { acceptQueryBodies } from './analyst/protocol.js';
import { admitRequests } from './engine/request-priority.js';
import { AppModule } from './app.module.js';
import { openCacheBackend } from './cache/cache-backend.js';
import { signAccessToken } from './auth/jwt.js';
import { openRealtimeAdapter, StatisticsIoAdapter } from './realtime/io-adapter.js';
import { ErrorsFilter } from './errors.filter.js';
import { applyHttpSecurity, corsPolicy } from './security/http-security.js';
import { LEGACY_PATHS } from './statistics/legacy/legacy.controller.js';
import { ApiTelemetry } from './telemetry/api-telemetry.js';
import { isWriteRoute, writeBodyRefusal } from './write-routes.js';
import { DASHBOARD_BUILD_DIR, serveDashboard } from './web/dashboard-static.js';
import { errorMessage } from '../../../libs/errors/src/error-message.js';

export interface RuntimeOptions {
  /** Wipe the demo database and the embedded ClickHouse data first. */
  reset?: boolean;
  /** Start the demo simulator (embedded mode only). Default true. */
  simulate?: boolean;
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
  /** A ready admin token (embedded demo only). */
  adminToken: string | null;
  simulator: Simulator | null;
  /** Resolves once the snapshot is in ClickHouse and changes stream; rejects if the ingest cannot start. */
  ready: Promise<void>;
  /**
   * Stops everything in a fixed order (HTTP, sockets and workers → ingest → simulator → ClickHouse
   * → operational pool → embedded Postgres → state store), each step logged; a failed step does
   * not keep the later ones from running. Calling it again returns the same promise.
   */
  close(): Promise<void>;
  /** The step close() is waiting on, for a shutdown that overruns its deadline; null when idle or done. */
  closingStep(): string | null;
  /** True while the embedded engine is open: exiting then may wait on its exit handlers. */
  embeddedEngineOpen(): boolean;
  /** For a forced exit: stops the embedded Postgres at once (the next start runs its crash recovery). */
  forceStop(): void;
}

/** SERVICE_ROLE=all: the API and the ingest in one process. */
export interface Runtime extends ApiRuntime {
  ingest: Ingest;
}

const HTTP_CLOSE_GRACE_MS = 5000;

/** SERVICE_ROLE=all: the API with the ingest in this process. */
export async function startRuntime(config: AppConfig, options: RuntimeOptions = {}): Promise<Runtime> {
  const { ingest, ...runtime } = await boot(config, options, 'all');
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
  const { ingest: _none, ...runtime } = await boot(config, { ...options, simulate: false, reset: false }, 'api');
  return runtime;
}

async function boot(config: AppConfig, options: RuntimeOptions, role: 'all' | 'api'): Promise<ApiRuntime & { ingest: Ingest | null }> {
  const logger = new Logger('statistics.runtime');
  // Run in reverse order of registration, so each part stops before what it depends on.
  const cleanups: Array<{ step: string; run: () => Promise<void> }> = [];
  let closing: Promise<void> | null = null;
  let currentStep: string | null = null;
  let engineOpen = false;
  let embedded: RunningPostgres | null = null;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      const failures: string[] = [];
      for (const { step, run } of [...cleanups].reverse()) {
        currentStep = step;
        const started = Date.now();
        try {
          await run();
          logger.log(`stopped: ${step} (${Date.now() - started} ms)`);
        } catch (error) {
          const reason = errorMessage(error);
          failures.push(`${step}: ${reason}`);
          logger.error(`could not stop cleanly: ${step}: ${reason}`);
        }
      }
      currentStep = null;
      if (failures.length > 0) throw new Error(`shutdown steps failed: ${failures.join('; ')}`);
    })());
  const shutdownControls = {
    closingStep: () => currentStep,
    embeddedEngineOpen: () => engineOpen,
    forceStop: () => embedded?.kill(),
  };
  try {
    assertApiConfig(config);
    // The service's own state (alert rules…), never in the operational database; closed last.
    const stateStore = await openStateStore(config);
    cleanups.push({ step: 'state store', run: () => stateStore.close() });
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      if (options.reset) await rm(config.clickhouseDataDir, { recursive: true, force: true });
      embedded = await startEmbeddedPostgres({
        dataDir: config.demo.dataDir,
        port: config.demo.port,
        reset: options.reset ?? false,
        log: logger,
      });
      cleanups.push({ step: 'embedded Postgres', run: () => embedded!.stop() });
      databaseUrl = embedded.url;
    } else if (options.reset && !config.clickhouseUrl) {
      // Only our own data: the operational database is never written.
      await rm(config.clickhouseDataDir, { recursive: true, force: true });
    }

    const operationalDb = new pg.Pool({ connectionString: databaseUrl, max: 8, options: '-c TimeZone=UTC' });
    operationalDb.on('error', (error) => logger.error({ message: 'operational database pool error', error: error.message }));
    cleanups.push({ step: 'operational database pool', run: () => operationalDb.end() });

    let adminUserId: number | null = null;
    // The demo database gets its schema and data unless it has them (a start that died between
    // initdb and the end of seeding is completed on the next start).
    if (embedded) {
      const { rows } = await operationalDb.query<{ present: boolean }>(
        "SELECT to_regclass('public.users_user') IS NOT NULL AS present",
      );
      if (!rows[0]?.present) await createOperationalSchema(operationalDb);
      const users = await operationalDb.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM users_user) AS any');
      if (!users.rows[0]?.any) {
        logger.log({ message: 'seeding the demo database', requests: config.demo.requests });
        const summary = await seedDemoData(operationalDb, { requests: config.demo.requests });
        adminUserId = summary.adminUserId;
        logger.log({ message: 'demo database seeded', counts: summary.counts, ms: summary.durationMs });
      }
      // Thresholds the environment leaves unset follow the demo's own scale (alert-scale.ts).
      const scale = await demoAlertScale(operationalDb, new Date());
      if (scale) {
        const unset = (key: keyof AppConfig['alertThresholds']): boolean => !config.alertThresholdsSet.includes(key);
        config = {
          ...config,
          alertThresholds: {
            ...config.alertThresholds,
            ...(unset('requests') ? { requests: scale.requests } : {}),
            ...(unset('revenueXof') ? { revenueXof: scale.revenueXof } : {}),
          },
        };
        logger.log({ message: 'demo alert thresholds scaled to its busiest day', thresholds: config.alertThresholds, busiest_24h: scale.busiest });
      }
    }

    const clickhouse =
      options.clickhouse ??
      (await openClickHouse({
        url: config.clickhouseUrl,
        dataDir: config.clickhouseDataDir,
        database: config.clickhouseDatabase,
      }));
    if (!options.clickhouse) {
      engineOpen = clickhouse.engine === 'embedded';
      cleanups.push({
        step: 'ClickHouse',
        run: async () => {
          await clickhouse.close();
          engineOpen = false;
        },
      });
    }
    const admitted = new AdmittedClickHouse(
      clickhouse,
      new AdmissionControl({ concurrency: config.engine.concurrency, maxQueued: config.engine.maxQueued, defaultWaitMs: config.engine.queueTimeoutSeconds * 1000 }),
    );
    // Runs before the engine closes (cleanups run in reverse): what still waits is refused at once.
    cleanups.push({ step: 'engine admission queue', run: async () => admitted.admission.close() });
    // Every process takes the same lock (an API and an ingest service starting together): the second finds nothing to do.
    const migrations = await runMigrationsUnderLock(clickhouse, fromRoot('clickhouse', 'migrations'), operationalDb);
    if (migrations.applied.length + migrations.skipped.length > 0) {
      // One line at INFO (a first start applies some forty); the names at DEBUG.
      logger.log(`clickhouse migrations applied: ${migrations.applied.length} (${migrations.skipped.length} server-only skipped)`);
      logger.debug({ message: 'clickhouse migrations applied', applied: migrations.applied, skipped_server_only: migrations.skipped });
    }

    // The API's own measurements (technical KPIs); stopped after the HTTP server, before ClickHouse.
    const telemetry = new ApiTelemetry(clickhouse);
    telemetry.start();
    cleanups.push({ step: 'API telemetry', run: () => telemetry.stop() });

    let simulator: Simulator | null = null;
    if (embedded && options.simulate !== false && config.demo.simulatorRate > 0) {
      simulator = new Simulator(operationalDb, {
        ratePerSecond: config.demo.simulatorRate,
        // Its events follow the data's hourly and weekly rhythm: the demo's normal is the history's.
        rhythm: await Rhythm.measure(operationalDb, new Date()),
        log: (message) => logger.log(message),
        warn: (message) => logger.warn(message),
      });
      simulator.start();
      // Registered before the ingest, so stopped after it (the ingest reads what it writes).
      cleanups.push({ step: 'simulator', run: () => simulator!.stop() });
    }

    // SERVICE_ROLE=api: no Ingest here (no replication slot); its feed comes through Redis.
    const ingest =
      role === 'all'
        ? new Ingest({
            databaseUrl,
            clickhouse,
            ...ingestSettings(config),
          })
        : null;
    let feed: IngestFeed;
    let remoteFeed: RedisIngestFeed | null = null;
    if (ingest) {
      feed = ingest;
      cleanups.push({ step: 'ingest', run: () => ingest.stop() });
    } else {
      const remote = await RedisIngestFeed.open({ redisUrl: config.redisUrl!, scope: config.replicationSlot, statusTtlSeconds: config.ingestStatusTtlSeconds });
      feed = remoteFeed = remote;
      cleanups.push({ step: 'ingest feed', run: () => remote.close() });
    }

    // The demo signs its own tokens when no secret is configured (kept across restarts beside its
    // data, so earlier tokens keep working); a real deployment shares Django's.
    const jwtSecret =
      config.jwtSecret ??
      (embedded
        ? await loadOrCreateDemoSecret(demoCredentialsDir(config.demo.dataDir), { renew: options.reset === true })
        : randomBytes(32).toString('hex'));
    const cacheBackend = await openCacheBackend(config);
    cleanups.push({ step: 'statistics cache', run: () => cacheBackend.close() });
    const realtimeAdapter = await openRealtimeAdapter(config);
    cleanups.push({ step: 'realtime adapter', run: () => realtimeAdapter.close() });
    // Fastify rather than Express: the same Nest application answers a cached response about three
    // times as fast (measured with bench serve), which is what a wall of live dashboards needs.
    const app = await NestFactory.create<NestFastifyApplication>(
      // The API's reads wait their turn in the admission queue; the ingest writes with the engine itself.
      AppModule.forRoot({ config, clickhouse: admitted, operationalDb, ingest: feed, jwtSecret, telemetry, cacheBackend, stateStore, realtimeAdapter }),
      // Under routerOptions: the top-level option draws a deprecation warning (FSTDEP022) at every start.
      new FastifyAdapter({ routerOptions: { ignoreTrailingSlash: true } }),
      { logger: options.logger ?? undefined, abortOnError: false },
    );
    app.useGlobalFilters(new ErrorsFilter());
    app.useWebSocketAdapter(new StatisticsIoAdapter(app, { adapter: realtimeAdapter, recoverySeconds: config.realtimeRecoverySeconds, cors: corsPolicy(config.security) }));
    const fastify = app.getHttpAdapter().getInstance();
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
    await app.listen(config.port, config.host);
    // Nest's close: HTTP stops accepting, sockets close, then the modules' workers (exports, alerts, schedules).
    cleanups.push({
      step: 'HTTP server, sockets and workers',
      run: async () => {
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
      },
    });
    const address = app.getHttpServer().address() as { port: number };
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;

    let adminToken: string | null = null;
    if (embedded) {
      if (adminUserId === null) {
        const { rows } = await operationalDb.query<{ id: string }>(
          "SELECT id FROM users_user WHERE user_type = 'admin' AND is_active ORDER BY id LIMIT 1",
        );
        adminUserId = rows[0] ? Number(rows[0].id) : null;
      }
      if (adminUserId !== null) adminToken = signAccessToken(adminUserId, jwtSecret, 7 * 24 * 3600);
    }

    // The API answers (health, snapshot progress) while the ingest snapshots; statistics say 503
    // until the snapshot is complete, never a partial number.
    // (SERVICE_ROLE=api: once the ingest service says so through its feed.)
    const ready = ingest ? ingest.start() : remoteFeed!.whenStreaming();
    ready.catch((error: unknown) => {
      // A stop during the snapshot interrupts it (the ingest logs that): not a failure to start.
      if (closing) return;
      logger.error({ message: 'ingest could not start', error: errorMessage(error) });
    });
    return { app, url, config, clickhouse, admission: admitted.admission, operationalDb, feed, ingest, jwtSecret, adminToken, simulator, ready, close, ...shutdownControls };
  } catch (error) {
    await close().catch((cleanupError: unknown) =>
      logger.error({ message: 'cleanup after a failed start also failed', error: String(cleanupError) }),
    );
    throw error;
  }
}
