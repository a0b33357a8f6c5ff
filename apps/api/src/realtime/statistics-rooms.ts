// The statistics rooms: `realtime` carries the real_time_stats payload, `section:<name>` a section
// endpoint's payload with its default filters (the same object as the HTTP answer, through the
// same cache).
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { SECTIONS, type Section } from '../../../../libs/metrics/src/types.js';
import type { IngestFeed } from '../../../../libs/ingest-feed/src/feed.js';
import { STATISTICS_SOURCE_TABLES } from '../cache/cache-key.js';
import { parseFilters } from '../statistics/dto/filters.js';
import { StatisticsService } from '../statistics/statistics.service.js';
import { INGEST } from '../tokens.js';
import { RoomDirectory, RoomRefused } from './room-directory.js';

/** What real_time_stats reads (see queries/realtime.ts). */
export const REAL_TIME_TABLES = ['depannage_repairrequest', 'users_user', 'depannage_review', 'depannage_payment', 'depannage_technician'];

/** What a GET without parameters applies. */
const DEFAULT_FILTERS = parseFilters({});

@Injectable()
export class StatisticsRooms implements OnModuleInit {
  constructor(
    @Inject(RoomDirectory) private readonly directory: RoomDirectory,
    @Inject(StatisticsService) private readonly statistics: StatisticsService,
    @Inject(INGEST) private readonly ingest: IngestFeed,
  ) {}

  onModuleInit(): void {
    this.directory.register('realtime', (argument) => {
      if (argument !== null) throw new RoomRefused('the realtime room takes no argument');
      return {
        tables: REAL_TIME_TABLES,
        tick: true,
        volatile: ['current_time'],
        current: async () => {
          // Read before computing: the figures include at least the changes up to this instant.
          const dataAsOf = this.ingest.freshness().dataAsOf;
          return { data: await this.statistics.realTimeStats(), data_as_of: dataAsOf };
        },
      };
    });
    this.directory.register('section', (argument) => {
      if (argument === null || !(SECTIONS as readonly string[]).includes(argument)) {
        throw new RoomRefused(`unknown section ${JSON.stringify(argument)}; available: ${SECTIONS.map((name) => `section:${name}`).join(', ')}`);
      }
      const section = argument as Section;
      return {
        tables: STATISTICS_SOURCE_TABLES[section],
        tick: true,
        volatile: ['calculation_info'],
        current: async () => {
          const data = await this.statistics.section(section, DEFAULT_FILTERS);
          return { data, data_as_of: data.calculation_info.data_as_of };
        },
      };
    });
  }
}
