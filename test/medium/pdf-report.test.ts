// The PDF exports with a real Chromium: the sample report checked through poppler (pdfinfo,
// pdftotext, pdftoppm) as a reader would see it, and the browser pool's limits, time limit, crash
// recovery, isolation (no JavaScript, no network) and shutdown.
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool, PdfRenderError, PdfUnavailableError, type BrowserPoolStatus } from '../../apps/api/src/exports/pdf/browser-pool.js';
import { findBrowser } from '../../apps/api/src/exports/pdf/browser.js';
import { CHART_PALETTE, chartSvg } from '../../apps/api/src/exports/pdf/chart-svg.js';
import { renderReportPdf, reportHtml, reportPdfOptions } from '../../apps/api/src/exports/pdf/report-template.js';
import { formatValue } from '../../apps/api/src/exports/format-fr.js';
import { CHART_KINDS, type ReportTable } from '../../apps/api/src/exports/report-model.js';
import { loadConfig, type AppConfig } from '../../libs/config/src/config.js';
import { DAILY_ROWS, SCRIPT_CITY, sampleReportModel } from '../factories/report-model.js';

const run = promisify(execFile);

/** The machine's browser setting (if any) plus the test's own PDF settings. */
function pdfConfig(env: Record<string, string> = {}): AppConfig {
  const executable = process.env.PUPPETEER_EXECUTABLE_PATH;
  return loadConfig({ ...(executable ? { PUPPETEER_EXECUTABLE_PATH: executable } : {}), ...env });
}

/** pdftotext's narrow and plain no-break spaces and runs of spaces as one space. */
function normalise(text: string): string {
  return text.replace(/[\u00a0\u202f\u2009]/g, ' ').replace(/[ \t]+/g, ' ');
}

function isPdf(bytes: Buffer): boolean {
  return bytes.subarray(0, 5).toString('latin1') === '%PDF-' && bytes.toString('latin1').trimEnd().endsWith('%%EOF');
}

async function pdfPages(file: string): Promise<string[]> {
  const { stdout } = await run('pdftotext', ['-layout', file, '-'], { maxBuffer: 64 * 1024 * 1024 });
  const pages = stdout.split('\f');
  if (pages.at(-1)!.trim() === '') pages.pop();
  return pages.map(normalise);
}

/** RGB pixels of an 8-bit, non-interlaced PNG as pdftoppm writes it (colour type 2 or 6). */
function decodePng(png: Buffer): { width: number; height: number; rgb: (x: number, y: number) => [number, number, number] } {
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 3;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[12] !== 0) throw new Error('expected an 8-bit non-interlaced PNG');
      channels = data[9] === 6 ? 4 : data[9] === 2 ? 3 : 0;
      if (channels === 0) throw new Error(`unexpected PNG colour type ${data[9]}`);
    }
    if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const value = raw[y * (stride + 1) + 1 + x]!;
      const left = x >= channels ? pixels[y * stride + x - channels]! : 0;
      const up = y > 0 ? pixels[(y - 1) * stride + x]! : 0;
      const upLeft = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels]! : 0;
      let predicted = 0;
      if (filter === 1) predicted = left;
      else if (filter === 2) predicted = up;
      else if (filter === 3) predicted = (left + up) >> 1;
      else if (filter === 4) {
        const p = left + up - upLeft;
        const [pa, pb, pc] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - upLeft)];
        predicted = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      }
      pixels[y * stride + x] = (value + predicted) & 0xff;
    }
  }
  return { width, height, rgb: (x, y) => [pixels[y * stride + x * channels]!, pixels[y * stride + x * channels + 1]!, pixels[y * stride + x * channels + 2]!] };
}

function countColour(image: ReturnType<typeof decodePng>, hex: string, tolerance = 8): number {
  const target = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let count = 0;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const pixel = image.rgb(x, y);
      if (pixel.every((channel, i) => Math.abs(channel - target[i]!) <= tolerance)) count++;
    }
  }
  return count;
}

