// Computes the statistics in ClickHouse and stamps them with when and how fresh they are.
import { Inject, Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import type { ClickHouse } from '../../../../libs/clickhouse/src/clickhouse.js';
import type { GlobalStatistics, Period, RealTimeStats } from '../../../../libs/metrics/src/types.js';
import type { Ingest } from '../../../ingest/src/ingest.js';
import { STATISTICS_SOURCE_TABLES } from '../cache/cache-key.js';
import { StatisticsCacheService } from '../cache/statistics-cache.service.js';
import { CLICKHOUSE, INGEST } from '../tokens.js';
import { computeGlobalStatistics, computeRealTimeStats } from './compute.js';

@Injectable()
export class StatisticsService {
  private readonly logger = new Logger('statistics.calculation');

  constructor(
    @Inject(CLICKHOUSE) private readonly clickhouse: ClickHouse,
    @Inject(INGEST) private readonly ingest: Ingest,
    @Inject(StatisticsCacheService) private readonly cache: StatisticsCacheService,
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

  async globalStatistics(period: Period): Promise<GlobalStatistics> {
    this.assertReady();
    const result = await this.cache.getOrCompute('global_statistics', { period }, STATISTICS_SOURCE_TABLES.global_statistics, () =>
      this.computeGlobalStatistics(period),
    );
    return {
      ...result.value,
      // last_calculation and calculation_duration stay those of the computation that was cached.
      calculation_info: {
        ...result.value.calculation_info,
        cached: result.cached,
        generated_at: result.generatedAt,
        data_as_of: result.dataAsOf,
      },
    };
  }

  private async computeGlobalStatistics(period: Period): Promise<GlobalStatistics> {
    const now = new Date();
    const started = performance.now();
    const figures = await computeGlobalStatistics(this.clickhouse, { period, now });
    const seconds = (performance.now() - started) / 1000;
    this.logger.log({ message: 'global_statistics computed', period, seconds: Number(seconds.toFixed(3)) });
    return {
      ...figures,
      calculation_info: {
        last_calculation: now.toISOString(),
        calculation_duration: Number(seconds.toFixed(3)),
        cached: false,
        generated_at: now.toISOString(),
        data_as_of: this.ingest.status().dataAsOf,
      },
    };
  }

  async realTimeStats(): Promise<RealTimeStats> {
    this.assertReady();
    return computeRealTimeStats(this.clickhouse, new Date());
  }
}
