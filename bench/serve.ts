// `serve`: cached statistics over HTTP. Starts the whole service (API + ingest, embedded
// ClickHouse, the cache on REDIS_URL or the local Redis) on a generated data set, warms the cache,
// then loads it with wrk (a separate process) and reports requests/s against a baseline measured
// in the same run: a bare node:http server in its own process answering the same bytes, the
// ceiling of Node on this machine. Also the API process's memory before and after the load.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRuntime } from '../apps/service/src/runtime.js';
import { signAccessToken } from '../libs/access-token/src/sign.js';
import { loadConfig } from '../libs/config/src/config.js';
import { uniqueName } from '../test/factories/databases.js';
import type { BenchArgs } from './args.js';
import { benchDatabase } from './dataset.js';
import { percentile, printTable, round, writeResult, type Cleanups, type TableRow } from './report.js';

const CONNECTIONS = 64;
const SECONDS = 10;

interface WrkResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
}

function toMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(text);
  if (!match) throw new Error(`wrk latency not understood: ${text}`);
  const value = Number(match[1]);
  return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value;
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} exited with ${code}: ${output}`))));
  });
}

async function wrk(url: string, token: string): Promise<WrkResult> {
  const output = await run('wrk', ['-t2', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', '-H', `Authorization: Bearer ${token}`, url]);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const p50 = /\s50%\s+(\S+)/.exec(output);
  const p99 = /\s99%\s+(\S+)/.exec(output);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(output);
  if (!rps || !p50 || !p99) throw new Error(`wrk output not understood:\n${output}`);
  return { requestsPerSecond: Number(rps[1]), p50Ms: toMs(p50[1]!), p99Ms: toMs(p99[1]!), non2xx: non2xx ? Number(non2xx[1]) : 0 };
}

/** A bare node:http server in a child process answering `body` to every request. */
async function startBaseline(body: string, cleanups: Cleanups): Promise<string> {
  const script = `
    const http = require('node:http');
    const body = Buffer.from(process.env.BODY);
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length });
      res.end(body);
    });
    server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port));`;
  const child = spawn(process.execPath, ['-e', script], { env: { ...process.env, BODY: body }, stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.add('stop the baseline server', async () => {
    child.kill();
  });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      const match = /port (\d+)/.exec(chunk.toString());
      if (match) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`baseline server exited with ${code}`)));
  });
  return `http://127.0.0.1:${port}/`;
}

function memory(): TableRow {
  const usage = process.memoryUsage();
  return { 'rss MiB': round(usage.rss / 2 ** 20, 0), 'heap used MiB': round(usage.heapUsed / 2 ** 20, 0), 'external MiB': round(usage.external / 2 ** 20, 0) };
}

export async function runServeBench(args: BenchArgs, cleanups: Cleanups): Promise<void> {
  const { db } = await benchDatabase(args, cleanups);
  const clickhouseDir = mkdtempSync(join(tmpdir(), 'bench-serve-chdb-'));
  cleanups.add(`delete ClickHouse directory ${clickhouseDir}`, async () => rmSync(clickhouseDir, { recursive: true, force: true }));
  const slot = uniqueName('bench_serve');
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: db.url,
    CLICKHOUSE_DATA_DIR: clickhouseDir,
    JWT_SECRET: uniqueName('secret'),
    PORT: '0',
    INGEST_SLOT: slot,
    INGEST_PUBLICATION: slot,
  });
  console.log('\nstarting the service (snapshot into a fresh embedded ClickHouse)...');
  const runtime = await startRuntime(config, { logger: false });
  cleanups.add('stop the service', () => runtime.close());
  await runtime.ready;
  const { rows } = await db.pool.query<{ id: string }>("SELECT id FROM users_user WHERE user_type = 'admin' AND is_active ORDER BY id LIMIT 1");
  if (!rows[0]) throw new Error('the generated data set has no active admin');
  const token = signAccessToken(Number(rows[0].id), runtime.jwtSecret, 3600);
  const memoryRows: TableRow[] = [{ moment: 'after snapshot', ...memory() }];

  const endpoints = ['global_statistics/?period=7d', 'requests/?period=30d&city=Bamako', 'geography/'];
  const results: TableRow[] = [];
  for (const endpoint of endpoints) {
    const url = `${runtime.url}/depannage/api/statistics/${endpoint}`;
    // Warm the entry, then check the next answer really comes from the cache.
    await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    const warm = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    const body = await warm.text();
    if (!warm.ok || JSON.parse(body).calculation_info?.cached !== true) throw new Error(`${endpoint} is not served from the cache: ${body.slice(0, 300)}`);
    const baselineUrl = await startBaseline(body, cleanups);
    console.log(`\n${endpoint}: ${body.length} bytes; wrk ${CONNECTIONS} connections, ${SECONDS} s, 3 runs alternating with the baseline...`);
    const api: WrkResult[] = [];
    const bare: WrkResult[] = [];
    for (let i = 0; i < 3; i++) {
      api.push(await wrk(url, token));
      bare.push(await wrk(baselineUrl, token));
    }
    if (api.some((result) => result.non2xx > 0)) throw new Error(`${endpoint}: non-2xx answers under load: ${JSON.stringify(api)}`);
    const median = (values: WrkResult[], pick: (result: WrkResult) => number) => percentile(values.map(pick), 50);
    const apiRps = median(api, (r) => r.requestsPerSecond);
    const bareRps = median(bare, (r) => r.requestsPerSecond);
    results.push({
      endpoint,
      'API req/s': Math.round(apiRps),
      'bare node req/s': Math.round(bareRps),
      'API / bare': round(apiRps / bareRps, 2),
      'API p50 ms': round(median(api, (r) => r.p50Ms)),
      'API p99 ms': round(median(api, (r) => r.p99Ms)),
    });
    memoryRows.push({ moment: `after loading ${endpoint}`, ...memory() });
  }
  printTable(`cached requests/s (wrk -t2 -c${CONNECTIONS} -d${SECONDS}s; baseline: bare node:http, same bytes)`, results);
  printTable('memory of the API process (this process: API + ingest + embedded ClickHouse)', memoryRows);
  const file = writeResult('serve', { requests: args.requests, results, memory: memoryRows });
  console.log(`\nraw results: ${file}`);
}
