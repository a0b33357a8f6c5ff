// Computes the statistics in ClickHouse and stamps them with when, how fast, for which filters and
// as of which operational change they were computed.
import { Inject, Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
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
import type { Ingest } from '../../../ingest/src/ingest.js';
import { ApiTelemetry } from '../telemetry/api-telemetry.js';
import { APP_CONFIG, CLICKHOUSE, INGEST } from '../tokens.js';
import { computeGlobalStatistics, computeKpis, computeRealTimeStats, computeSection } from './compute.js';
import { resolveFilters } from './dto/filters.js';

export type WithCalculationInfo<T> = T & { calculation_info: CalculationInfo };

@Injectable()
export class StatisticsService {
  private readonly logger = new Logger('statistics.calculation');

  constructor(
    @Inject(CLICKHOUSE) private readonly clickhouse: ClickHouse,
    @Inject(INGEST) private readonly ingest: Ingest,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ApiTelemetry) private readonly telemetry: ApiTelemetry,
  ) {}

  /** Until the initial snapshot is complete, ClickHouse holds part of the data: refuse, don't guess. */
  private assertReady(): void {
    const { snapshot } = this.ingest.status();
    if (snapshot.status !== 'done') {
      throw new ServiceUnavailableException({
        error: 'Statistiques indisponibles : copie initiale des données en cours',
        snapshot,
      });
    }
  }

  /** Runs one computation for `filters` as of now and wraps it with its calculation_info. */
  private async calculate<T extends object>(
    endpoint: string,
    filters: StatisticsFilters,
    compute: (query: StatisticsQuery) => Promise<T>,
  ): Promise<WithCalculationInfo<T>> {
    this.assertReady();
    // Read before computing: the figures are at least as fresh as this instant says.
    const dataAsOf = this.ingest.status().dataAsOf;
    const now = new Date();
    const query = resolveFilters(filters, now);
    const started = performance.now();
    const figures = await compute(query);
    const seconds = Number(((performance.now() - started) / 1000).toFixed(3));
    this.logger.log({ message: `${endpoint} computed`, filters: describeFilters(query), seconds });
    return {
      ...figures,
      calculation_info: {
        last_calculation: now.toISOString(),
        calculation_duration: seconds,
        cached: false,
        data_as_of: dataAsOf,
        filters: describeFilters(query),
      },
    };
  }

  globalStatistics(filters: StatisticsFilters): Promise<GlobalStatistics> {
    return this.calculate('global_statistics', filters, (query) => computeGlobalStatistics(this.clickhouse, query));
  }

  section<S extends Section>(section: S, filters: StatisticsFilters): Promise<WithCalculationInfo<SectionFigures<S>>> {
    return this.calculate(section, filters, (query) => computeSection(this.clickhouse, section, query));
  }

  kpis(filters: StatisticsFilters): Promise<WithCalculationInfo<Kpis>> {
    return this.calculate('kpis', filters, async (query) => {
      const [figures, technical] = await Promise.all([
        computeKpis(this.clickhouse, query, { acquisitionSpendXof: this.config.acquisitionSpendXof }),
        this.telemetry.technicalKpis(query, this.ingest.status().dataAsOf),
      ]);
      return { ...figures, technical };
    });
  }

  async realTimeStats(): Promise<RealTimeStats> {
    this.assertReady();
    return computeRealTimeStats(this.clickhouse, new Date());
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
