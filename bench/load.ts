// `load`: the service under crowds, constant writes and a greedy analyst (issue 11). Crowds of HTTP
// clients (bench/crowd.ts, child processes) drive the load; every figure comes with its quiet baseline from the same run:
//   1. 1 000 connections on global_statistics?period=7d, quiet, then while the simulator writes
//      50 changes/s (req/s and p99, ratio writes / quiet);
//   2. 200 connections on real_time_stats, with health probes alongside as an orchestrator sends
//      them (10 probers, a new connection per probe, every 100 ms; their p99 against the same
//      probes on the quiet service), and with a flood of 200 connections on /health (abuse: no
//      timeouts, the statistics keep their share);
//   3. 200 connections on real_time_stats alone, then with a greedy analyst running CPU-heavy
//      queries within its limits alongside (the statistics' p99 delay).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signAccessToken } from '../libs/access-token/src/sign.js';
import { startRuntime } from '../apps/service/src/runtime.js';
import { Simulator } from '../apps/demo/src/simulator.js';
import { loadConfig } from '../libs/config/src/config.js';
import { uniqueName } from '../test/factories/databases.js';
import type { BenchArgs } from './args.js';
import { crowd, type CrowdResult } from './crowd.js';
import { benchDatabase } from './dataset.js';
import { printTable, round, writeResult, type Cleanups, type TableRow } from './report.js';

const row = (label: string, result: CrowdResult, baseline?: CrowdResult): TableRow => ({
  run: label,
  'req/s': round(result.requestsPerSecond, 0),
  'p50 ms': round(result.p50Ms, 1),
  'p99 ms': round(result.p99Ms, 1),
  'max ms': round(result.maxMs, 0),
  'non-2xx': result.non2xx,
  timeouts: result.timeouts,
  errors: result.errors,
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
  const results: Record<string, CrowdResult> = {};
  const auth = { Authorization: `Bearer ${token}` };
  const probes = (): Promise<CrowdResult> => crowd(health, { connections: 10, seconds, fresh: true, pauseMs: 100 });

  console.log('0. health probes on the quiet service...');
  results.probesQuiet = await probes();

  console.log(`1. 1 000 connections on global_statistics, quiet then under 50 changes/s (${seconds} s each)...`);
  await fetch(dashboards, { headers: auth });
  results.dashboardsQuiet = await crowd(dashboards, { connections: 1000, seconds, headers: auth });
  const simulator = new Simulator(runtime.operationalDb, { ratePerSecond: 50, log: () => undefined });
  simulator.start();
  cleanups.add('stop the simulator', () => simulator.stop());
  await new Promise((resolve) => setTimeout(resolve, 2000));
  results.dashboardsWrites = await crowd(dashboards, { connections: 1000, seconds, headers: auth });

  console.log('2. 200 connections on real_time_stats: alone, with health probes, with 200 connections on /health...');
  results.liveAlone = await crowd(live, { connections: 200, seconds, headers: auth });
  const [liveWithProbes, probesUnderLoad] = await Promise.all([crowd(live, { connections: 200, seconds, headers: auth }), probes()]);
  results.liveWithProbes = liveWithProbes;
  results.probesUnderLoad = probesUnderLoad;
  const [liveWithFlood, flood] = await Promise.all([crowd(live, { connections: 200, seconds, headers: auth }), crowd(health, { connections: 200, seconds })]);
  results.liveWithFlood = liveWithFlood;
  results.healthFlood = flood;

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
  results.liveWithAnalyst = await crowd(live, { connections: 200, seconds, headers: auth });
  greedy = false;
  await analyst;
  await simulator.stop();

  printTable('service under load (bench/crowd.ts clients, 30 s timeout)', [
    row('global_statistics 7d, 1 000 conn, quiet', results.dashboardsQuiet),
    row('global_statistics 7d, 1 000 conn, simulator 50 changes/s', results.dashboardsWrites, results.dashboardsQuiet),
    row('/health probes (10, new connection each, every 100 ms), quiet', results.probesQuiet),
    row('real_time_stats, 200 conn (writes on)', results.liveAlone),
    row('/health probes alongside', results.probesUnderLoad, results.probesQuiet),
    row('real_time_stats, 200 conn, with the probes', results.liveWithProbes, results.liveAlone),
    row('/health flood, 200 conn alongside', results.healthFlood),
    row('real_time_stats, 200 conn, with the flood', results.liveWithFlood, results.liveAlone),
    row('real_time_stats, 200 conn, with a greedy analyst', results.liveWithAnalyst, results.liveAlone),
  ]);
  console.log(`analyst: ${analystQueries} queries (${analystRefused} refused) during the last run`);
  writeResult('load', { requests: args.requests, seconds, results, analyst: { queries: analystQueries, refused: analystRefused } });
}
