// The dashboards endpoints (docs/dashboards.md). Thin: bodies are validated by dto/dashboard.ts (400
// `{detail, field, valid?}`, nothing saved), ownership and data by DashboardsService (another user's
// dashboard is a 404), exports by the exports module; every change is written to the audit log.
import { BadRequestException, Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '../../../../libs/config/src/config.js';
import { DASHBOARD_EXPORT_TYPES, WIDGET_TYPES, type Dashboard, type DashboardData } from '../../../../libs/metrics/src/dashboards.js';
import type { ExportType } from '../../../../libs/metrics/src/exports.js';
import { AuditLog } from '../audit/audit-log.js';
import { AdminGuard, type AuthenticatedUser } from '../auth/admin.guard.js';
import {
  ApiErrorResponses,
  DASHBOARD,
  DASHBOARD_DATA,
  DASHBOARD_INPUT,
  DASHBOARD_LIST,
  DASHBOARD_PATCH,
  DASHBOARD_SOURCES,
  EXPORT_ACCEPTED,
} from '../openapi/schemas.js';
import { invalid, rejectUnknownParameters, single } from '../statistics/dto/filters.js';
import { APP_CONFIG } from '../tokens.js';
import { DashboardExports } from './dashboard-exports.js';
import { DashboardsService, type DashboardViewer } from './dashboards.service.js';
import { parseDashboardInput, parseDashboardPatch } from './dto/dashboard.js';
import { endpointKeys, WIDGET_ENDPOINTS, type SourceKey } from './widget-sources.js';

/** Path of the collection: write-routes.ts lets POST through to it, PATCH/DELETE to its members, POST to their export. */
export const DASHBOARDS_PATH = '/depannage/api/statistics/dashboards';

type AuthenticatedRequest = FastifyRequest & { user?: AuthenticatedUser };

function viewerOf(request: AuthenticatedRequest): DashboardViewer {
  const user = request.user!;
  return { id: user.id, userType: user.userType };
}

/** ?owner= of the list: a user id or `all`, for administrators (user_type admin) only. */
function parseOwner(query: Record<string, unknown>, viewer: DashboardViewer): number | 'all' | null {
  rejectUnknownParameters(query, ['owner']);
  const valid = 'a user id or all';
  const text = single(query, 'owner', valid);
  if (text === undefined) return null;
  const owner = text === 'all' ? 'all' : /^[1-9]\d{0,9}$/.test(text) && Number(text) <= 2_147_483_647 ? Number(text) : invalid('owner', `invalid value ${JSON.stringify(text)}; expected ${valid}`, valid);
  if (owner !== viewer.id && viewer.userType !== 'admin') invalid('owner', "only administrators (user_type admin) may list other users' dashboards", valid);
  return owner;
}

@ApiTags('dashboards')
@ApiBearerAuth()
@Controller('depannage/api/statistics/dashboards')
@UseGuards(AdminGuard)
export class DashboardsController {
  constructor(
    @Inject(DashboardsService) private readonly dashboards: DashboardsService,
    @Inject(DashboardExports) private readonly exports: DashboardExports,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @ApiOperation({ summary: "The caller's dashboards, oldest first: {results, count}; the first call gives the default dashboard (the guide's overview) once" })
  @ApiQuery({ name: 'owner', required: false, description: "Administrators: another user's id, or all" })
  @ApiOkResponse({ schema: DASHBOARD_LIST })
  @ApiErrorResponses()
  async list(@Query() query: Record<string, unknown>, @Req() request: AuthenticatedRequest): Promise<{ results: Dashboard[]; count: number }> {
    const viewer = viewerOf(request);
    const results = await this.dashboards.list(viewer, parseOwner(query, viewer));
    return { results, count: results.length };
  }

  @Get('sources')
  @ApiOperation({ summary: 'What a widget may show: its types, and every endpoint with the keys of its answer (from the response schemas)' })
  @ApiOkResponse({ schema: DASHBOARD_SOURCES })
  @ApiErrorResponses()
  sources(@Query() query: Record<string, unknown>): { widget_types: readonly string[]; endpoints: Array<{ endpoint: string; keys: SourceKey[] }> } {
    rejectUnknownParameters(query, []);
    return { widget_types: WIDGET_TYPES, endpoints: WIDGET_ENDPOINTS.map((endpoint) => ({ endpoint, keys: endpointKeys(endpoint) })) };
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a dashboard for the caller (name required; refresh DASHBOARD_REFRESH_SECONDS, widgets WIDGET_REFRESH_SECONDS by default)' })
  @ApiBody({ schema: DASHBOARD_INPUT })
  @ApiCreatedResponse({ description: 'The dashboard as stored', schema: DASHBOARD })
  @ApiErrorResponses({ jsonBody: true })
  async create(@Body() body: unknown, @Req() request: AuthenticatedRequest): Promise<Dashboard> {
    const input = parseDashboardInput(body, this.config.dashboards);
    const dashboard = await this.dashboards.create(viewerOf(request), input);
    await this.audit.record(request, 'dashboard.created', dashboard.id, { name: dashboard.name, widgets: dashboard.widgets.length });
    return dashboard;
  }

  @Get(':id')
  @ApiOperation({ summary: 'One dashboard (its owner or an administrator)' })
  @ApiOkResponse({ schema: DASHBOARD })
  @ApiErrorResponses({ notFound: true })
  get(@Param('id') id: string, @Req() request: AuthenticatedRequest): Promise<Dashboard> {
    return this.dashboards.get(viewerOf(request), id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change some fields of a dashboard; `widgets` replaces the whole list (keep their ids to keep them)' })
  @ApiBody({ schema: DASHBOARD_PATCH })
  @ApiOkResponse({ description: 'The dashboard after the change', schema: DASHBOARD })
  @ApiErrorResponses({ notFound: true, jsonBody: true })
  async update(@Param('id') id: string, @Body() body: unknown, @Req() request: AuthenticatedRequest): Promise<Dashboard> {
    const viewer = viewerOf(request);
    // The owner check first: someone else's dashboard is a 404 whatever the body says.
    await this.dashboards.get(viewer, id);
    const patch = parseDashboardPatch(body, this.config.dashboards);
    const dashboard = await this.dashboards.update(viewer, id, patch);
    await this.audit.record(request, 'dashboard.updated', id, { fields: Object.keys(patch), owner: dashboard.owner });
    return dashboard;
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a dashboard (a deleted default dashboard is not given again)' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrorResponses({ notFound: true })
  async delete(@Param('id') id: string, @Req() request: AuthenticatedRequest): Promise<void> {
    const dashboard = await this.dashboards.delete(viewerOf(request), id);
    await this.audit.record(request, 'dashboard.deleted', id, { name: dashboard.name, owner: dashboard.owner });
  }

  @Get(':id/data')
  @ApiOperation({ summary: "Every widget's value in one call (the value at its key in its endpoint's answer, through the statistics cache), with data_as_of" })
  @ApiOkResponse({ schema: DASHBOARD_DATA })
  @ApiErrorResponses({ notFound: true })
  async data(@Param('id') id: string, @Query() query: Record<string, unknown>, @Req() request: AuthenticatedRequest): Promise<DashboardData> {
    rejectUnknownParameters(query, []);
    const dashboard = await this.dashboards.get(viewerOf(request), id);
    return this.dashboards.data(dashboard);
  }

  @Post(':id/export')
  @HttpCode(202)
  @ApiOperation({ summary: 'Export what the dashboard shows (?type=pdf|excel|csv): an export job, followed as any other (GET exports/<id>/, room export:<id>)' })
  @ApiQuery({ name: 'type', required: true, enum: DASHBOARD_EXPORT_TYPES })
  @ApiAcceptedResponse({ description: 'The job, pending', schema: EXPORT_ACCEPTED })
  @ApiErrorResponses({ notFound: true })
  async export(
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @Req() request: AuthenticatedRequest,
  ): Promise<{ export_id: string; status: string }> {
    rejectUnknownParameters(query, ['type']);
    const type = single(query, 'type', DASHBOARD_EXPORT_TYPES);
    const viewer = viewerOf(request);
    const dashboard = await this.dashboards.get(viewer, id);
    if (type === undefined || !(DASHBOARD_EXPORT_TYPES as readonly string[]).includes(type)) {
      throw new BadRequestException({
        detail: `type: ${type === undefined ? 'required' : `invalid value ${JSON.stringify(type)}`}; expected one of ${DASHBOARD_EXPORT_TYPES.join(', ')} (the widgets' values as JSON are GET …/data/)`,
        parameter: 'type',
        valid: DASHBOARD_EXPORT_TYPES,
      });
    }
    const job = await this.exports.create(viewer.id, dashboard, type as ExportType);
    await this.audit.record(request, 'export.created', job.id, { type, dashboard_id: dashboard.id });
    return { export_id: job.id, status: job.status };
  }
}
