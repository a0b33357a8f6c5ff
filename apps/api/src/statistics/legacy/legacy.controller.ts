// The three statistics endpoints the existing DepanneTeliman admin app calls (legacy-endpoints.md):
// project_statistics (JSON) and its Excel and PDF exports, all from one computation of the
// statistics service, never cached, query parameters ignored.
import { Controller, Get, HttpException, Inject, Logger, Res, UseGuards } from '@nestjs/common';
import { OperationFailedError } from '../../errors/domain-errors.js';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ApiLegacyResponses, PROJECT_STATISTICS } from '../../openapi/schemas.js';
import type { FastifyReply } from 'fastify';
import type { ProjectStatistics } from '../../../../../libs/metrics/src/legacy-types.js';
import { CONTENT_TYPES } from '../../exports/export-files.js';
import { BrowserPool } from '../../exports/pdf/browser-pool.js';
import { StatisticsService } from '../statistics.service.js';
import { LegacyAdminGuard, LegacyExportGuard } from './legacy.guards.js';
import { LEGACY_PDF_MARGIN, legacyPdfHtml } from './legacy-pdf.js';
import { legacyFileName, legacyReport } from './legacy-report.js';
import { legacyWorkbook } from './legacy-xlsx.js';

export const PROJECT_STATISTICS_PATH = '/depannage/api/repair-requests/project_statistics';
export const EXCEL_EXPORT_PATH = '/depannage/api/export_statistics_excel';
export const PDF_EXPORT_PATH = '/depannage/api/export_statistics_pdf';
/** The legacy paths (no trailing slash): GET only, like the statistics endpoints (runtime.ts). */
export const LEGACY_PATHS: readonly string[] = [PROJECT_STATISTICS_PATH, EXCEL_EXPORT_PATH, PDF_EXPORT_PATH];

const XLSX_CONTENT_TYPE = CONTENT_TYPES.xlsx!;

@ApiTags('legacy')
@ApiBearerAuth()
@Controller()
export class LegacyController {
  private readonly exportLogger = new Logger('statistics.export');

  constructor(
    @Inject(StatisticsService) private readonly statistics: StatisticsService,
    @Inject(BrowserPool) private readonly browsers: BrowserPool,
  ) {}

  @Get(PROJECT_STATISTICS_PATH)
  @UseGuards(LegacyAdminGuard)
  @ApiOperation({ summary: "The admin app's statistics page (legacy keys, all time, user_type 'admin' only)" })
  @ApiLegacyResponses({ contentType: 'application/json', description: 'The legacy statistics keys', schema: PROJECT_STATISTICS })
  async projectStatistics(): Promise<ProjectStatistics> {
    try {
      return (await this.statistics.legacyStatistics(new Date())).statistics;
    } catch (error) {
      throw failure(error, () => 'Erreur lors du calcul des statistiques');
    }
  }

  @Get(EXCEL_EXPORT_PATH)
  @UseGuards(LegacyExportGuard)
  @ApiOperation({ summary: 'The statistics as an Excel workbook (sheet "Statistiques"); admins or staff' })
  @ApiProduces(XLSX_CONTENT_TYPE)
  @ApiLegacyResponses({ contentType: XLSX_CONTENT_TYPE, description: 'The workbook, as an attachment' })
  async excel(@Res({ passthrough: true }) reply: FastifyReply): Promise<Buffer> {
    const generatedAt = new Date();
    try {
      const workbook = await legacyWorkbook(legacyReport(await this.statistics.legacyStatistics(generatedAt)));
      return this.attachment(reply, XLSX_CONTENT_TYPE, legacyFileName(generatedAt, 'xlsx'), workbook);
    } catch (error) {
      throw failure(error, (message) => `Erreur lors de la génération du fichier Excel : ${message}`);
    }
  }

  @Get(PDF_EXPORT_PATH)
  @UseGuards(LegacyExportGuard)
  @ApiOperation({ summary: 'The statistics as an A4 PDF; admins or staff' })
  @ApiProduces('application/pdf')
  @ApiLegacyResponses({ contentType: 'application/pdf', description: 'The PDF, as an attachment' })
  async pdf(@Res({ passthrough: true }) reply: FastifyReply): Promise<Buffer> {
    const generatedAt = new Date();
    try {
      const sections = legacyReport(await this.statistics.legacyStatistics(generatedAt));
      const pdf = await this.browsers.render(legacyPdfHtml(sections, generatedAt), { landscape: false, margin: LEGACY_PDF_MARGIN });
      return this.attachment(reply, 'application/pdf', legacyFileName(generatedAt, 'pdf'), pdf);
    } catch (error) {
      // No browser (PdfUnavailableError): the message says how to install one.
      throw failure(error, (message) => `Erreur lors de la génération du PDF : ${message}`);
    }
  }

  private attachment(reply: FastifyReply, contentType: string, fileName: string, body: Buffer): Buffer {
    // Unquoted, without filename*: the admin app takes the text after "filename=" as the name.
    void reply.header('Content-Type', contentType).header('Content-Disposition', `attachment; filename=${fileName}`);
    this.exportLogger.log({ message: 'legacy export sent', file: fileName, bytes: body.length });
    return body;
  }
}

/** HTTP answers (401, 403, 503) pass; anything else is a 500 {"detail": ...} as in the original (the errors filter logs it). */
function failure(error: unknown, detail: (message: string) => string): unknown {
  if (error instanceof HttpException) return error;
  const cause = error instanceof Error ? error : new Error(String(error));
  return new OperationFailedError(detail(cause.message.split('\n')[0]!), cause);
}
