// `stats`: the statistics endpoints' figures computed in ClickHouse (computeGlobalStatistics, what
// the API serves) against the same figures as plain SQL on Postgres (the tests' oracle), per
// period, on a generated data set snapshotted into a fresh embedded ClickHouse. Runs alternate
// between the engines so that machine noise spreads over both; the first run of each is a warm-up
// whose results are also compared: every figure must be equal, any difference is printed loudly.
import pg from 'pg';
import { computeGlobalStatistics, computeRealTimeStats } from '../apps/api/src/statistics/compute.js';
import { Ingest } from '../apps/ingest/src/ingest.js';
import { loadConfig } from '../libs/config/src/config.js';
import { PERIODS } from '../libs/metrics/src/types.js';
import { createTestClickHouse, uniqueName } from '../test/factories/databases.js';
import { globalStatisticsOnPostgres, realTimeStatsOnPostgres } from '../test/oracle/postgres-oracle.js';
import type { BenchArgs } from './args.js';
import { generatedDatabase } from './dataset.js';
import { percentile, printTable, round, writeResult, type Cleanups, type TableRow } from './report.js';

interface Difference {
  path: string;
  clickhouse: unknown;
  postgres: unknown;
}

/** Every leaf that differs, and objects whose keys come in another order (the JSON the API prints). */
export function differences(clickhouse: unknown, postgres: unknown, path = ''): Difference[] {
  if (typeof clickhouse !== 'object' || typeof postgres !== 'object' || clickhouse === null || postgres === null) {
    return Object.is(clickhouse, postgres) ? [] : [{ path: path || '(root)', clickhouse, postgres }];
  }
  if (Array.isArray(clickhouse) !== Array.isArray(postgres)) return [{ path, clickhouse, postgres }];
  const chKeys = Object.keys(clickhouse);
  const pgKeys = Object.keys(postgres);
  const found: Difference[] = [];
  for (const key of new Set([...chKeys, ...pgKeys])) {
    found.push(
      ...differences((clickhouse as Record<string, unknown>)[key], (postgres as Record<string, unknown>)[key], path ? `${path}.${key}` : key),
    );
  }
  if (found.length === 0 && chKeys.join('\u0000') !== pgKeys.join('\u0000')) {
    found.push({ path: `${path} (key order)`, clickhouse: chKeys, postgres: pgKeys });
  }
  return found;
}

interface Timing {
  label: string;
  clickhouseMs: number[];
  postgresMs: number[];
  postgresNoJitMs: number[];
  differences: Difference[];
}

async function time(work: () => Promise<unknown>): Promise<{ ms: number; result: unknown }> {
  const start = performance.now();
  const result = await work();
  return { ms: performance.now() - start, result };
}

