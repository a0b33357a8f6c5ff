// GET /depannage/api/statistics/audit-log/: the audit trail for administrators, newest first,
// paginated like the alerts; ?action=&user=&from=&to=&page=&page_size=, anything else a 400.
import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses, AUDIT_PAGE } from '../openapi/schemas.js';
import { AdminGuard } from '../auth/admin.guard.js';
import { invalid, MAX_PAGE_SIZE, parsePage, parseWindow, positiveInteger, single } from '../statistics/dto/filters.js';
import { AUDIT_ACTIONS, AuditLog, type AuditAction, type AuditEntry, type AuditQuery } from './audit-log.js';

export const AUDIT_QUERY_PARAMETERS = ['action', 'user', 'from', 'to', 'page', 'page_size'] as const;

export function parseAuditQuery(query: Record<string, unknown>): AuditQuery {
  const { page, pageSize } = parsePage(query, AUDIT_QUERY_PARAMETERS);
  const action = single(query, 'action', AUDIT_ACTIONS);
  if (action !== undefined && !(AUDIT_ACTIONS as readonly string[]).includes(action)) {
    invalid('action', `invalid value ${JSON.stringify(action)}; expected one of ${AUDIT_ACTIONS.join(', ')}`, AUDIT_ACTIONS);
  }
  const { from, to } = parseWindow(query);
  return {
    action: (action as AuditAction | undefined) ?? null,
    userId: query.user === undefined ? null : positiveInteger(query, 'user', 0, Number.MAX_SAFE_INTEGER),
    from,
    to,
    page,
    pageSize,
  };
}

@ApiTags('audit')
@ApiBearerAuth()
@Controller('depannage/api/statistics/audit-log')
@UseGuards(AdminGuard)
export class AuditLogController {
  constructor(@Inject(AuditLog) private readonly audit: AuditLog) {}

  @Get()
  @ApiOperation({ summary: "Administrators' actions (rules, alerts, cache purges, exports, report schedules), newest first, paginated" })
  @ApiQuery({ name: 'action', required: false, enum: AUDIT_ACTIONS })
  @ApiQuery({ name: 'user', required: false, description: 'User id' })
  @ApiQuery({ name: 'from', required: false, description: 'at ≥ from (ISO-8601 instant with zone, or date)' })
  @ApiQuery({ name: 'to', required: false, description: 'at < to (a bare date includes that day)' })
  @ApiQuery({ name: 'page', required: false, description: '1-based' })
  @ApiQuery({ name: 'page_size', required: false, description: `1..${MAX_PAGE_SIZE}, default 50` })
  @ApiOkResponse({ schema: AUDIT_PAGE })
  @ApiErrorResponses()
  async list(@Query() query: Record<string, unknown>): Promise<{ count: number; page: number; page_size: number; results: AuditEntry[] }> {
    const parsed = parseAuditQuery(query);
    const { count, results } = await this.audit.list(parsed);
    return { count, page: parsed.page, page_size: parsed.pageSize, results };
  }
}
