// `pageload`: how long the web dashboard takes to show its numbers, tab by tab, on the embedded demo
// as `npm start` runs it (its own Postgres with the default 50 000 requests, the simulator writing):
//   - cold: a new browser context (empty HTTP cache, as a first visit), the signed-in address of
//     the tab opened, until every figure of the panel holds a value (and, separately, until every
//     chart has its canvas);
//   - warm: the same address again in that context (scripts from the browser's cache).
// Baselines measured in the same run, just before each page: Chromium opening /health of the same
// server in a new context (what any page costs on this machine), and the tab's own API requests
// (recorded from its first load) fetched by Node in parallel (what its numbers cost). Issue 12's
// target: numbers within 2 s of a cold load.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { signAccessToken } from '../libs/access-token/src/sign.js';
import { startDemo } from '../apps/service/src/demo-runtime.js';
import { loadConfig } from '../libs/config/src/config.js';
import { ensureDashboardBuilt, launchChromium } from '../test/factories/browser.js';
import { uniqueName } from '../test/factories/databases.js';
import type { BenchArgs } from './args.js';
import { percentile, printTable, round, writeResult, type Cleanups, type TableRow } from './report.js';

/** The web app's tab addresses (apps/dashboard/src/routing/url-state.ts TABS). */
const TAB_SLUGS = ['vue-d-ensemble', 'demandes', 'financier', 'satisfaction', 'techniciens', 'tendances', 'securite', 'geographie'];
/** Where the web app keeps the token (apps/dashboard/src/auth/session.ts). */
const TOKEN_KEY = 'depanneteliman.statistics.token';
const TARGET_MS = 2000;

/** The page's own globals, as far as the functions run inside it use them. */
declare const document: { querySelectorAll(selector: string): { length: number } };
declare const sessionStorage: { setItem(key: string, value: string): void };
/** The page's resource timings (the function run by page.evaluate reads them). */
declare const performance: { now(): number; getEntriesByType(type: 'resource'): Array<{ name: string; startTime: number; responseEnd: number }> };

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Visit {
  numbersMs: number;
  chartsMs: number;
  /** From the page's own clock (navigation start): its scripts all received, its API answers all received. */
  scriptsMs: number;
  apiDoneMs: number;
  apiFirstStartMs: number;
  /** The API addresses the page asked for. */
  apiPaths: string[];
}

/** Opens `url` in `page` and times it until its figures, then its charts, are drawn. */
async function visit(page: Page, url: string, origin: string): Promise<Visit> {
  const apiPaths: string[] = [];
  const onRequest = (request: { url(): string }): void => {
    const address = request.url();
    if (address.startsWith(`${origin}/depannage/api/`)) apiPaths.push(address.slice(origin.length));
  };
  page.on('request', onRequest);
  const started = performance.now();
  await page.goto(url);
  await page.waitForFunction(
    () => document.querySelectorAll('#panel [data-metric][data-value]').length > 0 && document.querySelectorAll('#panel [aria-busy="true"]').length === 0,
    undefined,
    { timeout: 60_000, polling: 10 },
  );
  const numbersMs = performance.now() - started;
  await page.waitForFunction(
    () => document.querySelectorAll('#panel [data-chart]').length === document.querySelectorAll('#panel [data-chart] canvas').length,
    undefined,
    { timeout: 60_000, polling: 10 },
  );
  const chartsMs = performance.now() - started;
  page.off('request', onRequest);
  const timings = await page.evaluate(() =>
    performance.getEntriesByType('resource').map((entry) => ({ name: entry.name, start: entry.startTime, end: entry.responseEnd })),
  );
  const api = timings.filter((entry) => entry.name.includes('/depannage/api/'));
  const scripts = timings.filter((entry) => entry.name.endsWith('.js'));
  return {
    numbersMs,
    chartsMs,
    apiPaths,
    scriptsMs: Math.max(0, ...scripts.map((entry) => entry.end)),
    apiDoneMs: Math.max(0, ...api.map((entry) => entry.end)),
    apiFirstStartMs: Math.min(...api.map((entry) => entry.start)),
  };
}

async function signedInContext(browser: Browser, token: string): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'fr-FR', timezoneId: 'UTC' });
  await context.addInitScript(([key, value]) => sessionStorage.setItem(key, value), [TOKEN_KEY, token] as const);
  return context;
}

