// CRUD of alert rules for administrators. Thin: bodies are validated by dto/alert-rule.ts (400
// `{detail, field, valid?}`), rules are read and written by AlertRulesRepository; every change is
// logged with the rule and the user who made it.
import { Body, Controller, Delete, Get, HttpCode, Inject, Logger, NotFoundException, Param, Patch, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ALERT_RULE, ALERT_RULE_INPUT, ALERT_RULE_LIST, ALERT_RULE_PATCH, ApiErrorResponses } from '../openapi/schemas.js';
import type { FastifyRequest } from 'fastify';
import type { AlertRule } from '../../../../libs/metrics/src/alerts.js';
import { AuditLog } from '../audit/audit-log.js';
import { AdminGuard, type AuthenticatedUser } from '../auth/admin.guard.js';
import { AlertRulesRepository } from './alert-rules.repository.js';
import { parseAlertRuleInput, parseAlertRulePatch } from './dto/alert-rule.js';

/** Path of the collection: runtime.ts lets POST through to it, and PATCH/DELETE to its members. */
export const ALERT_RULES_PATH = '/depannage/api/statistics/alert-rules';

type AuthenticatedRequest = FastifyRequest & { user?: AuthenticatedUser };

function notFound(id: string): never {
  throw new NotFoundException({ detail: `No alert rule with id ${JSON.stringify(id)}.` });
}

@ApiTags('alerts')
@ApiBearerAuth()
@Controller('depannage/api/statistics/alert-rules')
@UseGuards(AdminGuard)
export class AlertRulesController {
  private readonly logger = new Logger('statistics.alerts');

  constructor(
    @Inject(AlertRulesRepository) private readonly rules: AlertRulesRepository,
    @Inject(AuditLog) private readonly audit: AuditLog,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Every alert rule, oldest first: {results, count}' })
  @ApiOkResponse({ schema: ALERT_RULE_LIST })
  @ApiErrorResponses()
  async list(): Promise<{ results: AlertRule[]; count: number }> {
    const results = await this.rules.list();
    return { results, count: results.length };
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create an alert rule (every field of AlertRuleInput; name derived from the rule when absent)' })
  @ApiBody({ schema: ALERT_RULE_INPUT })
  @ApiCreatedResponse({ description: 'The rule as stored', schema: ALERT_RULE })
  @ApiErrorResponses({ jsonBody: true })
  async create(@Body() body: unknown, @Req() request: AuthenticatedRequest): Promise<AlertRule> {
    const input = parseAlertRuleInput(body);
    const rule = await this.rules.create(input);
    this.logger.log({ message: 'alert rule created', rule_id: rule.id, user_id: request.user?.id ?? null, kind: rule.kind, metric: rule.metric });
    await this.audit.record(request, 'alert_rule.created', rule.id, { kind: rule.kind, metric: rule.metric });
    return rule;
  }

  @Get(':id')
  @ApiOperation({ summary: 'One alert rule' })
  @ApiOkResponse({ schema: ALERT_RULE })
  @ApiErrorResponses({ notFound: true })
  async get(@Param('id') id: string): Promise<AlertRule> {
    return (await this.rules.get(id)) ?? notFound(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change some fields of an alert rule (kind cannot change); an edited default rule no longer follows the environment' })
  @ApiBody({ schema: ALERT_RULE_PATCH })
  @ApiOkResponse({ description: 'The rule after the change', schema: ALERT_RULE })
  @ApiErrorResponses({ notFound: true, jsonBody: true })
  async update(@Param('id') id: string, @Body() body: unknown, @Req() request: AuthenticatedRequest): Promise<AlertRule> {
    const patch = parseAlertRulePatch(body);
    const rule = (await this.rules.update(id, patch)) ?? notFound(id);
    this.logger.log({ message: 'alert rule updated', rule_id: id, user_id: request.user?.id ?? null, fields: Object.keys(patch) });
    await this.audit.record(request, 'alert_rule.updated', id, { fields: Object.keys(patch) });
    return rule;
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an alert rule (a deleted default rule is not created again)' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrorResponses({ notFound: true })
  async delete(@Param('id') id: string, @Req() request: AuthenticatedRequest): Promise<void> {
    if (!(await this.rules.delete(id))) notFound(id);
    this.logger.log({ message: 'alert rule deleted', rule_id: id, user_id: request.user?.id ?? null });
    await this.audit.record(request, 'alert_rule.deleted', id);
  }
}
