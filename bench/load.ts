// `load`: the service under crowds, constant writes and a greedy analyst (issue 11). wrk (separate
// processes) drives the HTTP load; every figure comes with its quiet baseline from the same run:
//   1. 1 000 connections on global_statistics?period=7d, quiet, then while the simulator writes
//      50 changes/s (req/s and p99, ratio writes / quiet);
//   2. 200 connections on real_time_stats plus 200 on /health at once (no timeouts; health p99,
//      against /health alone with the same connections);
//   3. 200 connections on real_time_stats alone, then with a greedy analyst running CPU-heavy
//      queries within its limits alongside (the statistics' p99 delay).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signAccessToken } from '../libs/access-token/src/sign.js';
import { startRuntime } from '../apps/service/src/runtime.js';
import { Simulator } from '../apps/demo/src/simulator.js';
import { loadConfig } from '../libs/config/src/config.js';
import { uniqueName } from '../test/factories/databases.js';
import type { BenchArgs } from './args.js';
import { benchDatabase } from './dataset.js';
import { printTable, round, writeResult, type Cleanups, type TableRow } from './report.js';

interface Wrk {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  timeouts: number;
  errors: number;
}

function toMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (!match) throw new Error(`wrk latency not understood: ${text}`);
  const value = Number(match[1]);
  return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : match[2] === 'm' ? value * 60_000 : value;
}

function wrk(url: string, token: string, connections: number, seconds: number): Promise<Wrk> {
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', ['-t2', `-c${connections}`, `-d${seconds}s`, '--timeout', '30s', '--latency', '-H', `Authorization: Bearer ${token}`, url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`wrk exited with ${code}: ${output}`));
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
      const p50 = /\s50%\s+(\S+)/.exec(output);
      const p99 = /\s99%\s+(\S+)/.exec(output);
      if (!rps || !p50 || !p99) return reject(new Error(`wrk output not understood:\n${output}`));
      const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
      resolve({
        requestsPerSecond: Number(rps[1]),
        p50Ms: toMs(p50[1]!),
        p99Ms: toMs(p99[1]!),
        non2xx: Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(output)?.[1] ?? 0),
        timeouts: Number(socket?.[4] ?? 0),
        errors: socket ? Number(socket[1]) + Number(socket[2]) + Number(socket[3]) : 0,
      });
    });
  });
}

const row = (label: string, result: Wrk, baseline?: Wrk): TableRow => ({
  run: label,
  'req/s': round(result.requestsPerSecond, 0),
  'p50 ms': round(result.p50Ms, 1),
  'p99 ms': round(result.p99Ms, 1),
  'non-2xx': result.non2xx,
  timeouts: result.timeouts,
  'p99 ratio': baseline ? round(result.p99Ms / baseline.p99Ms, 2) : null,
  'req/s ratio': baseline ? round(result.requestsPerSecond / baseline.requestsPerSecond, 2) : null,
});

export async function runLoadBench(args: BenchArgs, cleanups: Cleanups): Promise<void> {
  const { db } = await benchDatabase({ requests: args.requests, parallelism: args.parallelism, database: args.database }, cleanups);
  const work = mkdtempSync(join(tmpdir(), 'bench-load-'));
  cleanups.add('remove the bench directories', async () => rmSync(work, { recursive: true, force: true }));
  const slot = uniqueName('bench_load');
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: db.url,
    CLICKHOUSE_DATA_DIR: join(work, 'clickhouse'),
    STATE_SQLITE_PATH: join(work, 'state.sqlite'),
    EXPORT_DIR: join(work, 'exports'),
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
  const token = signAccessToken(Number(rows[0]!.id), runtime.jwtSecret, 3600);
  const seconds = args.durationSeconds;
  const dashboards = `${runtime.url}/depannage/api/statistics/global_statistics/?period=7d`;
  const live = `${runtime.url}/depannage/api/statistics/real_time_stats/`;
  const health = `${runtime.url}/health`;
  const results: Record<string, Wrk> = {};

  console.log(`1. 1 000 connections on global_statistics, quiet then under 50 changes/s (${seconds} s each)...`);
  await fetch(dashboards, { headers: { Authorization: `Bearer ${token}` } });
  results.dashboardsQuiet = await wrk(dashboards, token, 1000, seconds);
  const simulator = new Simulator(runtime.operationalDb, { ratePerSecond: 50, log: () => undefined });
  simulator.start();
  cleanups.add('stop the simulator', () => simulator.stop());
  await new Promise((resolve) => setTimeout(resolve, 2000));
  results.dashboardsWrites = await wrk(dashboards, token, 1000, seconds);

  console.log('2. 200 connections on real_time_stats and 200 on /health at once (each alone first)...');
  results.healthAlone = await wrk(health, token, 200, seconds);
  results.liveAlone = await wrk(live, token, 200, seconds);
  const [liveWithHealth, healthUnderLoad] = await Promise.all([wrk(live, token, 200, seconds), wrk(health, token, 200, seconds)]);
  results.liveWithHealth = liveWithHealth;
  results.healthUnderLoad = healthUnderLoad;

  console.log('3. real_time_stats with a greedy analyst alongside...');
  let analystQueries = 0;
  let analystRefused = 0;
  let greedy = true;
  const analyst = (async () => {
    while (greedy) {
      const response = await fetch(`${runtime.url}/clickhouse/?default_format=TabSeparated`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}` },
        body: 'SELECT count() FROM numbers(2000000000) WHERE sipHash64(number) % 7 = 3',
      });
      await response.arrayBuffer();
      analystQueries++;
      if (response.status !== 200) analystRefused++;
    }
  })();
  results.liveWithAnalyst = await wrk(live, token, 200, seconds);
  greedy = false;
  await analyst;
  await simulator.stop();

  printTable('service under load (wrk -t2, 30 s timeout)', [
    row('global_statistics 7d, 1 000 conn, quiet', results.dashboardsQuiet),
    row('global_statistics 7d, 1 000 conn, simulator 50 changes/s', results.dashboardsWrites, results.dashboardsQuiet),
    row('real_time_stats, 200 conn (writes on)', results.liveAlone),
    row('real_time_stats, 200 conn, with 200 on /health', results.liveWithHealth, results.liveAlone),
    row('/health, 200 conn, alone (writes on)', results.healthAlone),
    row('/health, 200 conn, alongside', results.healthUnderLoad, results.healthAlone),
    row('real_time_stats, 200 conn, with a greedy analyst', results.liveWithAnalyst, results.liveAlone),
  ]);
  console.log(`analyst: ${analystQueries} queries (${analystRefused} refused) during the last run`);
  writeResult('load', { requests: args.requests, seconds, results, analyst: { queries: analystQueries, refused: analystRefused } });
}
