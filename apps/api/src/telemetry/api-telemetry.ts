// The API measures itself: every answered HTTP request (method, matched route, status, time from
// arrival to the end of the response) and a heartbeat per minute go to ClickHouse, in batches off
// the request path. The technical KPIs are computed from them. A batch ClickHouse refuses is
// counted as dropped and logged, never retried forever nor silently lost.
import { hostname } from 'node:os';
import { Logger } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import type { ClickHouse } from '../../../../libs/clickhouse/src/clickhouse.js';
import { fromClickHouseDateTime, toClickHouseDateTime } from '../../../../libs/clickhouse/src/clickhouse.js';
import { percent, ratio } from '../../../../libs/metrics/src/exact.js';
import type { StatisticsQuery, TechnicalKpis } from '../../../../libs/metrics/src/types.js';
import { inWindow, windowParams } from '../statistics/queries/params.js';
import { PrometheusMetrics } from './prometheus.js';
import { errorMessage } from '../../../../libs/errors/src/error-message.js';

interface Sample {
  at: string;
  instance: string;
  method: string;
  route: string;
  status: number;
  duration_us: number;
}

export interface TelemetryOptions {
  /** Longest a sample waits before it is written (ms). */
  flushIntervalMs?: number;
  /** Heartbeat period (ms); one row per minute is what availability counts. */
  heartbeatIntervalMs?: number;
  /** Largest batch kept in memory; beyond it samples are dropped (and counted). */
  maxBuffered?: number;
}

const MINUTE_MS = 60_000;

export class ApiTelemetry {
  private readonly logger = new Logger('statistics.telemetry');
  readonly instance = `${hostname()}:${process.pid}`;
  private readonly startedAt = Date.now();
  /** The same measurements for Prometheus (/metrics), in memory. */
  readonly prometheus = new PrometheusMetrics();
  private buffer: Sample[] = [];
  private dropped = 0;
  private flushing: Promise<void> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];
  private readonly maxBuffered: number;

  constructor(
    private readonly clickhouse: ClickHouse,
    private readonly options: TelemetryOptions = {},
  ) {
    this.maxBuffered = options.maxBuffered ?? 100_000;
  }

  start(): void {
    this.heartbeat();
    this.timers.push(setInterval(() => void this.flush(), this.options.flushIntervalMs ?? 1000).unref());
    this.timers.push(setInterval(() => this.heartbeat(), this.options.heartbeatIntervalMs ?? MINUTE_MS).unref());
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.flush();
  }

  get samplesDropped(): number {
    return this.dropped;
  }

  /** Times every request, from its arrival to the end of its response. */
  attach(fastify: FastifyInstance): void {
    fastify.addHook('onResponse', (request, reply, done) => {
      // The matched route pattern, not the raw path: ids and query strings would explode cardinality.
      const route = request.routeOptions.url ?? 'unmatched';
      this.record({
        at: toClickHouseDateTime(new Date()),
        instance: this.instance,
        method: request.method,
        route,
        status: reply.statusCode,
        duration_us: Math.min(Math.round(reply.elapsedTime * 1000), 4_294_967_295),
      });
      this.prometheus.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
  }

  private record(sample: Sample): void {
    if (this.buffer.length >= this.maxBuffered) {
      this.dropped += 1;
      return;
    }
    this.buffer.push(sample);
  }

  /** Writes what is buffered; one write at a time, in order. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.buffer.length === 0) return;
      const batch = this.buffer;
      this.buffer = [];
      try {
        await this.clickhouse.insert({
          table: 'api_requests',
          format: 'JSONEachRow',
          values: Buffer.from(batch.map((sample) => JSON.stringify(sample)).join('\n')),
        });
      } catch (error) {
        this.dropped += batch.length;
        this.logger.warn({ message: 'API measurements not stored', samples: batch.length, error: errorMessage(error) });
      }
    });
    return this.flushing;
  }

  private heartbeat(): void {
    const minute = toClickHouseDateTime(new Date(Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS)).slice(0, 19);
    this.clickhouse
      .insert({ table: 'api_heartbeats', format: 'JSONEachRow', values: Buffer.from(JSON.stringify({ minute, instance: this.instance })) })
      .catch((error: unknown) =>
        this.logger.warn({ message: 'heartbeat not stored', error: errorMessage(error) }),
      );
  }

  /** Technical KPIs over the window of `query` (city and specialty do not apply). */
  async technicalKpis(query: StatisticsQuery, dataAsOf: string | null): Promise<TechnicalKpis> {
    const params = windowParams(query);
    const now = query.now;
    // The window ends at `to` when it is in the past: minutes after it are not observed.
    const end = query.to && query.to < now ? query.to : now;
    await this.flush();
    const pingStarted = performance.now();
    await this.clickhouse.ping();
    const clickhouseMs = performance.now() - pingStarted;
    const [requests, heartbeats] = await Promise.all([
      this.clickhouse.query<Record<string, string>>(
        `SELECT count() AS request_count, toString(sum(duration_us)) AS duration_total,
                countIf(status >= 500) AS server_errors, countIf(status >= 400 AND status < 500) AS client_errors,
                quantilesExact(0.5, 0.95, 0.99)(duration_us) AS quantiles
         FROM api_requests WHERE ${inWindow('at', 'since')} AND at <= {now:DateTime64(6, 'UTC')}`,
        params,
      ),
      this.clickhouse.query<{ minutes_up: string; first_minute: string | null }>(
        `SELECT uniqExact(minute) AS minutes_up, toString(min(minute)) AS first_minute
         FROM api_heartbeats WHERE ${inWindow('minute', 'since')} AND minute <= {now:DateTime64(6, 'UTC')}
         HAVING count() > 0`,
        params,
      ),
    ]);
    const r = requests[0]!;
    const total = Number(r.request_count);
    const quantiles = (r.quantiles as unknown as Array<number | string>).map(Number);
    const ms = (micros: number): number => (total === 0 ? 0 : ratio(BigInt(micros), 1000n));
    const minutesUp = heartbeats[0] ? Number(heartbeats[0].minutes_up) : 0;
    // Observed: the minutes from the first heartbeat of the window to its end (or now), the current one included.
    const firstMinute = heartbeats[0]?.first_minute ? fromClickHouseDateTime(heartbeats[0].first_minute).getTime() : null;
    const minutesObserved = firstMinute === null ? 0 : Math.max(0, Math.ceil((end.getTime() - firstMinute) / MINUTE_MS));
    return {
      requests: total,
      response_time_ms: {
        p50: ms(quantiles[0] ?? 0),
        p95: ms(quantiles[1] ?? 0),
        p99: ms(quantiles[2] ?? 0),
        mean: total === 0 ? 0 : ratio(BigInt(r.duration_total!), BigInt(total) * 1000n),
      },
      error_rate: percent(Number(r.server_errors), total),
      client_error_rate: percent(Number(r.client_errors), total),
      uptime: {
        process_seconds: Math.round((now.getTime() - this.startedAt) / 1000),
        minutes_observed: minutesObserved,
        minutes_up: Math.min(minutesUp, minutesObserved),
        availability_percent: percent(Math.min(minutesUp, minutesObserved), minutesObserved),
      },
      latency: {
        ingest_lag_seconds: dataAsOf === null ? null : Math.max(0, Math.round((now.getTime() - Date.parse(dataAsOf)) / 10) / 100),
        clickhouse_ms: Math.round(clickhouseMs * 100) / 100,
      },
      samples_dropped: this.dropped,
    };
  }
}
