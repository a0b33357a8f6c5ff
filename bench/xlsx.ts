// `xlsx`: a raw Excel export (every repair request, payment and review of a generated data set)
// through the service's renderer — rows paged from ClickHouse, written by exceljs's streaming
// writer, charts added — against a baseline measured in the same run: exceljs's streaming writer
// writing the same rows, already in memory, with the same columns and formats. Time and peak RSS
// above the process's resting RSS (sampled every 20 ms) for both.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { startRuntime } from '../apps/service/src/runtime.js';
import { ExportRenderer } from '../apps/api/src/exports/export-renderer.js';
import { rawTables } from '../apps/api/src/exports/raw-rows.js';
import type { ExportRequest } from '../libs/metrics/src/exports.js';
import { loadConfig } from '../libs/config/src/config.js';
import { uniqueName } from '../test/factories/databases.js';
import type { BenchArgs } from './args.js';
import { benchDatabase } from './dataset.js';
import { printTable, round, writeResult, type Cleanups } from './report.js';

/** Runs `work` while sampling RSS; resolves to its seconds and the peak RSS above the start (MB). */
async function measured(work: () => Promise<void>): Promise<{ seconds: number; peakMb: number; baseMb: number }> {
  global.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const started = performance.now();
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, process.memoryUsage().rss);
  return { seconds: (performance.now() - started) / 1000, peakMb: (peak - base) / 2 ** 20, baseMb: base / 2 ** 20 };
}

export async function runXlsxBench(args: BenchArgs, cleanups: Cleanups): Promise<void> {
  const { db } = await benchDatabase({ requests: args.requests, parallelism: args.parallelism, database: args.database }, cleanups);
  const work = mkdtempSync(join(tmpdir(), 'bench-xlsx-'));
  cleanups.add('remove the ClickHouse and export directories', async () => rmSync(work, { recursive: true, force: true }));
  const slot = uniqueName('bench_xlsx');
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: db.url,
    CLICKHOUSE_DATA_DIR: join(work, 'clickhouse'),
    EXPORT_DIR: join(work, 'exports'),
    STATE_SQLITE_PATH: join(work, 'state.sqlite'),
    JWT_SECRET: 'bench',
    PORT: '0',
    INGEST_SLOT: slot,
    INGEST_PUBLICATION: slot,
  });
  const runtime = await startRuntime(config, { logger: false });
  cleanups.add('stop the service', () => runtime.close());
  console.log('snapshot into ClickHouse...');
  await runtime.ready;
  const renderer = runtime.app.get(ExportRenderer);
  const request: ExportRequest = {
    type: 'excel',
    filters: { period: 'all', from: null, to: null, city: null, specialty: null },
    sections: ['requests'],
    raw: true,
  };
  const exportPath = join(work, 'export.xlsx');
  console.log('raw Excel export through the service...');
  const service = await measured(async () => {
    await renderer.render(request, exportPath, () => undefined);
  });
  const exportBytes = statSync(exportPath).size;

  // Baseline: the same rows, read into memory first (not timed), written by exceljs alone.
  console.log('loading the same rows into memory for the baseline...');
  const tables = rawTables(runtime.clickhouse, { period: 'custom', from: null, to: null, city: null, specialty: null, now: new Date() });
  const loaded: Array<{ title: string; columns: typeof tables[number]['columns']; rows: Array<Record<string, unknown>> }> = [];
  let rows = 0;
  for (const table of tables) {
    const all: Array<Record<string, unknown>> = [];
    for await (const page of table.pages()) for (const row of page) all.push(row);
    rows += all.length;
    loaded.push({ title: table.title, columns: table.columns, rows: all });
  }
  const baselinePath = join(work, 'baseline.xlsx');
  console.log('baseline: exceljs streaming writer from memory...');
  const baseline = await measured(async () => {
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: baselinePath, useStyles: true, useSharedStrings: false });
    for (const table of loaded) {
      const sheet = workbook.addWorksheet(table.title.slice(0, 31));
      sheet.columns = table.columns.map((column) => ({ header: column.label, key: column.key, width: 16 }));
      for (const row of table.rows) {
        sheet
          .addRow(table.columns.map((column) => {
            const value = row[column.key];
            return column.format === 'instant' && typeof value === 'string' ? new Date(value) : (value as ExcelJS.CellValue);
          }))
          .commit();
      }
      sheet.commit();
    }
    await workbook.commit();
  });
  const result = {
    requests: args.requests,
    rows,
    service: { seconds: round(service.seconds, 2), peak_rss_above_start_mb: round(service.peakMb, 0), process_rss_at_start_mb: round(service.baseMb, 0), bytes: exportBytes },
    baseline: { seconds: round(baseline.seconds, 2), peak_rss_above_start_mb: round(baseline.peakMb, 0), bytes: statSync(baselinePath).size },
    time_ratio: round(service.seconds / baseline.seconds, 2),
  };
  printTable(`raw Excel export of ${rows.toLocaleString('en')} rows (${args.requests.toLocaleString('en')} repair requests)`, [
    { run: 'service export (ClickHouse pages → exceljs stream → charts)', seconds: result.service.seconds, 'peak RSS above start, MB': result.service.peak_rss_above_start_mb, 'file MB': round(exportBytes / 2 ** 20, 1) },
    { run: 'baseline: exceljs stream, rows in memory', seconds: result.baseline.seconds, 'peak RSS above start, MB': result.baseline.peak_rss_above_start_mb, 'file MB': round(result.baseline.bytes / 2 ** 20, 1) },
    { run: 'ratio service / baseline (time)', seconds: result.time_ratio, 'peak RSS above start, MB': null, 'file MB': null },
  ]);
  writeResult('xlsx', result);
}
