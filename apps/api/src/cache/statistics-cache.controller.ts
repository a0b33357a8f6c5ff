// Manual purge of the statistics cache, for admins (e.g. after fixing data by hand in a way the
// ingest does not see, or to measure cold timings).
import { Controller, Delete, HttpCode, Inject, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditLog, type AuditedRequest } from '../audit/audit-log.js';
import { AdminGuard } from '../auth/admin.guard.js';
import { rejectUnknownParameters } from '../statistics/dto/filters.js';
import { StatisticsCacheService } from './statistics-cache.service.js';

/** Path of the purge: runtime.ts lets DELETE through to this path only. */
export const CACHE_PURGE_PATH = '/depannage/api/statistics/cache';

@ApiTags('statistics')
@ApiBearerAuth()
@Controller('depannage/api/statistics/cache')
@UseGuards(AdminGuard)
export class StatisticsCacheController {
  constructor(
    @Inject(StatisticsCacheService) private readonly cache: StatisticsCacheService,
    @Inject(AuditLog) private readonly audit: AuditLog,
  ) {}

  @Delete()
  @HttpCode(200)
  @ApiOperation({ summary: 'Delete every cached statistics response of this service (its key prefix only)' })
  @ApiOkResponse({ description: '{"purged": <number of entries deleted>}' })
  async purge(@Query() query: Record<string, unknown>, @Req() request: AuditedRequest): Promise<{ purged: number }> {
    // The purge takes no parameter: one given (a scope, say) would be silently ignored otherwise.
    rejectUnknownParameters(query, []);
    // A Redis that fails is a CacheUnavailableError: 503 (errors filter).
    const purged = await this.cache.purge();
    await this.audit.record(request, 'cache.purged', null, purged);
    return purged;
  }
}
