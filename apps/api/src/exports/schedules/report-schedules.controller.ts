// Report schedules for administrators (docs/exports.md, "Scheduled reports"). Thin: bodies are
// validated by dto/report-schedule.ts (400 `{detail, field, valid?}`, nothing saved), schedules are
// read and written by ReportSchedulesRepository and armed by ReportScheduler. A schedule belongs to
// its creator: another user's id, like an unknown or malformed one, is a 404.
import { randomUUID } from 'node:crypto';
import { Body, Controller, Delete, Get, HttpCode, Inject, Logger, NotFoundException, Param, Patch, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses, REPORT_RUN, REPORT_RUN_PAGE, REPORT_SCHEDULE, REPORT_SCHEDULE_INPUT, REPORT_SCHEDULE_PAGE, REPORT_SCHEDULE_PATCH } from '../../openapi/schemas.js';
import type { FastifyRequest } from 'fastify';
import type { ReportRunView, ReportScheduleView } from '../../../../../libs/metrics/src/report-schedules.js';
import { AuditLog } from '../../audit/audit-log.js';
import { AdminGuard, type AuthenticatedUser } from '../../auth/admin.guard.js';
import { parsePage } from '../../statistics/dto/filters.js';
import { EXPORT_ID } from '../export-files.js';
import { parseReportScheduleInput, parseReportSchedulePatch } from './dto/report-schedule.js';
import { ReportDelivery } from './report-delivery.js';
import { ReportScheduler, runView, scheduleView } from './report-scheduler.js';
import { ReportSchedulesRepository, type ReportSchedule } from './report-schedules.repository.js';

/** Path of the collection (write-routes.ts lets POST through to it, PATCH/DELETE to its members, POST to …/run). */
export const REPORT_SCHEDULES_PATH = '/depannage/api/statistics/report-schedules';

type AuthenticatedRequest = FastifyRequest & { user: AuthenticatedUser };

interface Page<T> {
  count: number;
  page: number;
  page_size: number;
  results: T[];
}

function notFound(id: string): never {
  throw new NotFoundException({ detail: `planification inconnue : ${JSON.stringify(id.slice(0, 64))}` });
}

@ApiTags('exports')
@ApiBearerAuth()
@Controller('depannage/api/statistics/report-schedules')
@UseGuards(AdminGuard)
export class ReportSchedulesController {
  private readonly logger = new Logger('statistics.export');

  constructor(
    @Inject(ReportSchedulesRepository) private readonly schedules: ReportSchedulesRepository,
    @Inject(ReportScheduler) private readonly scheduler: ReportScheduler,
    @Inject(ReportDelivery) private readonly delivery: ReportDelivery,
    @Inject(AuditLog) private readonly audit: AuditLog,
  ) {}

