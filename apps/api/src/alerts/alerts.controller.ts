// Alert history and its two actions. Thin: parsing here, the lifecycle in AlertsService.
import { Controller, Get, HttpCode, Inject, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ALERT, ALERT_PAGE, ApiErrorResponses } from '../openapi/schemas.js';
import type { FastifyRequest } from 'fastify';
import type { Alert } from '../../../../libs/metrics/src/alerts.js';
import { ALERT_STATUSES } from '../../../../libs/metrics/src/alerts.js';
import { AuditLog } from '../audit/audit-log.js';
import { AdminGuard, type AuthenticatedUser } from '../auth/admin.guard.js';
import { AlertsService } from './alerts.service.js';
import { MAX_PAGE_SIZE, parseAlertQuery } from './dto/alert-query.js';

type AuthenticatedRequest = FastifyRequest & { user: AuthenticatedUser };

@ApiTags('alerts')
@ApiBearerAuth()
@Controller('depannage/api/statistics/alerts')
@UseGuards(AdminGuard)
export class AlertsController {
  constructor(
    @Inject(AlertsService) private readonly alerts: AlertsService,
    @Inject(AuditLog) private readonly audit: AuditLog,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Alert history, newest first (first_seen), paginated' })
  @ApiOkResponse({ schema: ALERT_PAGE })
  @ApiErrorResponses()
  @ApiQuery({ name: 'status', required: false, enum: ALERT_STATUSES })
  @ApiQuery({ name: 'rule', required: false, description: 'Rule id' })
  @ApiQuery({ name: 'from', required: false, description: 'first_seen ≥ from (ISO-8601 instant with zone, or date)' })
  @ApiQuery({ name: 'to', required: false, description: 'first_seen < to (a bare date includes that day)' })
  @ApiQuery({ name: 'page', required: false, description: '1-based' })
  @ApiQuery({ name: 'page_size', required: false, description: `1..${MAX_PAGE_SIZE}, default 50` })
  async list(@Query() query: Record<string, unknown>): Promise<{ count: number; page: number; page_size: number; results: Alert[] }> {
    const parsed = parseAlertQuery(query);
    const { count, results } = await this.alerts.list(parsed);
    return { count, page: parsed.page, page_size: parsed.pageSize, results };
  }

  @Post(':id/acknowledge')
  @HttpCode(200)
  @ApiOperation({ summary: 'Acknowledge an open alert (it stays open for de-duplication until resolved)' })
  @ApiOkResponse({ description: 'The alert after the change', schema: ALERT })
  @ApiErrorResponses({ notFound: true })
  async acknowledge(@Param('id') id: string, @Req() request: AuthenticatedRequest): Promise<Alert> {
    const alert = await this.alerts.acknowledge(id, request.user.id);
    await this.audit.record(request, 'alert.acknowledged', id, { rule_id: alert.rule_id });
    return alert;
  }

  @Post(':id/resolve')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resolve an alert; if its condition still holds, a new one is raised after the rule cooldown' })
  @ApiOkResponse({ description: 'The alert after the change', schema: ALERT })
  @ApiErrorResponses({ notFound: true })
  async resolve(@Param('id') id: string, @Req() request: AuthenticatedRequest): Promise<Alert> {
    const alert = await this.alerts.resolve(id, request.user.id);
    await this.audit.record(request, 'alert.resolved', id, { rule_id: alert.rule_id });
    return alert;
  }
}
