// `stats`: the statistics endpoints' figures computed in ClickHouse (computeGlobalStatistics, what
// the API serves) against the same figures as plain SQL on Postgres (the tests' oracle), per
// period, on a generated data set snapshotted into a fresh embedded ClickHouse. Runs alternate
// between the engines so that machine noise spreads over both; the first run of each is a warm-up
// whose results are also compared: every figure must be equal, any difference is printed loudly.
import pg from 'pg';
import { computeGlobalStatistics, computeKpis, computeRealTimeStats, computeSection } from '../apps/api/src/statistics/compute.js';
import { Ingest, ingestSettings } from '../apps/ingest/src/ingest.js';
import { loadConfig } from '../libs/config/src/config.js';
import { PERIODS, SECTIONS } from '../libs/metrics/src/types.js';
import { periodQuery } from '../libs/metrics/src/windows.js';
import { createTestClickHouse, uniqueName } from '../test/factories/databases.js';
import { globalStatisticsOnPostgres, kpisOnPostgres, realTimeStatsOnPostgres, sectionOnPostgres } from '../test/oracle/postgres-oracle.js';
import type { BenchArgs } from './args.js';
import { benchDatabase } from './dataset.js';
import { percentile, printTable, round, timed, writeResult, type Cleanups, type TableRow } from './report.js';

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

function withoutBasis<K extends { business: { cac: { basis: string } } }>(kpis: K): K {
  return { ...kpis, business: { ...kpis.business, cac: { ...kpis.business.cac, basis: '' } } };
}

interface Timing {
  label: string;
  clickhouseMs: number[];
  postgresMs: number[];
  postgresNoJitMs: number[];
  differences: Difference[];
}