export async function runPageLoadBench(args: BenchArgs, cleanups: Cleanups): Promise<void> {
  console.log('building the web dashboard if its sources changed...');
  await ensureDashboardBuilt();
  const work = mkdtempSync(join(tmpdir(), 'bench-pageload-'));
  // The embedded Postgres runs as the system user postgres when we are root: it must reach its directory.
  chmodSync(work, 0o755);
  cleanups.add('remove the bench directory', async () => rmSync(work, { recursive: true, force: true }));
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DATABASE_URL;
  const config = loadConfig({
    ...env,
    DEMO_DATA_DIR: join(work, 'postgres'),
    DEMO_POSTGRES_PORT: String(await freePort()),
    CLICKHOUSE_DATA_DIR: join(work, 'clickhouse'),
    STATE_SQLITE_PATH: join(work, 'state.sqlite'),
    EXPORT_DIR: join(work, 'exports'),
    JWT_SECRET: uniqueName('secret'),
    PORT: '0',
  });
  console.log(`starting the embedded demo (${config.demo.requests.toLocaleString('en')} requests, simulator ${config.demo.simulatorRate} changes/s)...`);
  const runtime = await startDemo(config, { logger: false });
  cleanups.add('stop the service', () => runtime.close());
  await runtime.ready;
  const { rows } = await runtime.operationalDb.query<{ id: string }>("SELECT id FROM users_user WHERE user_type = 'admin' AND is_active ORDER BY id LIMIT 1");
  const token = signAccessToken(Number(rows[0]!.id), runtime.jwtSecret, 3600);
  const browser = await launchChromium();
  cleanups.add('close the browser', () => browser.close());

  const origin = runtime.url;
  const apiOf = new Map<string, string[]>();
  const samples = new Map<string, { cold: number[]; charts: number[]; warm: number[]; blank: number[]; api: number[]; scripts: number[]; apiStart: number[]; apiDone: number[] }>();
  console.log(`${args.reps} rounds of the ${TAB_SLUGS.length} tabs...`);
  for (let rep = 0; rep < args.reps; rep++) {
    for (const slug of TAB_SLUGS) {
      const sample = samples.get(slug) ?? { cold: [], charts: [], warm: [], blank: [], api: [], scripts: [], apiStart: [], apiDone: [] };
      samples.set(slug, sample);

      const blankContext = await browser.newContext();
      const blankPage = await blankContext.newPage();
      const blankStarted = performance.now();
      await blankPage.goto(`${origin}/health`);
      sample.blank.push(performance.now() - blankStarted);
      await blankContext.close();

      const paths = apiOf.get(slug);
      if (paths) {
        const apiStarted = performance.now();
        await Promise.all(
          paths.map(async (path) => {
            const response = await fetch(origin + path, { headers: { Authorization: `Bearer ${token}` } });
            await response.arrayBuffer();
            if (!response.ok) throw new Error(`${path}: ${response.status}`);
          }),
        );
        sample.api.push(performance.now() - apiStarted);
      }

      const context = await signedInContext(browser, token);
      const page = await context.newPage();
      const cold = await visit(page, `${origin}/tableau/${slug}`, origin);
      // The first round's requests are the baseline of the next rounds (the first one has none).
      if (!paths) apiOf.set(slug, [...new Set(cold.apiPaths)]);
      sample.cold.push(cold.numbersMs);
      sample.charts.push(cold.chartsMs);
      sample.scripts.push(cold.scriptsMs);
      sample.apiStart.push(cold.apiFirstStartMs);
      sample.apiDone.push(cold.apiDoneMs);
      const warm = await visit(page, `${origin}/tableau/${slug}`, origin);
      sample.warm.push(warm.numbersMs);
      await context.close();
    }
  }

  const median = (values: number[]): number => round(percentile(values, 50), 0);
  const table: TableRow[] = TAB_SLUGS.map((slug) => {
    const sample = samples.get(slug)!;
    return {
      tab: slug,
      'cold: numbers ms': median(sample.cold),
      'cold: charts ms': median(sample.charts),
      'cold: scripts in': median(sample.scripts),
      'cold: first API ask': median(sample.apiStart),
      'cold: last API answer': median(sample.apiDone),
      'warm: numbers ms': median(sample.warm),
      'blank page ms': median(sample.blank),
      'its API requests ms': sample.api.length > 0 ? median(sample.api) : null,
      'cold ÷ blank': round(percentile(sample.cold, 50) / percentile(sample.blank, 50), 1),
      'cold ÷ API': sample.api.length > 0 ? round(percentile(sample.cold, 50) / percentile(sample.api, 50), 1) : null,
      'worst cold ms': round(Math.max(...sample.cold), 0),
    };
  });
  printTable(`page loads on the embedded demo (median of ${args.reps}; target: numbers within ${TARGET_MS} ms of a cold load)`, table);
  const over = table.filter((row) => Number(row['cold: numbers ms']) > TARGET_MS).map((row) => row.tab);
  console.log(over.length === 0 ? `\nevery tab's median cold load is within ${TARGET_MS} ms` : `\nover ${TARGET_MS} ms (median cold): ${over.join(', ')}`);
  const path = writeResult('pageload', { reps: args.reps, demo: config.demo, tabs: table, apiRequests: Object.fromEntries(apiOf), samples: Object.fromEntries(samples) });
  console.log(`results: ${path}`);
}
