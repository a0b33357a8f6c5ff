// The exports endpoints (docs/exports.md). Thin: requests are parsed by dto/export-request.ts (400
// in the statistics' error shape, nothing created), jobs live in ExportsService.
import {
  Body,
  CanActivate,
  Controller,
  Delete,
  ExecutionContext,
  ForbiddenException,
  Get,
  HttpCode,
  Inject,
  Injectable,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiConflictResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses, ERROR_BODY, EXPORT_ACCEPTED, EXPORT_INPUT, EXPORT_JOB, EXPORT_PAGE, EXPORT_STATISTICS } from '../openapi/schemas.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '../../../../libs/config/src/config.js';
import { EXPORT_TYPES, type ExportJobView } from '../../../../libs/metrics/src/exports.js';
import { SECTIONS } from '../../../../libs/metrics/src/types.js';
import { AuditLog } from '../audit/audit-log.js';
import { AdminGuard, type AuthenticatedUser } from '../auth/admin.guard.js';
import { parsePage } from '../statistics/dto/filters.js';
import { APP_CONFIG } from '../tokens.js';
import { parseExportBody, parseExportQuery } from './dto/export-request.js';
import { EXPORT_ID } from './export-files.js';
import type { ExportJob } from './export-jobs.repository.js';
import { ExportNotFound, ExportsService } from './exports.service.js';

type AuthenticatedRequest = FastifyRequest & { user: AuthenticatedUser };
type DownloadRequest = FastifyRequest & { user?: AuthenticatedUser; grantedExport?: string };

/** scheme://host the client used, for absolute download links (EXPORT_PUBLIC_URL overrides it). */
function origin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

/**
 * Download: a Bearer token (the owner, as every export endpoint), or, for a browser tab that can
 * send no header, the signed grant of the link (`?grant=`), valid for that one file until it expires.
 */
@Injectable()
export class ExportDownloadGuard implements CanActivate {
  constructor(
    @Inject(AdminGuard) private readonly admin: AdminGuard,
    @Inject(ExportsService) private readonly exports: ExportsService,
  ) {}

  canActivate(context: ExecutionContext): Promise<boolean> | boolean {
    const request = context.switchToHttp().getRequest<DownloadRequest>();
    const grant = (request.query as Record<string, unknown>).grant;
    if (request.headers.authorization || grant === undefined) return this.admin.canActivate(context);
    const id = (request.params as Record<string, string>).id ?? '';
    if (typeof grant !== 'string') throw new ForbiddenException({ detail: 'give the grant once' });
    const check = this.exports.grants.verify(id, grant);
    if (!check.ok) throw new ForbiddenException({ detail: check.reason });
    request.grantedExport = id;
    return true;
  }
}

@ApiTags('exports')
@ApiBearerAuth()
@Controller('depannage/api/statistics')
export class ExportsController {
  constructor(
    @Inject(ExportsService) private readonly exports: ExportsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(AuditLog) private readonly audit: AuditLog,
  ) {}

  @Get('export_statistics')
  @UseGuards(AdminGuard)
  @ApiOperation({ summary: "The guide's export: creates the job and waits up to 30 s for it; {export_id, status, download_url, file_size}" })
  @ApiOkResponse({ schema: EXPORT_STATISTICS })
  @ApiErrorResponses()
  @ApiQuery({ name: 'type', enum: EXPORT_TYPES })
  @ApiQuery({ name: 'sections', required: false, description: `Comma-separated subset of ${SECTIONS.join(', ')}; default all` })
  async exportStatistics(
    @Query() query: Record<string, unknown>,
    @Req() request: AuthenticatedRequest,
  ): Promise<{ export_id: string; status: string; download_url: string | null; file_size: number | null }> {
    const parsed = parseExportQuery(query);
    const created = await this.exports.create(request.user.id, parsed);
    await this.audit.record(request, 'export.created', created.id, { type: parsed.type, via: 'export_statistics' });
    const job = await this.exports.waitFor(created, this.config.exports.waitSeconds * 1000);
    return { export_id: job.id, status: job.status, download_url: this.exports.downloadUrl(job, origin(request)), file_size: job.fileSize };
  }