  @Get()
  @ApiOperation({ summary: "The caller's report schedules, oldest first, paginated: {count, page, page_size, results}" })
  @ApiOkResponse({ schema: REPORT_SCHEDULE_PAGE })
  @ApiErrorResponses()
  async list(@Query() query: Record<string, unknown>, @Req() request: AuthenticatedRequest): Promise<Page<ReportScheduleView>> {
    const { page, pageSize } = parsePage(query);
    const { count, schedules } = await this.schedules.listByOwner(request.user.id, page, pageSize);
    const last = await this.schedules.lastRuns(schedules.map((schedule) => schedule.id));
    return { count, page, page_size: pageSize, results: schedules.map((schedule) => scheduleView(schedule, last.get(schedule.id) ?? null, this.delivery.smtpConfigured)) };
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a report schedule: {name, cron, timezone?, type, period?|from?/to?, city?, specialty?, sections?, raw?, recipients?, webhook_url?, enabled?}' })
  @ApiBody({ schema: REPORT_SCHEDULE_INPUT })
  @ApiCreatedResponse({ schema: REPORT_SCHEDULE })
  @ApiErrorResponses({ jsonBody: true })
  async create(@Body() body: unknown, @Req() request: AuthenticatedRequest): Promise<ReportScheduleView> {
    const input = parseReportScheduleInput(body);
    const schedule = await this.schedules.insert(randomUUID(), request.user.id, input);
    this.scheduler.changed(schedule);
    this.logger.log({ message: 'report schedule created', schedule_id: schedule.id, user_id: request.user.id, cron: schedule.cron, timezone: schedule.timezone, type: schedule.request.type });
    await this.audit.record(request, 'report_schedule.created', schedule.id, { cron: schedule.cron, timezone: schedule.timezone, type: schedule.request.type });
    return scheduleView(schedule, null, this.delivery.smtpConfigured);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One report schedule, with next_run_at and last_run' })
  @ApiOkResponse({ schema: REPORT_SCHEDULE })
  @ApiErrorResponses({ notFound: true })
  async get(@Param('id') id: string, @Req() request: AuthenticatedRequest): Promise<ReportScheduleView> {
    return this.view(await this.owned(request.user.id, id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change some fields of a report schedule (validated as a whole; re-armed at once)' })
  @ApiBody({ schema: REPORT_SCHEDULE_PATCH })
  @ApiOkResponse({ schema: REPORT_SCHEDULE })
  @ApiErrorResponses({ notFound: true, jsonBody: true })
  async update(@Param('id') id: string, @Body() body: unknown, @Req() request: AuthenticatedRequest): Promise<ReportScheduleView> {
    if (!EXPORT_ID.test(id)) notFound(id);
    const patch = parseReportSchedulePatch(body);
    const schedule = (await this.schedules.update(request.user.id, id, patch)) ?? notFound(id);
    this.scheduler.changed(schedule);
    this.logger.log({ message: 'report schedule updated', schedule_id: id, user_id: request.user.id, fields: Object.keys(patch) });
    await this.audit.record(request, 'report_schedule.updated', id, { fields: Object.keys(patch) });
    return this.view(schedule);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a report schedule and its run history (exports already made stay)' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrorResponses({ notFound: true })
  async delete(@Param('id') id: string, @Req() request: AuthenticatedRequest): Promise<void> {
    if (!EXPORT_ID.test(id) || !(await this.schedules.delete(request.user.id, id))) notFound(id);
    this.scheduler.removed(id);
    this.logger.log({ message: 'report schedule deleted', schedule_id: id, user_id: request.user.id });
    await this.audit.record(request, 'report_schedule.deleted', id);
  }

  @Get(':id/runs')
  @ApiOperation({ summary: "A schedule's runs, newest first, paginated: {count, page, page_size, results}" })
  @ApiOkResponse({ schema: REPORT_RUN_PAGE })
  @ApiErrorResponses({ notFound: true })
  async runs(@Param('id') id: string, @Query() query: Record<string, unknown>, @Req() request: AuthenticatedRequest): Promise<Page<ReportRunView>> {
    const { page, pageSize } = parsePage(query);
    const schedule = await this.owned(request.user.id, id);
    const { count, runs } = await this.schedules.listRuns(schedule.id, page, pageSize);
    return { count, page, page_size: pageSize, results: runs.map(runView) };
  }

  @Post(':id/run')
  @HttpCode(202)
  @ApiOperation({ summary: 'Run the schedule now, whatever its cron (even disabled): 202 with the run, which goes on in the background' })
  @ApiAcceptedResponse({ description: 'The run, going on in the background', schema: REPORT_RUN })
  @ApiErrorResponses({ notFound: true })
  async runNow(@Param('id') id: string, @Req() request: AuthenticatedRequest): Promise<ReportRunView> {
    const schedule = await this.owned(request.user.id, id);
    const run = await this.scheduler.runNow(schedule);
    this.logger.log({ message: 'report run asked for', schedule_id: id, run_id: run.id, user_id: request.user.id });
    await this.audit.record(request, 'report_schedule.run', id, { run_id: run.id });
    return runView(run);
  }

  private async view(schedule: ReportSchedule): Promise<ReportScheduleView> {
    const last = await this.schedules.lastRuns([schedule.id]);
    return scheduleView(schedule, last.get(schedule.id) ?? null, this.delivery.smtpConfigured);
  }

  private async owned(userId: number, id: string): Promise<ReportSchedule> {
    if (!EXPORT_ID.test(id)) notFound(id);
    const schedule = await this.schedules.get(id);
    if (!schedule || schedule.ownerId !== userId) notFound(id);
    return schedule;
  }
}