export async function runStatsBench(args: BenchArgs, cleanups: Cleanups): Promise<void> {
  const runStarted = new Date();
  const { db, data } = await generatedDatabase(args, cleanups);
  const now = data.now;

  const ch = await createTestClickHouse();
  cleanups.add(`delete ClickHouse directory ${ch.dataDir}`, () => ch.destroy());
  const config = loadConfig({ ...process.env, DATABASE_URL: db.url });
  const slot = uniqueName('bench_slot');
  const ingest = new Ingest({
    databaseUrl: db.url,
    clickhouse: ch.clickhouse,
    slot,
    publication: slot,
    batchRows: config.ingestBatchRows,
    batchDelayMs: config.ingestBatchDelayMs,
  });
  console.log('\nsnapshot into a fresh embedded ClickHouse...');
  let ingestRunning = true;
  cleanups.add('stop the ingest', async () => {
    if (ingestRunning) await ingest.stop();
  });
  const snapshotStart = performance.now();
  await ingest.start();
  const snapshotSeconds = (performance.now() - snapshotStart) / 1000;
  await ingest.catchUp(120_000);
  await ingest.stop();
  ingestRunning = false;
  const snapshotRows = ingest.status().snapshot.rowsDone;
  console.log(`  ${snapshotRows.toLocaleString('en')} rows in ${snapshotSeconds.toFixed(1)} s`);
  const parts = await ch.clickhouse.query<{ table: string; parts: string }>(
    `SELECT table, toString(count()) AS parts FROM system.parts WHERE database = currentDatabase() AND active GROUP BY table ORDER BY table`,
  );

  // The oracle as the server runs it (JIT as configured), and once more with JIT off: on these
  // sizes the JIT compile time is a visible share of each Postgres query.
  const noJitPool = new pg.Pool({ connectionString: db.url, max: 2, options: '-c jit=off' });
  cleanups.add('close the jit=off pool', () => noJitPool.end());
  const { rows: jitRows } = await db.pool.query<{ jit: string }>('SHOW jit');

  const workloads = [
    ...PERIODS.map((period) => ({
      label: `global_statistics ${period}`,
      clickhouse: () => computeGlobalStatistics(ch.clickhouse, { period, now }),
      postgres: (pool: pg.Pool) => globalStatisticsOnPostgres(pool, { period, now }),
    })),
    {
      label: 'real_time_stats',
      clickhouse: async () => {
        const { current_time: _ignored, ...figures } = await computeRealTimeStats(ch.clickhouse, now);
        return figures;
      },
      postgres: (pool: pg.Pool) => realTimeStatsOnPostgres(pool, { now }),
    },
  ];

  const timings: Timing[] = [];
  for (const workload of workloads) {
    console.log(`\n${workload.label}: warm-up, then ${args.reps} runs per engine...`);
    const chWarm = await time(workload.clickhouse);
    const pgWarm = await time(() => workload.postgres(db.pool));
    const pgNoJitWarm = await time(() => workload.postgres(noJitPool));
    const found = differences(chWarm.result, pgWarm.result);
    const foundNoJit = differences(pgNoJitWarm.result, pgWarm.result);
    if (foundNoJit.length > 0) throw new Error(`the oracle gave different results with jit=off: ${JSON.stringify(foundNoJit.slice(0, 5))}`);
    const timing: Timing = { label: workload.label, clickhouseMs: [], postgresMs: [], postgresNoJitMs: [], differences: found };
    console.log(`  warm-up: ClickHouse ${chWarm.ms.toFixed(0)} ms, Postgres ${pgWarm.ms.toFixed(0)} ms, Postgres jit=off ${pgNoJitWarm.ms.toFixed(0)} ms`);
    for (let i = 0; i < args.reps; i++) {
      timing.clickhouseMs.push((await time(workload.clickhouse)).ms);
      timing.postgresMs.push((await time(() => workload.postgres(db.pool))).ms);
      timing.postgresNoJitMs.push((await time(() => workload.postgres(noJitPool))).ms);
    }
    console.log(
      `  median: ClickHouse ${percentile(timing.clickhouseMs, 50).toFixed(0)} ms, Postgres ${percentile(timing.postgresMs, 50).toFixed(0)} ms, jit=off ${percentile(timing.postgresNoJitMs, 50).toFixed(0)} ms` +
        (found.length > 0 ? `; ${found.length} DIFFERENCES` : '; figures equal'),
    );
    timings.push(timing);
  }

  printTable(
    `stats: ${data.requests.toLocaleString('en')} requests, ${args.reps} runs each (ms; Postgres jit=${jitRows[0]!.jit} as configured, and jit=off)`,
    timings.map((t): TableRow => {
      const chMedian = percentile(t.clickhouseMs, 50);
      return {
        workload: t.label,
        'CH median': round(chMedian, 1),
        'CH p90': round(percentile(t.clickhouseMs, 90), 1),
        'PG median': round(percentile(t.postgresMs, 50), 1),
        'PG p90': round(percentile(t.postgresMs, 90), 1),
        'PG/CH': round(percentile(t.postgresMs, 50) / chMedian, 2),
        'PG nojit median': round(percentile(t.postgresNoJitMs, 50), 1),
        'PG nojit/CH': round(percentile(t.postgresNoJitMs, 50) / chMedian, 2),
        equal: t.differences.length === 0 ? 'yes' : `NO (${t.differences.length})`,
      };
    }),
  );
  const mismatched = timings.filter((t) => t.differences.length > 0);
  for (const t of mismatched) {
    console.error(`\n!!! MISMATCH ${t.label}: ClickHouse and Postgres disagree on ${t.differences.length} figure(s):`);
    for (const difference of t.differences.slice(0, 25)) {
      console.error(`!!!   ${difference.path}: ClickHouse ${JSON.stringify(difference.clickhouse)} vs Postgres ${JSON.stringify(difference.postgres)}`);
    }
    if (t.differences.length > 25) console.error(`!!!   ... and ${t.differences.length - 25} more (see the JSON result)`);
  }
  if (mismatched.length > 0) process.exitCode = 1;

  const path = writeResult('stats', {
    benchmark: 'stats',
    startedAt: runStarted.toISOString(),
    args,
    now: now.toISOString(),
    generator: data,
    snapshot: { rows: snapshotRows, seconds: snapshotSeconds, clickhouseParts: parts },
    postgresJit: jitRows[0]!.jit,
    timings: timings.map((t) => ({
      ...t,
      clickhouse: { median: percentile(t.clickhouseMs, 50), p90: percentile(t.clickhouseMs, 90) },
      postgres: { median: percentile(t.postgresMs, 50), p90: percentile(t.postgresMs, 90) },
      postgresNoJit: { median: percentile(t.postgresNoJitMs, 50), p90: percentile(t.postgresNoJitMs, 90) },
      ratioPostgresToClickHouse: percentile(t.postgresMs, 50) / percentile(t.clickhouseMs, 50),
    })),
  });
  console.log(`\nresults: ${path}`);
}