export async function runStatsBench(args: BenchArgs, cleanups: Cleanups): Promise<void> {
  const runStarted = new Date();
  const { db, now } = await benchDatabase(args, cleanups);
  const { rows: counted } = await db.pool.query<{ requests: string }>('SELECT count(*) AS requests FROM depannage_repairrequest');
  const requestCount = Number(counted[0]!.requests);

  const ch = await createTestClickHouse();
  cleanups.add(`delete ClickHouse directory ${ch.dataDir}`, () => ch.destroy());
  const config = loadConfig({ ...process.env, DATABASE_URL: db.url, JWT_SECRET: process.env.JWT_SECRET ?? 'bench-secret' });
  const slot = uniqueName('bench_slot');
  const ingest = new Ingest({
    databaseUrl: db.url,
    clickhouse: ch.clickhouse,
    ...ingestSettings(config),
    slot,
    publication: slot,
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

  // The oracle runs with the server's settings (JIT as configured); --jit-off times it once more
  // with JIT off, to see how much of the Postgres time is JIT compilation.
  const { rows: jitRows } = await db.pool.query<{ jit: string }>('SHOW jit');
  const postgresJit = jitRows[0]!.jit;
  let noJitPool: pg.Pool | null = null;
  if (args.jitOff) {
    const pool = new pg.Pool({ connectionString: db.url, max: 2, options: '-c jit=off' });
    cleanups.add('close the jit=off pool', () => pool.end());
    noJitPool = pool;
  }

  const workloads = [
    ...PERIODS.map((period) => ({
      label: `global_statistics ${period}`,
      clickhouse: () => computeGlobalStatistics(ch.clickhouse, periodQuery(period, now)),
      postgres: (pool: pg.Pool) => globalStatisticsOnPostgres(pool, { period, now }),
    })),
    // Each section endpoint (with its extra keys) and the KPIs, uncached, over all time.
    ...SECTIONS.map((section) => ({
      label: `section ${section}`,
      clickhouse: () => computeSection(ch.clickhouse, section, periodQuery('all', now)),
      postgres: (pool: pg.Pool) => sectionOnPostgres(pool, section, periodQuery('all', now)),
    })),
    {
      label: 'kpis (business, operational)',
      // cac.basis is wording for humans, not a figure: left out of the comparison.
      clickhouse: async () => withoutBasis(await computeKpis(ch.clickhouse, periodQuery('all', now), { acquisitionSpendXof: 1_000_000 })),
      postgres: async (pool: pg.Pool) => withoutBasis(await kpisOnPostgres(pool, periodQuery('all', now), { acquisitionSpendXof: 1_000_000 })),
    },
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
    const engines: Array<{ name: string; samples: number[]; run: () => Promise<unknown> }> = [
      { name: 'ClickHouse', samples: [], run: workload.clickhouse },
      { name: 'Postgres', samples: [], run: () => workload.postgres(db.pool) },
      ...(noJitPool ? [{ name: 'Postgres jit=off', samples: [], run: () => workload.postgres(noJitPool!) }] : []),
    ];
    console.log(`\n${workload.label}: warm-up, then ${args.reps} runs per engine, alternating...`);
    const warm: Array<{ ms: number; result: unknown }> = [];
    for (const engine of engines) warm.push(await timed(engine.run));
    const found = differences(warm[0]!.result, warm[1]!.result);
    if (warm[2]) {
      const foundNoJit = differences(warm[2].result, warm[1]!.result);
      if (foundNoJit.length > 0) throw new Error(`the oracle gave other figures with jit=off: ${JSON.stringify(foundNoJit.slice(0, 5))}`);
    }
    console.log(`  warm-up: ${engines.map((engine, i) => `${engine.name} ${warm[i]!.ms.toFixed(0)} ms`).join(', ')}`);
    for (let i = 0; i < args.reps; i++) {
      for (const engine of engines) engine.samples.push((await timed(engine.run)).ms);
    }
    const timing: Timing = {
      label: workload.label,
      clickhouseMs: engines[0]!.samples,
      postgresMs: engines[1]!.samples,
      postgresNoJitMs: engines[2]?.samples ?? [],
      differences: found,
    };
    console.log(
      `  median: ${engines.map((engine) => `${engine.name} ${percentile(engine.samples, 50).toFixed(0)} ms`).join(', ')}` +
        (found.length > 0 ? `; ${found.length} DIFFERENCES` : '; figures equal'),
    );
    timings.push(timing);
  }

  printTable(
    `stats: ${requestCount.toLocaleString('en')} requests, ${args.reps} runs each after a warm-up (ms; Postgres jit=${postgresJit} as configured)`,
    timings.map((t): TableRow => {
      const chMedian = percentile(t.clickhouseMs, 50);
      return {
        workload: t.label,
        'CH median': round(chMedian, 1),
        'CH p90': round(percentile(t.clickhouseMs, 90), 1),
        'PG median': round(percentile(t.postgresMs, 50), 1),
        'PG p90': round(percentile(t.postgresMs, 90), 1),
        'PG/CH': round(percentile(t.postgresMs, 50) / chMedian, 2),
        ...(t.postgresNoJitMs.length > 0
          ? { 'PG jit=off median': round(percentile(t.postgresNoJitMs, 50), 1), 'PG jit=off/CH': round(percentile(t.postgresNoJitMs, 50) / chMedian, 2) }
          : {}),
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
    requests: requestCount,
    database: args.database,
    snapshot: { rows: snapshotRows, seconds: snapshotSeconds, clickhouseParts: parts },
    postgresJit,
    timings: timings.map((t) => ({
      ...t,
      clickhouse: { median: percentile(t.clickhouseMs, 50), p90: percentile(t.clickhouseMs, 90) },
      postgres: { median: percentile(t.postgresMs, 50), p90: percentile(t.postgresMs, 90) },
      postgresNoJit: t.postgresNoJitMs.length > 0 ? { median: percentile(t.postgresNoJitMs, 50), p90: percentile(t.postgresNoJitMs, 90) } : null,
      ratioPostgresToClickHouse: percentile(t.postgresMs, 50) / percentile(t.clickhouseMs, 50),
    })),
  });
  console.log(`\nresults: ${path}`);
}
