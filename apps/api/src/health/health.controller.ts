// Health in three parts. `GET /health` (liveness, public): the event loop answers, from
// in-process state only, never waiting on the engine or a database — a probe that waits on a busy
// engine would have a healthy process killed. `GET /health/ready` (readiness, public): whether the
// numbers can be served now (snapshot done and streaming, ClickHouse, Postgres and the state store
// answering within a short deadline), as fixed reason codes: no hosts, LSNs or error texts.
// `GET /health/details` (administrators): every component's state, lag, counters.
import { Controller, Get, HttpStatus, Inject, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { ApiAuthResponses, ERROR_BODY, HEALTH_DETAILS, LIVENESS, READINESS } from '../openapi/schemas.js';
import type { FastifyReply } from 'fastify';
import type pg from 'pg';
import { withEngineContext } from '../../../../libs/clickhouse/src/admission.js';
import type { ClickHouse } from '../../../../libs/clickhouse/src/clickhouse.js';
import type { AppConfig } from '../../../../libs/config/src/config.js';
import type { IngestFeed, FeedStatus } from '../../../../libs/ingest-feed/src/feed.js';
import type { StateStore } from '../../../../libs/state/src/store.js';
import { AlertsService } from '../alerts/alerts.service.js';
import { AdminGuard } from '../auth/admin.guard.js';
import { StatisticsCacheService } from '../cache/statistics-cache.service.js';
import { ExportJobsRepository } from '../exports/export-jobs.repository.js';
import { ExportWorker } from '../exports/export-worker.js';
import { BrowserPool } from '../exports/pdf/browser-pool.js';
import { ReportScheduler } from '../exports/schedules/report-scheduler.js';
import { StatisticsGateway } from '../realtime/statistics.gateway.js';
import { APP_CONFIG, CLICKHOUSE, INGEST, OPERATIONAL_DB, STATE_STORE } from '../tokens.js';
import { errorMessage } from '../../../../libs/errors/src/error-message.js';

interface ComponentHealth {
  ok: boolean;
  latency_ms?: number;
  error?: string;
  [detail: string]: unknown;
}

async function probe(check: () => Promise<Record<string, unknown> | void>): Promise<ComponentHealth> {
  const started = performance.now();
  try {
    const details = (await check()) ?? {};
    return { ok: true, latency_ms: Math.round(performance.now() - started), ...details };
  } catch (error) {
    return { ok: false, error: errorMessage(error) };
  }
}

/** How long readiness waits for each dependency before it says not_ready. */
export const READINESS_DEADLINE_MS = 2000;

export type ReadinessReason =
  | 'ingest_starting'
  | 'ingest_snapshot'
  | 'ingest_reconnecting'
  | 'ingest_stopped'
  /** The ingest runs in another process and has not reported within its status TTL (dead, hung, or Redis unreachable). */
  | 'ingest_stale'
  | 'clickhouse_unavailable'
  | 'postgres_unavailable'
  | 'state_store_unavailable';

export interface Readiness {
  status: 'ready' | 'starting' | 'not_ready';
  reasons?: ReadinessReason[];
}

/** Resolves true when `check` succeeds within the deadline, false when it fails or is late. */
function answersWithin(check: () => Promise<unknown>, deadlineMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), deadlineMs);
    check().then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(false);
      },
    );
  });
}

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(OPERATIONAL_DB) private readonly db: pg.Pool,
    @Inject(CLICKHOUSE) private readonly clickhouse: ClickHouse,
    @Inject(INGEST) private readonly ingest: IngestFeed,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(StatisticsCacheService) private readonly cache: StatisticsCacheService,
    @Inject(STATE_STORE) private readonly state: StateStore,
    @Inject(StatisticsGateway) private readonly gateway: StatisticsGateway,
    @Inject(AlertsService) private readonly alerts: AlertsService,
    @Inject(BrowserPool) private readonly pdf: BrowserPool,
    @Inject(ExportWorker) private readonly exportWorker: ExportWorker,
    @Inject(ExportJobsRepository) private readonly exportJobs: ExportJobsRepository,
    @Inject(ReportScheduler) private readonly reports: ReportScheduler,
  ) {}

  /** The readiness probe in flight: concurrent probes share it rather than queue on the engine. */
  private readinessProbe: Promise<Readiness> | null = null;

  @Get()
  @ApiOperation({ summary: 'Liveness: the process answers (never waits on the engine or a database)' })
  @ApiOkResponse({ schema: LIVENESS })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: snapshot done and streaming, ClickHouse, Postgres and state store answering within 2 s' })
  @ApiOkResponse({ description: '{"status": "ready"}', schema: READINESS })
  @ApiServiceUnavailableResponse({ description: '{"status": "starting" | "not_ready", "reasons": [...]}', schema: READINESS })
  async ready(@Res({ passthrough: true }) response: FastifyReply): Promise<Readiness> {
    this.readinessProbe ??= this.readiness().finally(() => {
      this.readinessProbe = null;
    });
    const readiness = await this.readinessProbe;
    void response.code(readiness.status === 'ready' ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return readiness;
  }

  private async readiness(): Promise<Readiness> {
    const ingest = this.ingest.freshness();
    const reasons: ReadinessReason[] = [];
    if (ingest.state === 'starting') reasons.push('ingest_starting');
    else if (ingest.state === 'snapshot' || (ingest.state === 'streaming' && !ingest.snapshotDone)) reasons.push('ingest_snapshot');
    else if (ingest.state === 'reconnecting') reasons.push('ingest_reconnecting');
    else if (ingest.state === 'stopped') reasons.push('ingest_stopped');
    else if (ingest.state === 'stale') reasons.push('ingest_stale');
    const [clickhouse, postgres, stateStore] = await Promise.all([
      // Its own place in the engine's queue, not the first caller's: concurrent probes share this
      // ping, so one probe that hangs up must not cancel it for the others.
      answersWithin(() => withEngineContext({ priority: 'live', deadline: Date.now() + READINESS_DEADLINE_MS }, () => this.clickhouse.ping()), READINESS_DEADLINE_MS),
      answersWithin(() => this.db.query('SELECT 1'), READINESS_DEADLINE_MS),
      answersWithin(() => this.state.query('SELECT 1 AS ok'), READINESS_DEADLINE_MS),
    ]);
    if (!clickhouse) reasons.push('clickhouse_unavailable');
    if (!postgres) reasons.push('postgres_unavailable');
    if (!stateStore) reasons.push('state_store_unavailable');
    if (reasons.length === 0) return { status: 'ready' };
    // Still starting only while nothing is broken: a first snapshot can take minutes and is normal.
    const starting = reasons.every((reason) => reason === 'ingest_starting' || reason === 'ingest_snapshot');
    return { status: starting ? 'starting' : 'not_ready', reasons };
  }

  @Get('details')
  @ApiBearerAuth()
  @UseGuards(AdminGuard)
  @ApiOperation({ summary: 'Administrators: component status, ingest lag and snapshot progress; 503 when the numbers cannot be served' })
  @ApiOkResponse({ description: 'status ok or degraded', schema: HEALTH_DETAILS })
  @ApiServiceUnavailableResponse({ description: 'status down: ClickHouse does not answer', schema: HEALTH_DETAILS })
  @ApiAuthResponses()
  @ApiForbiddenResponse({ description: 'The token is valid but not an administrator’s', schema: ERROR_BODY })
  async details(@Res({ passthrough: true }) response: FastifyReply): Promise<Record<string, unknown>> {
    const ingest: FeedStatus = this.ingest.status();
    const [postgres, clickhouse, stateStore, exportJobs] = await Promise.all([
      probe(async () => {
        const { rows } = await this.db.query<{ lag_bytes: string | null; active: boolean }>(
          `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint::text AS lag_bytes, active
           FROM pg_replication_slots WHERE slot_name = $1`,
          [this.config.replicationSlot],
        );
        const slot = rows[0];
        return { replication_slot: slot ? { active: slot.active, lag_bytes: Number(slot.lag_bytes ?? 0) } : null };
      }),
      probe(async () => {
        await this.clickhouse.ping();
        return { engine: this.clickhouse.engine };
      }),
      probe(async () => {
        await this.state.query('SELECT 1 AS ok');
        return { dialect: this.state.dialect };
      }),
      this.exportJobs.activeCounts().catch(() => null),
    ]);
    const pdf = this.pdf.status();
    const lagSeconds = ingest.dataAsOf ? (Date.now() - Date.parse(ingest.dataAsOf)) / 1000 : null;
    const streaming = ingest.state === 'streaming';
    // A cache outage slows answers but never changes them: degraded, not down.
    const cache = this.cache.health();
    const realtime = this.gateway.status();
    const status = !clickhouse.ok ? 'down' : postgres.ok && streaming && cache.ok && stateStore.ok && realtime.ok ? 'ok' : 'degraded';
    void response.code(status === 'down' ? HttpStatus.SERVICE_UNAVAILABLE : HttpStatus.OK);
    return {
      status,
      time: new Date().toISOString(),
      postgres,
      clickhouse,
      cache,
      state_store: stateStore,
      realtime,
      alerts: this.alerts.status(),
      // A missing browser only takes PDF away: said here, everything else runs.
      exports: {
        formats: { excel: true, json: true, csv: true, pdf: pdf.available },
        pdf,
        worker: this.exportWorker.status(),
        jobs: exportJobs,
        scheduled_reports: this.reports.status(),
      },
      ingest: {
        // 'remote' (SERVICE_ROLE=api): as the ingest service last reported through Redis; state 'stale' past its TTL.
        source: this.ingest.source,
        state: ingest.state,
        applied_lsn: ingest.appliedLsn,
        data_as_of: ingest.dataAsOf,
        seconds_since_last_change: lagSeconds === null ? null : Number(lagSeconds.toFixed(3)),
        last_batch_at: ingest.lastBatchAt,
        transactions_applied: ingest.transactionsApplied,
        changes_applied: ingest.changesApplied,
        last_error: ingest.lastError,
        snapshot: ingest.snapshot,
      },
    };
  }
}