  @Post('exports')
  @HttpCode(202)
  @UseGuards(AdminGuard)
  @ApiOperation({ summary: 'Queues an export: body {type, period?, from?, to?, city?, specialty?, sections?, raw?}; 202 {export_id, status}' })
  @ApiBody({ schema: EXPORT_INPUT })
  @ApiAcceptedResponse({ description: 'Queued', schema: EXPORT_ACCEPTED })
  @ApiErrorResponses({ jsonBody: true })
  async create(@Body() body: unknown, @Req() request: AuthenticatedRequest): Promise<{ export_id: string; status: string }> {
    const parsed = parseExportBody(body);
    const job = await this.exports.create(request.user.id, parsed);
    await this.audit.record(request, 'export.created', job.id, { type: parsed.type });
    return { export_id: job.id, status: job.status };
  }

  @Get('exports')
  @UseGuards(AdminGuard)
  @ApiOperation({ summary: "The caller's exports, newest first, paginated" })
  @ApiOkResponse({ schema: EXPORT_PAGE })
  @ApiErrorResponses()
  async list(@Query() query: Record<string, unknown>, @Req() request: AuthenticatedRequest): Promise<{ count: number; page: number; page_size: number; results: ExportJobView[] }> {
    const { page, pageSize } = parsePage(query);
    const { count, jobs } = await this.exports.list(request.user.id, page, pageSize);
    return { count, page, page_size: pageSize, results: jobs.map((job) => this.exports.view(job, origin(request))) };
  }

  @Get('exports/:id')
  @UseGuards(AdminGuard)
  @ApiOperation({ summary: 'One export: status, progress, size, a fresh signed download_url once completed' })
  @ApiOkResponse({ schema: EXPORT_JOB })
  @ApiErrorResponses({ notFound: true })
  async get(@Param('id') id: string, @Req() request: AuthenticatedRequest): Promise<ExportJobView> {
    return this.exports.view(await this.owned(request.user.id, id), origin(request));
  }

  @Delete('exports/:id')
  @HttpCode(204)
  @UseGuards(AdminGuard)
  @ApiOperation({ summary: 'Deletes the export and its file (a running job stops)' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrorResponses({ notFound: true })
  async delete(@Param('id') id: string, @Req() request: AuthenticatedRequest): Promise<void> {
    await this.exports.delete(request.user.id, id);
    await this.audit.record(request, 'export.deleted', id);
  }

  @Get('exports/:id/download')
  @UseGuards(ExportDownloadGuard)
  @ApiOperation({ summary: 'The file (Bearer of the owner, or the signed grant of download_url)' })
  @ApiOkResponse({ description: 'The file (Content-Disposition: attachment)' })
  @ApiConflictResponse({ description: 'Not completed yet: status and progress', schema: ERROR_BODY })
  @ApiErrorResponses({ notFound: true })
  @ApiQuery({ name: 'grant', required: false, description: 'The signed grant carried by download_url' })
  async download(@Param('id') id: string, @Req() request: DownloadRequest, @Res() reply: FastifyReply): Promise<void> {
    const job = request.grantedExport === id ? await this.exports.find(id) : await this.owned(request.user!.id, id);
    if (!job) throw new ExportNotFound(id);
    const file = await this.exports.open(job);
    await this.audit.record(request, 'export.downloaded', id, { via: request.grantedExport === id ? 'signed_link' : 'bearer', file_size: file.size });
    await reply
      .header('Content-Type', job.contentType!)
      .header('Content-Length', String(file.size))
      .header('Content-Disposition', `attachment; filename=${job.fileName}`)
      .header('Cache-Control', 'private, no-store')
      .header('X-Content-Type-Options', 'nosniff')
      .send(file.stream);
  }

  private async owned(userId: number, id: string): Promise<ExportJob> {
    if (!EXPORT_ID.test(id)) throw new ExportNotFound(id);
    return this.exports.get(userId, id);
  }
}
