// `pdf`: the full PDF report (the sample model of the tests: 10 sections, 15 pages, 11 charts) through
// the warm browser pool, one at a time and 20 at once, with the memory of the browser's process
// tree (read from /proc). Baseline in the same run: a bare `page.pdf()` of the same HTML on a fresh
// page of a separate browser (no pool, no interception, JavaScript on), the floor of Chromium here.
// No database needed.
import { readdirSync, readFileSync } from 'node:fs';
import puppeteer from 'puppeteer-core';
import { BrowserPool, CHROMIUM_ARGS, puppeteerPdfOptions } from '../apps/api/src/exports/pdf/browser-pool.js';
import { renderReportPdf, reportHtml, reportPdfOptions } from '../apps/api/src/exports/pdf/report-template.js';
import { loadConfig } from '../libs/config/src/config.js';
import { sampleReportModel } from '../test/factories/report-model.js';
import type { BenchArgs } from './args.js';
import { percentile, printTable, round, timed, writeResult, type Cleanups, type TableRow } from './report.js';

const CONCURRENT = 20;
const TARGET_MS = 1500;

interface TreeMemory {
  processes: number;
  rssMiB: number;
  /** Proportional set size: shared pages (Chromium's zygote, fonts) counted once across the tree. */
  pssMiB: number;
}

function gone(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ESRCH';
}

/** RSS and PSS of `pid` and all its descendants, from /proc. */
function treeMemory(pid: number): TreeMemory {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch (error) {
      if (gone(error)) continue; // the process ended while we listed /proc
      throw error;
    }
    // "pid (comm) state ppid ...": comm may contain spaces and parentheses, so split after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  let rssKiB = 0;
  let pssKiB = 0;
  let processes = 0;
  for (const member of tree) {
    try {
      const rollup = readFileSync(`/proc/${member}/smaps_rollup`, 'utf8');
      rssKiB += Number(/^Rss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0);
      pssKiB += Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0);
      processes++;
    } catch (error) {
      if (gone(error)) continue; // a renderer that exited meanwhile
      throw error;
    }
  }
  return { processes, rssMiB: round(rssKiB / 1024, 0), pssMiB: round(pssKiB / 1024, 0) };
}

function pageCount(pdf: Buffer): number {
  return pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g)?.length ?? 0;
}

function summary(samples: number[]): { p50: number; p95: number; max: number } {
  return { p50: round(percentile(samples, 50), 0), p95: round(percentile(samples, 95), 0), max: round(Math.max(...samples), 0) };
}

