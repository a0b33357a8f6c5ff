// Computes the statistics in ClickHouse, through the cache, and stamps them with when, how fast,
// for which filters and as of which operational change they were computed.
import { Inject, Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import { withoutCancellation } from '../../../../libs/clickhouse/src/admission.js';
import type { ClickHouse } from '../../../../libs/clickhouse/src/clickhouse.js';
import type { AppConfig } from '../../../../libs/config/src/config.js';
import type {
  CalculationInfo,
  GlobalStatistics,
  Kpis,
  RealTimeStats,
  Section,
  SectionFigures,
  StatisticsFilters,
  StatisticsQuery,
} from '../../../../libs/metrics/src/types.js';
import type { LegacyStatistics } from '../../../../libs/metrics/src/legacy-types.js';
import type { IngestFeed } from '../../../../libs/ingest-feed/src/feed.js';
import { STATISTICS_SOURCE_TABLES, type CachedEndpoint } from '../cache/cache-key.js';
import { StatisticsCacheService } from '../cache/statistics-cache.service.js';
import { ApiTelemetry } from '../telemetry/api-telemetry.js';
import { APP_CONFIG, CLICKHOUSE, INGEST } from '../tokens.js';
import { computeGlobalStatistics, computeKpis, computeRealTimeStats, computeSection, Moments, type Moment } from './compute.js';
import { computeLegacyStatistics } from './project-statistics.js';
import { resolveFilters } from './dto/filters.js';
import { staleVerdict } from '../cache/bounded-staleness.js';
import { FreshShare } from './fresh-share.js';
import { logBackgroundFailure } from '../engine/background-failure.js';

export type WithCalculationInfo<T> = T & { calculation_info: CalculationInfo };

/** How fresh an answer must be: `maxStaleSeconds` from the request (Cache-Control: max-stale), else the server's default. */
export interface Freshness {
  maxStaleSeconds?: number;
}

/**
 * How long after the first of them computations running on the same data may still share its
 * instant: an answer is then as of at most this long before its request (with no change applied in
 * between).
 */
const MOMENT_SHARE_MS = 1000;

@Injectable()
export class StatisticsService {
  private readonly logger = new Logger('statistics.calculation');
  /**
   * The responses built from each computed value, one per way of serving it (cached or not, stale or
   * not, the client's bound), and their JSON: cache hits and the requests sharing one computation get
   * the same response, serialised once (a thousand dashboards waiting on one computation under
   * constant writes would otherwise cost a thousand JSON.stringify).
   */
  private readonly responses = new WeakMap<object, Map<string, object>>();
  private readonly serialized = new WeakMap<object, string>();
  private readonly realTime = new FreshShare<RealTimeStats>();
  /** Computations running at the same time on the same data share their instant and their queries (compute.ts). */
  private readonly moments = new Moments(MOMENT_SHARE_MS);
  /** The newest real_time_stats computed and the instant it describes, for clients that accept it a little old. */
  private lastRealTime: { stats: RealTimeStats; asOf: Date } | null = null;

  constructor(
    @Inject(CLICKHOUSE) private readonly clickhouse: ClickHouse,
    @Inject(INGEST) private readonly ingest: IngestFeed,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ApiTelemetry) private readonly telemetry: ApiTelemetry,
    @Inject(StatisticsCacheService) private readonly cache: StatisticsCacheService,
  ) {}

  /** Until the initial snapshot is complete, ClickHouse holds part of the data: refuse, don't guess. */
  private assertReady(): void {
    if (!this.ingest.freshness().snapshotDone) {
      const { snapshot } = this.ingest.status();
      throw new ServiceUnavailableException({
        error: 'Statistiques indisponibles : copie initiale des données en cours',
        snapshot,
      });
    }
  }

  /**
   * One response: from the cache when an entry computed after the last change to the endpoint's
   * tables exists, else computed now for `filters` and stored.
   */
  private async cached<T extends object>(
    endpoint: CachedEndpoint,
    filters: StatisticsFilters,
    compute: (query: StatisticsQuery, moment: Moment) => Promise<T>,
    freshness: Freshness = {},
  ): Promise<WithCalculationInfo<T>> {
    const maxStaleSeconds = freshness.maxStaleSeconds ?? this.config.statisticsMaxStalenessSeconds;
    this.assertReady();
    // The requested filters, not the resolved window: "7d" stays one key as time passes.
    const key = {
      period: filters.period,
      from: filters.from?.toISOString(),
      to: filters.to?.toISOString(),
      city: filters.city ?? undefined,
      specialty: filters.specialty ?? undefined,
    };
    const result = await this.cache.getOrCompute(endpoint, key, STATISTICS_SOURCE_TABLES[endpoint], () => this.calculate(endpoint, filters, compute), {
      maxStaleMs: maxStaleSeconds * 1000,
    });
    const stale = result.stale === true;
    const served = `${result.cached}|${stale}|${maxStaleSeconds}|${result.generatedAt}|${result.dataAsOf}`;
    const byWay = this.responses.get(result.value) ?? new Map<string, object>();
    const known = byWay.get(served);
    if (known) return known as WithCalculationInfo<T>;
    const response = {
      ...result.value,
      // last_calculation and calculation_duration stay those of the computation that was cached.
      calculation_info: {
        ...result.value.calculation_info,
        cached: result.cached,
        generated_at: result.generatedAt,
        data_as_of: result.dataAsOf,
        stale,
        max_stale_seconds: maxStaleSeconds,
      },
    };
    byWay.set(served, response);
    this.responses.set(result.value, byWay);
    return response;
  }

  /** A response as JSON text, serialised once per response object (responses are never mutated). */
  json(response: object): string {
    let text = this.serialized.get(response);
    if (text === undefined) {
      text = JSON.stringify(response);
      this.serialized.set(response, text);
    }
    return text;
  }

  /** Runs one computation for `filters` as of now and wraps it with its calculation_info. */
  private async calculate<T extends object>(
    endpoint: string,
    filters: StatisticsFilters,
    compute: (query: StatisticsQuery, moment: Moment) => Promise<T>,
  ): Promise<WithCalculationInfo<T>> {
    this.assertReady();
    // Read before computing: the figures are at least as fresh as this instant says.
    const { dataAsOf, appliedLsn } = this.ingest.freshness();
    // Computations that start together on the same data share their instant and their figures.
    const { moment, release } = this.moments.take(appliedLsn);
    const now = moment.now;
    const query = resolveFilters(filters, now);
    const started = performance.now();
    let figures: T;
    try {
      figures = await compute(query, moment);
    } finally {
      release();
    }
    const seconds = Number(((performance.now() - started) / 1000).toFixed(3));
    const applied = describeFilters(query);
    this.logger.log({ message: `${endpoint} computed`, filters: applied, seconds });
    return {
      ...figures,
      calculation_info: {
        last_calculation: now.toISOString(),
        calculation_duration: seconds,
        cached: false,
        generated_at: now.toISOString(),
        data_as_of: dataAsOf,
        filters: applied,
      },
    };
  }

  globalStatistics(filters: StatisticsFilters, freshness: Freshness = {}): Promise<GlobalStatistics> {
    return this.cached('global_statistics', filters, (query, moment) => computeGlobalStatistics(this.clickhouse, query, moment), freshness);
  }

  section<S extends Section>(section: S, filters: StatisticsFilters, freshness: Freshness = {}): Promise<WithCalculationInfo<SectionFigures<S>>> {
    return this.cached(section, filters, (query, moment) => computeSection(this.clickhouse, section, query, moment), freshness);
  }

  /** Never cached: the technical KPIs measure the API up to this request. */
  kpis(filters: StatisticsFilters): Promise<WithCalculationInfo<Kpis>> {
    return this.calculate('kpis', filters, async (query, moment) => {
      const [figures, technical] = await Promise.all([
        computeKpis(this.clickhouse, query, { acquisitionSpendXof: this.config.acquisitionSpendXof }, moment),
        this.telemetry.technicalKpis(query, this.ingest.freshness().dataAsOf),
      ]);
      return { ...figures, technical };
    });
  }

  /**
   * Never cached, but shared: concurrent requests wait for the next computation (at least as new
   * as each of them) rather than each start one; no single request's departure cancels it.
   */
  async realTimeStats(): Promise<RealTimeStats> {
    this.assertReady();
    return this.realTime.run('real_time_stats', () =>
      withoutCancellation(async () => {
        const asOf = new Date();
        const stats = await computeRealTimeStats(this.clickhouse, asOf);
        if (!this.lastRealTime || this.lastRealTime.asOf < asOf) this.lastRealTime = { stats, asOf };
        return stats;
      }),
    );
  }

  /**
   * real_time_stats for a client that accepts an answer up to `maxStaleSeconds` old (Cache-Control:
   * max-stale, else STATISTICS_MAX_STALENESS_SECONDS): the last one computed (by a request or the
   * live room) when it is young enough, with its age in seconds (the HTTP Age header); else a fresh
   * one (age null). The payload has no calculation_info: the age is the only staleness mark.
   */
  async realTimeStatsWithin(freshness: Freshness = {}): Promise<{ stats: RealTimeStats; ageSeconds: number | null }> {
    this.assertReady();
    const maxStaleSeconds = freshness.maxStaleSeconds ?? this.config.statisticsMaxStalenessSeconds;
    const last = this.lastRealTime;
    if (last) {
      const ageMs = Date.now() - last.asOf.getTime();
      const verdict = staleVerdict(ageMs, maxStaleSeconds * 1000);
      if (verdict !== 'too-old') {
        // The next one computed meanwhile is shared with any fresh request (bounded-staleness.ts).
        if (verdict === 'serve-and-refresh' && !this.realTime.running('real_time_stats')) {
          this.realTimeStats().catch((error: unknown) => logBackgroundFailure(this.logger, 'background refresh of real_time_stats failed', error));
        }
        return { stats: last.stats, ageSeconds: Math.floor(ageMs / 1000) };
      }
    }
    return { stats: await this.realTimeStats(), ageSeconds: null };
  }

  /**
   * The legacy project_statistics and the figures of the legacy exports, as of `now`: never
   * cached, no filter (legacy-endpoints.md).
   */
  async legacyStatistics(now: Date): Promise<LegacyStatistics> {
    this.assertReady();
    const started = performance.now();
    const figures = await computeLegacyStatistics(this.clickhouse, now);
    const seconds = Number(((performance.now() - started) / 1000).toFixed(3));
    this.logger.log({ message: 'project_statistics computed', seconds });
    return figures;
  }
}

/** The filters a response applied, as plain JSON (instants ISO-8601 UTC). */
export function describeFilters(query: StatisticsQuery): CalculationInfo['filters'] {
  return {
    period: query.period,
    from: query.from?.toISOString() ?? null,
    to: query.to?.toISOString() ?? null,
    city: query.city,
    specialty: query.specialty,
  };
}
