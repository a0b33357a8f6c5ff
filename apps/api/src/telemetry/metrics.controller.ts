// GET /metrics for Prometheus: administrators with their Bearer token, or a scraper with
// METRICS_TOKEN (a long-lived secret of its own, so no user token sits in a scrape config). A
// wrong token is refused like any other credential (counted per address, auth-failures.ts).
import { timingSafeEqual } from 'node:crypto';
import { Controller, Get, Header, Inject, Injectable, Logger, UseGuards, type CanActivate, type ExecutionContext, type OnModuleInit } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiPrometheusResponses } from '../openapi/schemas.js';
import type { FastifyRequest } from 'fastify';
import type pg from 'pg';
import { prometheusContentType } from 'prom-client';
import { AdmittedClickHouse } from '../../../../libs/clickhouse/src/admission.js';
import type { ClickHouse } from '../../../../libs/clickhouse/src/clickhouse.js';
import type { AppConfig } from '../../../../libs/config/src/config.js';
import type { IngestFeed } from '../../../../libs/ingest-feed/src/feed.js';
import { AlertsService } from '../alerts/alerts.service.js';
import { AdminGuard } from '../auth/admin.guard.js';
import { AuthFailureLimiter } from '../auth/auth-failures.js';
import { StatisticsCacheService } from '../cache/statistics-cache.service.js';
import { ExportJobsRepository } from '../exports/export-jobs.repository.js';
import { StatisticsGateway } from '../realtime/statistics.gateway.js';
import { APP_CONFIG, CLICKHOUSE, INGEST, OPERATIONAL_DB } from '../tokens.js';
import { LoopTurns } from '../http/loop-turns.js';
import { ApiTelemetry } from './api-telemetry.js';
import { registerEngineMetrics } from './prometheus.js';
import { errorMessage } from '../../../../libs/errors/src/error-message.js';

/** A scrape waits this long for Postgres's WAL position, then reports the byte lag as unknown. */
const LAG_QUERY_DEADLINE_MS = 1000;

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

@Injectable()
export class MetricsGuard implements CanActivate {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(AdminGuard) private readonly admin: AdminGuard,
  ) {}

  canActivate(context: ExecutionContext): Promise<boolean> | boolean {
    const token = this.config.security.metricsToken;
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization;
    if (token !== undefined && header !== undefined && sameSecret(header, `Bearer ${token}`)) return true;
    return this.admin.canActivate(context);
  }
}

@ApiTags('health')
@ApiBearerAuth()
@Controller('metrics')
@UseGuards(MetricsGuard)
export class MetricsController implements OnModuleInit {
  private readonly logger = new Logger('statistics.telemetry');

