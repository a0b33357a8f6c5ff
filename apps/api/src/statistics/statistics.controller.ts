// The statistics endpoints of the original Django backend, same paths and response keys.
import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { GlobalStatistics, RealTimeStats } from '../../../../libs/metrics/src/types.js';
import { PERIODS } from '../../../../libs/metrics/src/types.js';
import { AdminGuard } from '../auth/admin.guard.js';
import { parsePeriod, rejectUnknownParameters } from './dto/period.js';
import { StatisticsService } from './statistics.service.js';

@ApiTags('statistics')
@ApiBearerAuth()
@Controller('depannage/api/statistics')
@UseGuards(AdminGuard)
export class StatisticsController {
  constructor(@Inject(StatisticsService) private readonly statistics: StatisticsService) {}

  @Get('global_statistics')
  @ApiOperation({ summary: 'Every metric of the platform (overview, requests, financial, satisfaction, technicians, specialties, security, geography, trends, advanced)' })
  @ApiQuery({ name: 'period', required: false, enum: PERIODS, description: 'Rolling window filter; default all' })
  @ApiOkResponse({ description: 'Metrics as defined in shared/contract/metrics.md' })
  globalStatistics(@Query() query: Record<string, unknown>): Promise<GlobalStatistics> {
    rejectUnknownParameters(query, ['period']);
    return this.statistics.globalStatistics(parsePeriod(query.period));
  }

  @Get('real_time_stats')
  @ApiOperation({ summary: 'Activity over the last 24 h and 7 days, never cached' })
  realTimeStats(@Query() query: Record<string, unknown>): Promise<RealTimeStats> {
    rejectUnknownParameters(query, []);
    return this.statistics.realTimeStats();
  }
}