/** A document that takes Chromium several seconds to lay out and print (thousands of rows). */
function slowDocument(rows: number): string {
  const body = Array.from({ length: rows }, (_, i) => `<tr><td>${i}</td><td>ligne numéro ${i}</td><td>${i * 7}</td></tr>`).join('');
  return `<!DOCTYPE html><html><body><table>${body}</table></body></html>`;
}

const SMALL = '<!DOCTYPE html><html><body><p>Bonjour</p></body></html>';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const workDir = mkdtempSync(join(tmpdir(), 'pdf-report-test-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe('the sample report as a PDF', () => {
  const model = sampleReportModel();
  const pool = new BrowserPool(pdfConfig());
  const file = join(workDir, 'report.pdf');
  let pdf: Buffer;
  let pages: string[];

  beforeAll(async () => {
    pdf = await renderReportPdf(pool, model);
    writeFileSync(file, pdf);
    pages = await pdfPages(file);
  });
  afterAll(() => pool.close());

  it('is a complete A4 PDF of several pages', async () => {
    expect(isPdf(pdf)).toBe(true);
    const { stdout } = await run('pdfinfo', [file]);
    const size = /Page size:\s+([\d.]+) x ([\d.]+) pts/.exec(stdout);
    expect(size, stdout).not.toBeNull();
    // A4 is 595.28 x 841.89 pt; Chromium rounds to whole CSS pixels.
    expect(Math.abs(Number(size![1]) - 595.28)).toBeLessThan(1);
    expect(Math.abs(Number(size![2]) - 841.89)).toBeLessThan(1);
    const count = Number(/Pages:\s+(\d+)/.exec(stdout)![1]);
    expect(count).toBeGreaterThan(1);
    expect(pages).toHaveLength(count);
  });

  it('has the cover: title, period, filters and freshness in French', () => {
    const cover = pages[0]!;
    expect(cover).toContain('Rapport des statistiques DepanneTeliman');
    expect(cover).toContain('30 derniers jours');
    expect(cover).toContain('Toutes les villes');
    expect(cover).toContain('Toutes les spécialités');
    expect(cover).toMatch(/Données à jour au 2 décembre 2026 à 08:09 UTC/);
    expect(cover).toMatch(/Généré le 2 décembre 2026 à 08:15 UTC/);
  });

  it('has every section, each from the top of a new page but the first', () => {
    const text = pages.join('\n');
    for (const [i, section] of model.sections.entries()) {
      const heading = `${i + 1}. ${section.title}`;
      expect(text).toContain(heading);
      if (i === 0) continue;
      // Its heading is the first line below the running header of its page.
      const page = pages.slice(1).find((candidate) => candidate.includes(heading))!;
      const lines = page.split('\n').map((line) => line.trim()).filter(Boolean);
      expect(lines[1], `section ${section.key}`).toBe(heading);
    }
  });

  it('prints numbers the French way', () => {
    const text = pages.join('\n');
    for (const expected of ['1 234 567 FCFA', '123 456,50 FCFA', '48 725 300 FCFA', '87,5 %', '78,91 %', '4,2 / 5', '3,75 h', '18 432', '14 326,75 FCFA']) {
      expect(text).toContain(expected);
    }
    expect(text).toContain('1 déc. 2026'); // the last day of the daily table
    expect(text).toContain('Ségou');
    expect(text).toContain('—'); // the acquisition cost without a configured spend
    expect(text).toContain('Aucune donnée pour ces filtres'); // the empty table
    expect(text).toContain('Aucune donnée'); // its chart
    expect(text).not.toMatch(/\d\.\d\d FCFA/);
  });

  it('has the running header and "Page x / N" on every page', () => {
    const total = pages.length;
    for (const [i, page] of pages.entries()) {
      expect(page, `page ${i + 1}`).toContain(`Page ${i + 1} / ${total}`);
      expect(page, `page ${i + 1}`).toContain('Généré le 2 décembre 2026 à 08:15 UTC');
      const firstLine = page.split('\n').find((line) => line.trim() !== '')!;
      expect(firstLine, `page ${i + 1}`).toContain('Rapport des statistiques DepanneTeliman');
      expect(firstLine, `page ${i + 1}`).toContain('30 derniers jours');
    }
  });

  it('shows a city named <script> as text', () => {
    const geography = pages.find((page) => page.includes('Activité par ville'))!;
    expect(geography).toMatch(/<script>alert\(1\)<\/script>\s+7\s+3\s+41 000 FCFA/);
  });

  it('keeps each table row on one line of one page, and repeats the header on every page of a long table', () => {
    const daily = model.sections.find((section) => section.key === 'trends')!.tables.find((table) => table.id === 'trends.daily')!;
    expect(daily.rows).toHaveLength(DAILY_ROWS);
    // pdftotext may drop a narrow space ("4 / 5" comes out as "4/5"): spaces inside a cell are optional.
    const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&').replace(/ /g, '\\s*');
    const pagesOfRows = new Set<number>();
    for (const row of daily.rows) {
      const cells = daily.columns.map((column) => normalise(formatValue(row[column.key] ?? null, column.format)));
      const line = new RegExp(`^\\s*${cells.map(escape).join('\\s+')}\\s*$`, 'm');
      const found = pages.flatMap((page, i) => (line.test(page) ? [i] : []));
      expect(found, `row ${String(row.day)}`).toHaveLength(1);
      pagesOfRows.add(found[0]!);
    }
    expect(pagesOfRows.size).toBeGreaterThan(1);
    for (const i of pagesOfRows) {
      expect(pages[i], `page ${i + 1}`).toMatch(/Jour\s+Demandes\s+Terminées\s+Revenus\s+Revenus cumulés\s+Nouveaux utilisateurs\s+Avis\s+Note moyenne/);
    }
  });

  it('draws the charts in the palette colours', async () => {
    // The requests page has the status pie (4 colours); green and red are used by charts only.
    const chartPage = pages.findIndex((page) => page.includes('Répartition par statut')) + 1;
    const tablePage = pages.findIndex((page) => page.includes('Évolution quotidienne') && !page.includes('Demandes par jour')) + 1;
    expect(chartPage).toBeGreaterThan(0);
    expect(tablePage).toBeGreaterThan(0);
    const prefix = join(workDir, 'page');
    for (const page of [chartPage, tablePage]) {
      await run('pdftoppm', ['-png', '-r', '40', '-f', String(page), '-l', String(page), file, prefix]);
    }
    const png = (page: number): ReturnType<typeof decodePng> => {
      const name = `${prefix}-${String(page).padStart(String(pages.length).length, '0')}.png`;
      return decodePng(readFileSync(name));
    };
    const chart = png(chartPage);
    expect(chart.width).toBeGreaterThan(300);
    for (const colour of CHART_PALETTE.slice(0, 4)) expect(countColour(chart, colour), colour).toBeGreaterThan(20);
    const table = png(tablePage);
    for (const colour of CHART_PALETTE.slice(2, 4)) expect(countColour(table, colour), colour).toBe(0);
  });
});

