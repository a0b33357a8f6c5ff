// The statistics endpoints of the original Django backend (same paths and response keys), plus one
// endpoint per section for the dashboard tabs and the KPIs (docs/statistics-api.md).
import { Controller, Get, Headers, Inject, NotFoundException, Param, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Kpis, Section } from '../../../../libs/metrics/src/types.js';
import { PERIODS, SECTIONS } from '../../../../libs/metrics/src/types.js';
import { AdminGuard } from '../auth/admin.guard.js';
import { parseFilters, parseMaxStale, rejectUnknownParameters } from './dto/filters.js';
import { StatisticsService, type WithCalculationInfo } from './statistics.service.js';
import { ApiErrorResponses, ERROR_BODY, GLOBAL_STATISTICS, KPIS, REAL_TIME_STATS, SECTION } from '../openapi/schemas.js';

/** The filter parameters, documented once for every endpoint that takes them. */
function FilterQueries(): MethodDecorator {
  const decorators = [
    ApiQuery({ name: 'period', required: false, enum: PERIODS, description: 'Rolling window; default all. Not with from/to.' }),
    ApiQuery({ name: 'from', required: false, description: 'Inclusive start: ISO-8601 instant with zone, or a date (00:00 UTC)' }),
    ApiQuery({ name: 'to', required: false, description: 'Exclusive end: ISO-8601 instant with zone, or a date (that whole day included)' }),
    ApiQuery({ name: 'city', required: false, description: 'Exact R.city (request-scoped metrics)' }),
    ApiQuery({ name: 'specialty', required: false, description: 'Exact R.specialty_needed (request-scoped metrics)' }),
  ];
  return (target, key, descriptor) => {
    for (const decorator of decorators) decorator(target, key, descriptor);
  };
}

@ApiTags('statistics')
@ApiBearerAuth()
@ApiErrorResponses()
@Controller('depannage/api/statistics')
@UseGuards(AdminGuard)
export class StatisticsController {
  constructor(@Inject(StatisticsService) private readonly statistics: StatisticsService) {}

  @Get('global_statistics')
  @ApiOperation({ summary: 'Every metric of the platform (overview, requests, financial, satisfaction, technicians, specialties, security, geography, trends, advanced)' })
  @FilterQueries()
  @ApiOkResponse({ description: 'Every metric, with calculation_info (docs/metrics.md, docs/statistics-api.md)', schema: GLOBAL_STATISTICS })
  async globalStatistics(
    @Query() query: Record<string, unknown>,
    @Headers('cache-control') cacheControl: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const filters = parseFilters(query);
    return this.json(reply, await this.statistics.globalStatistics(filters, { maxStaleSeconds: parseMaxStale(cacheControl) }));
  }

  @Get('real_time_stats')
  @ApiOperation({ summary: 'Activity over the last 24 h and 7 days, never cached, no filter' })
  @ApiOkResponse({
    description: 'Activity over the last 24 h and 7 days. With `Cache-Control: max-stale=N`, an answer up to N s old may be served: its age in seconds is then the `Age` header',
    schema: REAL_TIME_STATS,
  })
  async realTimeStats(
    @Query() query: Record<string, unknown>,
    @Headers('cache-control') cacheControl: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    rejectUnknownParameters(query, []);
    const { stats, ageSeconds } = await this.statistics.realTimeStatsWithin({ maxStaleSeconds: parseMaxStale(cacheControl) });
    if (ageSeconds !== null) void reply.header('Age', String(ageSeconds));
    // The requests sharing one computation share its JSON too.
    return this.json(reply, stats);
  }

  @Get('kpis')
  @ApiOperation({ summary: 'Business, operational and technical KPIs' })
  @ApiOkResponse({ description: 'KPIs with calculation_info', schema: KPIS })
  @FilterQueries()
  kpis(@Query() query: Record<string, unknown>): Promise<WithCalculationInfo<Kpis>> {
    return this.statistics.kpis(parseFilters(query));
  }

  @Get(':section')
  @ApiOperation({ summary: "One section of global_statistics (same keys and values for the same filters) plus the section's extra keys" })
  @ApiParam({ name: 'section', enum: SECTIONS })
  @ApiOkResponse({ description: 'The section named in the path (schema titled with its name)', schema: SECTION })
  @ApiNotFoundResponse({ description: 'Not a section: `valid` lists the endpoints', schema: ERROR_BODY })
  @FilterQueries()
  async section(
    @Param('section') section: string,
    @Query() query: Record<string, unknown>,
    @Headers('cache-control') cacheControl: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    if (!(SECTIONS as readonly string[]).includes(section)) {
      throw new NotFoundException({
        detail: `unknown statistics endpoint "${section}"; available: global_statistics, real_time_stats, kpis, ${SECTIONS.join(', ')}`,
        valid: ['global_statistics', 'real_time_stats', 'kpis', ...SECTIONS],
      });
    }
    const filters = parseFilters(query);
    return this.json(reply, await this.statistics.section(section as Section, filters, { maxStaleSeconds: parseMaxStale(cacheControl) }));
  }

  /** Responses are sent as the JSON text serialised when one of them was first served (cached or shared). */
  private json(reply: FastifyReply, response: object): string {
    void reply.type('application/json; charset=utf-8');
    return this.statistics.json(response);
  }
}
