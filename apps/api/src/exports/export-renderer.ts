// Produces one export's file: asks the statistics service for each section (the same computation
// and cache as the endpoints, so a file never disagrees with the API for the same filters and
// data_as_of), builds the report model, and writes it in the job's format to a temporary path,
// reporting progress (0–50 gathering figures, 50–100 writing; raw rows counted as they stream).
import { writeFile } from 'node:fs/promises';
import { Inject, Injectable } from '@nestjs/common';
import type { ClickHouse } from '../../../../libs/clickhouse/src/clickhouse.js';
import type { ExportRequest } from '../../../../libs/metrics/src/exports.js';
import type { Section } from '../../../../libs/metrics/src/types.js';
import { StatisticsService } from '../statistics/statistics.service.js';
import { CLICKHOUSE, INGEST } from '../tokens.js';
import type { IngestFeed } from '../../../../libs/ingest-feed/src/feed.js';
import { buildDashboardReport } from '../dashboards/dashboard-report.js';
import { statisticsFilters } from './dto/export-request.js';
import { BrowserPool } from './pdf/browser-pool.js';
import { renderReportPdf } from './pdf/report-template.js';
import { rawTables, type RawTable } from './raw-rows.js';
import { buildReportModel, type SectionPayload, type SectionPayloads } from './report-builder.js';
import type { ReportFilters, ReportModel } from './report-model.js';
import { writeCsvExport, csvFiles } from './render/csv.js';
import { writeExcelReport } from './render/excel.js';

/** Version of the JSON export's layout; bumped when its shape changes. */
export const JSON_EXPORT_VERSION = 1;

export interface RenderedFile {
  extension: string;
  /** The report's data_as_of (oldest of its sections). */
  dataAsOf: string | null;
}

/** Called with 0–100; throws when the job must stop (deleted, taken over, shutdown). */
export type ProgressReporter = (progress: number) => void;

@Injectable()
export class ExportRenderer {
  constructor(
    @Inject(StatisticsService) private readonly statistics: StatisticsService,
    @Inject(CLICKHOUSE) private readonly clickhouse: ClickHouse,
    @Inject(BrowserPool) private readonly pdf: BrowserPool,
    @Inject(INGEST) private readonly ingest: IngestFeed,
  ) {}

  /** The sections' answers as the API serves them for these filters. */
  async payloads(request: ExportRequest, progress: ProgressReporter): Promise<SectionPayloads> {
    const filters = statisticsFilters(request.filters);
    const payloads: SectionPayloads = {};
    for (const [i, section] of request.sections.entries()) {
      (payloads as Record<Section, SectionPayload>)[section] = (await this.statistics.section(section, filters)) as SectionPayload;
      progress(Math.round(((i + 1) / request.sections.length) * 50));
    }
    return payloads;
  }

  /** The report of `request`: the sections' answers and the model built from them. */
  async report(request: ExportRequest, progress: ProgressReporter, generatedAt: Date = new Date()): Promise<{ model: ReportModel; payloads: SectionPayloads }> {
    if (request.dashboard) {
      // One section per widget, from the widgets' values (dashboards/dashboard-report.ts).
      const model = await buildDashboardReport(this.statistics, this.ingest, request.dashboard, generatedAt);
      progress(50);
      return { model, payloads: {} };
    }
    const payloads = await this.payloads(request, progress);
    // The window actually applied (a named period resolved when the figures were computed).
    const applied: ReportFilters = { ...payloads[request.sections[0]!]!.calculation_info.filters };
    return { model: buildReportModel(payloads, request.sections, applied, generatedAt), payloads };
  }

  /** Writes the file of `request` to `path`; resolves to its extension. */
  async render(request: ExportRequest, path: string, progress: ProgressReporter): Promise<RenderedFile> {
    const { model, payloads } = await this.report(request, progress);
    const raw = request.raw ? await this.rawWithProgress(model.filters, progress) : [];
    let extension: string;
    switch (request.type) {
      case 'json':
        if (request.dashboard) throw new Error('a dashboard is exported as excel, pdf or csv; its values as JSON are GET dashboards/<id>/data/');
        await writeFile(path, JSON.stringify(jsonExport(model, payloads, request.sections)));
        extension = 'json';
        break;
      case 'csv':
        extension = await writeCsvExport(csvFiles(model, raw), path);
        break;
      case 'excel':
        await writeExcelReport(model, raw, path);
        extension = 'xlsx';
        break;
      case 'pdf':
        progress(60);
        await writeFile(path, await renderReportPdf(this.pdf, model));
        extension = 'pdf';
        break;
    }
    progress(99);
    return { extension, dataAsOf: model.data_as_of };
  }

  /** Raw tables whose pages report progress from 50 to 98 as rows stream. */
  private async rawWithProgress(applied: ReportFilters, progress: ProgressReporter): Promise<RawTable[]> {
    const query = {
      period: 'custom' as const,
      from: applied.from === null ? null : new Date(applied.from),
      to: applied.to === null ? null : new Date(applied.to),
      city: applied.city,
      specialty: applied.specialty,
      now: new Date(),
    };
    const tables = rawTables(this.clickhouse, query);
    const counts = await Promise.all(tables.map((table) => table.count()));
    const total = Math.max(1, counts.reduce((a, b) => a + b, 0));
    let done = 0;
    return tables.map((table) => ({
      ...table,
      async *pages() {
        for await (const rows of table.pages()) {
          done += rows.length;
          progress(50 + Math.min(48, Math.floor((done / total) * 48)));
          yield rows;
        }
      },
    }));
  }
}

/** The JSON export: every section's answer exactly as the API served it, with the report's metadata. */
export function jsonExport(model: ReportModel, payloads: SectionPayloads, sections: readonly Section[]): object {
  return {
    format: 'depanneteliman.statistics-export',
    version: JSON_EXPORT_VERSION,
    generated_at: model.generated_at,
    data_as_of: model.data_as_of,
    filters: model.filters,
    period_label: model.period_label,
    sections: Object.fromEntries(sections.map((section) => [section, payloads[section]])),
  };
}