describe('report HTML and charts', () => {
  it('escapes user text everywhere, headers included', () => {
    const model = sampleReportModel({
      filters: { period: '7d', from: null, to: null, city: SCRIPT_CITY, specialty: '"Plomberie" & <b>co</b>' },
      period_label: `7 derniers jours · Ville : ${SCRIPT_CITY}`,
    });
    const html = reportHtml(model);
    const options = reportPdfOptions(model);
    for (const text of [html, options.headerTemplate!, options.footerTemplate!]) {
      expect(text).not.toMatch(/<script/i);
      expect(text).not.toContain('<b>co</b>');
    }
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(options.headerTemplate).toContain('&lt;script&gt;');
    expect(html).toContain('&quot;Plomberie&quot; &amp; &lt;b&gt;co&lt;/b&gt;');
    expect(options.footerTemplate).toContain('<span class="pageNumber"></span> / <span class="totalPages"></span>');
    expect(html).toContain('break-before: page');
    expect(html).toContain('display: table-header-group');
    expect(html).toMatch(/tr \{ break-inside: avoid/);
  });

  const table: ReportTable = {
    id: 't',
    title: 'Test',
    columns: [
      { key: 'city', label: 'Ville', format: 'text' },
      { key: 'requests', label: 'Demandes', format: 'integer' },
      { key: 'revenue', label: 'Revenus', format: 'xof' },
    ],
    rows: [{ city: 'Ségou', requests: 1234, revenue: 1_234_567.5 }],
  };

  it('draws every kind from a one-row table and says "Aucune donnée" for an empty one', () => {
    for (const kind of CHART_KINDS) {
      const chart = { kind, title: kind, table: 't', category: 'city', series: ['requests', 'revenue'] };
      const svg = chartSvg(chart, table, { width: 600, height: 250 });
      expect(svg, kind).toMatch(/^<svg[^>]*width="600" height="250"/);
      expect(svg, kind).toContain('Ségou');
      expect(svg, kind).not.toContain('Aucune donnée');
      const empty = chartSvg(chart, { ...table, rows: [] }, { width: 600, height: 250 });
      expect(empty, kind).toMatch(/^<svg/);
      expect(empty, kind).toContain('Aucune donnée');
    }
  });

  it('writes French numbers in charts and escapes their labels', () => {
    const rows = [
      { city: SCRIPT_CITY, requests: 1234, revenue: 20 },
      { city: 'Bamako', requests: 2500, revenue: 30 },
    ];
    const svg = chartSvg({ kind: 'bar', title: 'b', table: 't', category: 'city', series: ['requests'] }, { ...table, rows }, { width: 600, height: 250 });
    expect(svg).not.toMatch(/<script/i);
    expect(svg).toContain('&lt;script&gt;');
    expect(svg).toContain('1\u202f234'); // the bar's label
    const pie = chartSvg({ kind: 'pie', title: 'p', table: 't', category: 'city', series: ['revenue'] }, { ...table, rows }, { width: 600, height: 250 });
    expect(pie).toContain('40\u202f%'); // 20 / 50, exact
    expect(pie).toContain('60\u202f%');
    expect(() => chartSvg({ kind: 'bar', title: 'x', table: 't', category: 'nope', series: ['requests'] }, table, { width: 600, height: 250 })).toThrow(/nope/);
  });
});

describe('the browser pool', () => {
  it('renders 6 at once on at most 2 pages, the others waiting in line', async () => {
    const pool = new BrowserPool(pdfConfig({ PDF_POOL_PAGES: '2' }));
    try {
      const samples: BrowserPoolStatus[] = [];
      const sampler = setInterval(() => samples.push(pool.status()), 2);
      const html = reportHtml(sampleReportModel());
      const pdfs = await Promise.all(Array.from({ length: 6 }, () => pool.render(html)));
      clearInterval(sampler);
      expect(pdfs.every(isPdf)).toBe(true);
      expect(Math.max(...samples.map((status) => status.busy))).toBe(2);
      expect(Math.max(...samples.map((status) => status.pages))).toBeLessThanOrEqual(2);
      expect(Math.max(...samples.map((status) => status.waiting))).toBeGreaterThanOrEqual(1);
      expect(pool.status()).toMatchObject({ browser: 'running', renders: 6, failures: 0, restarts: 0, busy: 0, waiting: 0, pages: 2 });
    } finally {
      await pool.close();
    }
  });

  it('serves renders in the order they came', async () => {
    const pool = new BrowserPool(pdfConfig({ PDF_POOL_PAGES: '1' }));
    try {
      const finished: number[] = [];
      await Promise.all([0, 1, 2, 3].map((i) => pool.render(i === 0 ? slowDocument(300) : SMALL).then(() => finished.push(i))));
      expect(finished).toEqual([0, 1, 2, 3]);
    } finally {
      await pool.close();
    }
  });

  it('fails a render that takes too long, replaces its page and renders the next', async () => {
    const pool = new BrowserPool(pdfConfig({ PDF_RENDER_TIMEOUT_SECONDS: '1', PDF_POOL_PAGES: '1' }));
    try {
      expect(isPdf(await pool.render(SMALL))).toBe(true);
      const started = performance.now();
      const error = await pool.render(slowDocument(5000)).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(PdfRenderError);
      expect((error as Error).message).toBe('render timed out after 1 s');
      expect(performance.now() - started).toBeLessThan(8000);
      expect(isPdf(await pool.render(SMALL))).toBe(true);
      expect(pool.status()).toMatchObject({ renders: 2, failures: 1, restarts: 0, pages: 1, busy: 0 });
    } finally {
      await pool.close();
    }
  });

  it('fails the render under way when the browser dies, and starts a new browser for the next', async () => {
    const pool = new BrowserPool(pdfConfig({ PDF_POOL_PAGES: '1' }));
    try {
      await pool.render(SMALL);
      const pid = pool.browserProcessId()!;
      expect(processAlive(pid)).toBe(true);
      const inFlight = pool.render(slowDocument(5000)).catch((caught: unknown) => caught);
      await waitFor(() => pool.status().busy === 1, 'the render to start');
      await new Promise((resolve) => setTimeout(resolve, 300));
      process.kill(pid, 'SIGKILL');
      const error = await inFlight;
      expect(error).toBeInstanceOf(PdfRenderError);
      expect((error as Error).message).toMatch(/^the browser stopped during the render: the browser (disconnected|process exited \(signal SIGKILL\))$/);
      await waitFor(() => !processAlive(pid), 'the killed browser to be gone');
      expect(isPdf(await pool.render(SMALL))).toBe(true);
      expect(pool.browserProcessId()).not.toBe(pid);
      expect(pool.status()).toMatchObject({ browser: 'running', restarts: 1, renders: 2, failures: 1 });
    } finally {
      await pool.close();
    }
  });

  it('runs no JavaScript and lets a page reach nothing but data: URLs', async () => {
    let requests = 0;
    const server: Server = createServer((_, response) => {
      requests++;
      response.end('body { color: red }');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const pool = new BrowserPool(pdfConfig());
    try {
      // The server answers: a request from the page would be counted.
      await fetch(`${url}/probe`);
      expect(requests).toBe(1);
      const html = `<!DOCTYPE html><html><head><link rel="stylesheet" href="${url}/style.css"></head><body>
        <p id="text">statique</p>
        <img src="${url}/image.png"><iframe src="${url}/frame"></iframe>
        <div style="background: url(${url}/background.png)">fond</div>
        <img src="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/%3E">
        <script>document.getElementById('text').textContent = 'JS EXECUTE'; fetch('${url}/script');</script>
      </body></html>`;
      const file = join(workDir, 'isolated.pdf');
      writeFileSync(file, await pool.render(html));
      const text = (await pdfPages(file)).join('\n');
      expect(text).toContain('statique');
      expect(text).not.toContain('JS EXECUTE');
      expect(requests).toBe(1);
    } finally {
      await pool.close();
      server.close();
    }
  });

  it('lets the renders under way finish on close, refuses the waiting ones, and ends the browser', async () => {
    const pool = new BrowserPool(pdfConfig({ PDF_POOL_PAGES: '1' }));
    await pool.render(SMALL);
    const pid = pool.browserProcessId()!;
    const underWay = pool.render(slowDocument(300));
    const waiting = pool.render(SMALL).catch((caught: unknown) => caught);
    await waitFor(() => pool.status().waiting === 1, 'the second render to wait');
    await pool.close();
    expect(isPdf(await underWay)).toBe(true);
    const refused = await waiting;
    expect(refused).toBeInstanceOf(PdfRenderError);
    expect((refused as Error).message).toMatch(/shutting down/);
    expect(processAlive(pid)).toBe(false);
    expect(pool.status().browser).toBe('stopped');
    await expect(pool.render(SMALL)).rejects.toThrow(/shut down/);
  });

  it('without a browser, refuses to render and says how to install one', async () => {
    const missing = join(workDir, 'no-such-chromium');
    const pool = new BrowserPool(pdfConfig({ PUPPETEER_EXECUTABLE_PATH: missing }));
    const error = await pool.render(SMALL).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PdfUnavailableError);
    expect((error as Error).message).toContain(`PUPPETEER_EXECUTABLE_PATH=${missing} does not exist`);
    expect((error as Error).message).toContain('apt-get install chromium');
    expect((error as Error).message).toContain('npx @puppeteer/browsers install chrome-headless-shell@stable');
    expect(pool.status()).toMatchObject({ available: false, browser: 'stopped', executable: null, renders: 0, failures: 0 });
    await pool.close();
  });
});

describe('finding the browser', () => {
  it('uses PUPPETEER_EXECUTABLE_PATH when it is an executable, and names it when it is not', () => {
    const executable = join(workDir, 'my-chrome');
    writeFileSync(executable, '#!/bin/sh\n');
    chmodSync(executable, 0o755);
    expect(findBrowser(executable)).toEqual({ available: true, executablePath: executable, source: 'PUPPETEER_EXECUTABLE_PATH', error: null });
    const missing = findBrowser(join(workDir, 'missing-chrome'));
    expect(missing).toMatchObject({ available: false, executablePath: null, source: null });
    expect(missing.error).toMatch(/^PUPPETEER_EXECUTABLE_PATH=.*missing-chrome does not exist/);
    const notExecutable = join(workDir, 'not-executable');
    writeFileSync(notExecutable, '');
    expect(findBrowser(notExecutable).error).toMatch(/PUPPETEER_EXECUTABLE_PATH=.*not-executable is not executable/);
  });

  it("falls back to the system's Chromium, then to Puppeteer's cache, and otherwise says how to install one", () => {
    expect(findBrowser(undefined)).toMatchObject({ available: true, executablePath: '/usr/bin/chromium', source: 'system' });
    const bin = join(workDir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'chromium-browser'), '#!/bin/sh\n');
    chmodSync(join(bin, 'chromium-browser'), 0o755);
    expect(findBrowser(undefined, { systemPaths: [], searchPath: bin })).toMatchObject({ executablePath: join(bin, 'chromium-browser'), source: 'system' });

    const cacheDir = join(workDir, 'puppeteer-cache');
    const none = findBrowser(undefined, { systemPaths: [], systemCommands: [], cacheDir });
    expect(none).toMatchObject({ available: false, executablePath: null, source: null });
    expect(none.error).toContain('apt-get install chromium');
    expect(none.error).toContain('npx @puppeteer/browsers install chrome-headless-shell@stable');
    expect(none.error).toContain('PUPPETEER_EXECUTABLE_PATH');

    const shell = join(cacheDir, 'chrome-headless-shell', 'linux-131.0.6778.204', 'chrome-headless-shell-linux64', 'chrome-headless-shell');
    mkdirSync(join(shell, '..'), { recursive: true });
    writeFileSync(shell, '#!/bin/sh\n');
    chmodSync(shell, 0o755);
    expect(findBrowser(undefined, { systemPaths: [], systemCommands: [], cacheDir })).toEqual({
      available: true,
      executablePath: shell,
      source: 'puppeteer-cache',
      error: null,
    });
  });
});