export async function runPdfBench(args: BenchArgs, cleanups: Cleanups): Promise<void> {
  const config = loadConfig(process.env);
  const model = sampleReportModel();
  const reps = args.reps;

  const html = reportHtml(model);
  const options = reportPdfOptions(model);

  const pool = new BrowserPool(config);
  cleanups.add('close the PDF browser pool', () => pool.close());
  const availability = pool.availability();
  console.log(`\nbrowser: ${availability.executablePath ?? 'none'} (${availability.source ?? availability.error}); pool of ${config.pdf.pages} page(s)`);
  const cold = await timed(() => pool.render(html, options));
  const pdfPages = pageCount(cold.result);
  console.log(`report: ${pdfPages} pages, ${round(cold.result.byteLength / 1024, 0)} KiB, HTML ${round(html.length / 1024, 0)} KiB; first render (browser start) ${round(cold.ms, 0)} ms`);

  // Warm, one at a time, renderReportPdf's two steps timed apart: the HTML (template + 11 ECharts
  // SVGs, in this process) and the render in the browser.
  const htmlMs: number[] = [];
  const renderMs: number[] = [];
  const fullMs: number[] = [];
  for (let i = 0; i < reps; i++) {
    const built = await timed(async () => reportHtml(model));
    const rendered = await timed(() => pool.render(built.result, reportPdfOptions(model)));
    htmlMs.push(built.ms);
    renderMs.push(rendered.ms);
    fullMs.push(built.ms + rendered.ms);
  }
  const poolPid = pool.browserProcessId();
  if (poolPid === null) throw new Error('the pool has no browser after rendering');
  const idle = treeMemory(poolPid);

  // 20 at once, each building its own report as an export job would; memory sampled meanwhile.
  let peak: TreeMemory = idle;
  const sampler = setInterval(() => {
    const now = treeMemory(poolPid);
    if (now.pssMiB > peak.pssMiB) peak = now;
  }, 50);
  const concurrent = await timed(() => Promise.all(Array.from({ length: CONCURRENT }, () => timed(() => renderReportPdf(pool, model)))));
  clearInterval(sampler);
  const latencies = concurrent.result.map((run) => run.ms);
  if (concurrent.result.some((run) => pageCount(run.result) !== pdfPages)) throw new Error('a concurrent render returned a different report');
  const after = treeMemory(poolPid);
  const status = pool.status();

  // Baseline: a separate plain browser, a fresh page per sample, the same HTML and PDF options.
  const bare = await puppeteer.launch({ executablePath: availability.executablePath ?? undefined, headless: true, pipe: true, args: CHROMIUM_ARGS });
  cleanups.add('close the baseline browser', () => bare.close());
  const bareMs: number[] = [];
  let bareMemory: TreeMemory | null = null;
  for (let i = 0; i < reps + 1; i++) {
    const page = await bare.newPage();
    const run = await timed(async () => {
      await page.setContent(html, { waitUntil: 'load' });
      return page.pdf(puppeteerPdfOptions(options, 120_000));
    });
    if (i > 0) bareMs.push(run.ms); // the first page of a new browser warms its caches
    if (i === reps) bareMemory = treeMemory(bare.process()!.pid!);
    await page.close();
  }

  const bareP50 = percentile(bareMs, 50);
  const perReportConcurrent = concurrent.ms / CONCURRENT;
  const rows: TableRow[] = [
    { measure: 'bare page.pdf(), fresh page (baseline)', ...summary(bareMs), 'ratio to baseline': 1 },
    { measure: 'warm, one at a time: reportHtml (11 SVG charts)', ...summary(htmlMs) },
    { measure: 'warm, one at a time: pool.render', ...summary(renderMs), 'ratio to baseline': round(percentile(renderMs, 50) / bareP50) },
    { measure: 'warm, one at a time: the whole report', ...summary(fullMs), 'ratio to baseline': round(percentile(fullMs, 50) / bareP50) },
    { measure: `${CONCURRENT} at once: wall time / ${CONCURRENT}`, p50: round(perReportConcurrent, 0), 'ratio to baseline': round(perReportConcurrent / bareP50) },
    { measure: `${CONCURRENT} at once: latency per caller`, ...summary(latencies) },
  ];
  printTable(`full report, ${pdfPages} pages (ms; ${reps} reps; pool of ${config.pdf.pages} pages)`, rows);
  const memory: TableRow[] = [
    { browser: 'pool, idle after warm renders', ...idle },
    { browser: `pool, peak during ${CONCURRENT} at once`, ...peak },
    { browser: 'pool, after', ...after },
    { browser: 'baseline browser, one page', ...(bareMemory ?? {}) },
  ];
  printTable('memory of the browser process tree (/proc smaps_rollup)', memory);
  const warmPerReport = percentile(fullMs, 50);
  console.log(
    `\ntarget < ${TARGET_MS} ms per report: warm ${round(warmPerReport, 0)} ms, ${CONCURRENT} at once ${round(perReportConcurrent, 0)} ms per report -> ${warmPerReport < TARGET_MS && perReportConcurrent < TARGET_MS ? 'met' : 'NOT MET'}`,
  );
  console.log(`pool status: ${JSON.stringify(status)}`);
  const file = writeResult('pdf', {
    pages: pdfPages,
    pdfBytes: cold.result.byteLength,
    htmlBytes: html.length,
    poolPages: config.pdf.pages,
    coldMs: cold.ms,
    samples: { htmlMs, renderMs, fullMs, concurrentLatencyMs: latencies, concurrentWallMs: concurrent.ms, bareMs },
    results: rows,
    memory,
    status,
  });
  console.log(`\nraw results: ${file}`);
}