  constructor(
    @Inject(ApiTelemetry) private readonly telemetry: ApiTelemetry,
    @Inject(INGEST) private readonly ingest: IngestFeed,
    @Inject(OPERATIONAL_DB) private readonly db: pg.Pool,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLICKHOUSE) private readonly clickhouse: ClickHouse,
    @Inject(StatisticsCacheService) private readonly cache: StatisticsCacheService,
    @Inject(StatisticsGateway) private readonly gateway: StatisticsGateway,
    @Inject(AlertsService) private readonly alerts: AlertsService,
    @Inject(ExportJobsRepository) private readonly exportJobs: ExportJobsRepository,
    @Inject(AuthFailureLimiter) private readonly authFailures: AuthFailureLimiter,
    @Inject(LoopTurns) private readonly loopTurns: LoopTurns,
  ) {}

  onModuleInit(): void {
    const metrics = this.telemetry.prometheus;
    metrics.gauge('ingest_lag_bytes', 'WAL bytes between Postgres and what the ingest confirmed (replication slot); absent when Postgres does not answer within 1 s', () =>
      this.slotLagBytes(),
    );
    metrics.gauge('ingest_lag_seconds', 'Age of the last change applied to ClickHouse (its commit time); grows when no change arrives', () => {
      const { dataAsOf } = this.ingest.freshness();
      return dataAsOf === null ? null : Math.max(0, (Date.now() - Date.parse(dataAsOf)) / 1000);
    });
    metrics.gauge('ingest_streaming', '1 when the snapshot is done and changes stream, else 0', () => {
      const { state, snapshotDone } = this.ingest.freshness();
      return state === 'streaming' && snapshotDone ? 1 : 0;
    });
    metrics.counter('ingest_changes_applied_total', 'Row changes applied to ClickHouse by the ingest since it started (this process, or the ingest service as last reported with SERVICE_ROLE=api)', () => this.ingest.status().changesApplied);
    metrics.counter('cache_hits_total', 'global_statistics answers served from the cache', () => this.cache.stats().hits);
    metrics.counter('cache_misses_total', 'global_statistics answers not found in the cache', () => this.cache.stats().misses);
    metrics.counter('cache_redis_errors_total', 'Redis calls that failed or timed out', () => this.cache.stats().redisErrors);
    metrics.counter('cache_stale_served_total', 'Answers served stale within the client\'s bound (Cache-Control: max-stale)', () => this.cache.stats().staleServed);
    metrics.counter('cache_refreshed_ahead_total', 'Background computations of an answer served stale at half its bound', () => this.cache.stats().refreshedAhead);
    metrics.counter('cache_refresh_failures_total', 'Background computations that failed (most often refused by a busy engine)', () => this.cache.stats().refreshFailures);
    metrics.gauge('realtime_sockets', 'Socket.IO connections on this process', () => this.gateway.status().sockets);
    metrics.gauge('realtime_rooms', 'Live rooms computed by this process', () => this.gateway.status().rooms);
    metrics.counter('alert_rounds_total', 'Alert evaluation rounds finished by this process, by kind (all rules, or threshold rules after an ingest batch)', () => ({ ...this.alerts.evaluationRounds }), 'which');
    metrics.counter('alert_rounds_refused_total', 'Alert evaluation rounds refused by a saturated engine (the next round then goes first in line)', () => this.alerts.refusedRoundsTotal);
    metrics.labelledGauge('export_jobs', 'Export jobs kept in the state store, by status', 'status', () => this.exportJobs.countsByStatus());
    metrics.counter('auth_refused_requests_total', 'Requests refused with 429 after too many refused credentials from their address', () => this.authFailures.status().refused_requests);
    metrics.gauge('auth_failure_tracked_clients', 'Addresses with refused credentials in the current minute', () => this.authFailures.status().tracked_clients);
    metrics.gauge('http_waiting_requests', 'HTTP requests waiting for a turn of the saturated event loop', () => this.loopTurns.status().waiting);
    metrics.counter('http_deferred_requests_total', 'HTTP requests that waited for a turn (the loop was saturated when they arrived)', () => this.loopTurns.status().deferred_total);
    // The engine's admission queue, when the API's reads go through one.
    if (this.clickhouse instanceof AdmittedClickHouse) registerEngineMetrics(metrics, this.clickhouse.admission);
  }

  @Get()
  @Header('Cache-Control', 'no-store')
  @Header('Content-Type', prometheusContentType)
  @ApiOperation({ summary: 'Prometheus metrics (text format): administrators, or Bearer METRICS_TOKEN' })
  @ApiPrometheusResponses()
  async scrape(): Promise<string> {
    return this.telemetry.prometheus.registry.metrics();
  }

  private slotLagBytes(): Promise<number | null> {
    const query = this.db
      .query<{ lag_bytes: string | null }>(
        'SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint::text AS lag_bytes FROM pg_replication_slots WHERE slot_name = $1',
        [this.config.replicationSlot],
      )
      .then(
        ({ rows }) => (rows[0]?.lag_bytes == null ? null : Number(rows[0].lag_bytes)),
        // Unknown rather than a failed scrape: every other metric is still worth having; said in the log.
        (error: unknown) => {
          this.logger.warn({ message: 'ingest lag in bytes not measured', error: errorMessage(error) });
          return null;
        },
      );
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), LAG_QUERY_DEADLINE_MS);
    });
    return Promise.race([query, deadline]).finally(() => clearTimeout(timer));
  }
}
