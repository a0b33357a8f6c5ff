// `cdc`: how fast the ingest copies and follows the operational database, each figure next to a
// baseline measured in the same run on the same data:
//   snapshot rows/s            vs  Postgres COPY (same projection) TO STDOUT, read and discarded
//   streaming changes/s        vs  Postgres accepting the same burst (inserts + updates) with no ingest
//   end-to-end lag p50/p99 ms  vs  the configured batch delay (INGEST_BATCH_DELAY_MS), the floor by design
// plus the plain multi-row INSERT rate of one client, and a final row-count check ClickHouse = Postgres.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import pgCopyStreams from 'pg-copy-streams';
import { Ingest, type AppliedBatch } from '../apps/ingest/src/ingest.js';
import { snapshotSelect } from '../apps/ingest/src/convert.js';
import { parseLsn } from '../apps/ingest/src/pgoutput.js';
import { REPLICATED_TABLES } from '../apps/ingest/src/tables.js';
import { loadConfig } from '../libs/config/src/config.js';
import { createTestClickHouse, uniqueName } from '../test/factories/databases.js';
import type { BenchArgs } from './args.js';
import type { ChildMessage, ParentMessage, WriteResult, WriterInit, WriterJob } from './cdc-writer.js';
import { generatedDatabase } from './dataset.js';
import { epochMs, percentile, printTable, round, writeResult, type Cleanups, type TableRow } from './report.js';

/** Statement and transaction sizes of the write workloads (the same for the baseline and the measured run). */
const ROWS_PER_STATEMENT = 1000;
const CHANGES_PER_TRANSACTION = 10_000;
const STEADY_CHANGES_PER_TRANSACTION = 20;

export class WriterProcess {
  private pending: { resolve: (message: ChildMessage) => void; reject: (error: Error) => void } | null = null;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: ChildMessage) => {
      const pending = this.pending;
      this.pending = null;
      pending?.resolve(message);
    });
    child.on('exit', (code) => {
      const pending = this.pending;
      this.pending = null;
      pending?.reject(new Error(`the writer process exited (code ${code})`));
    });
  }

  static async start(init: WriterInit): Promise<WriterProcess> {
    const child = fork(fileURLToPath(new URL('./cdc-writer.js', import.meta.url)), [], { stdio: 'inherit' });
    const writer = new WriterProcess(child);
    const reply = await writer.send({ type: 'init', init });
    if (reply.type !== 'ready') throw new Error(`writer failed to start: ${reply.type === 'failed' ? reply.error : reply.type}`);
    return writer;
  }

  async run(job: WriterJob): Promise<WriteResult> {
    const reply = await this.send({ type: 'job', job });
    if (reply.type === 'failed') throw new Error(`writer job ${job.kind} failed: ${reply.error}`);
    if (reply.type !== 'done') throw new Error(`unexpected writer reply ${reply.type}`);
    return reply.result;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'exit' } satisfies ParentMessage);
    const timeout = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timeout);
  }

  private send(message: ParentMessage): Promise<ChildMessage> {
    if (this.pending) throw new Error('one writer job at a time');
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.child.send(message);
    });
  }
}

interface CopyBaseline {
  rows: number;
  bytes: number;
  seconds: number;
  perTable: Record<string, { rows: number; seconds: number }>;
}

/** Reads every replicated table with the snapshot's own COPY projection and throws the bytes away. */
async function copyReadBaseline(databaseUrl: string): Promise<CopyBaseline> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const perTable: CopyBaseline['perTable'] = {};
  let rows = 0;
  let bytes = 0;
  const start = performance.now();
  try {
    // The same transaction shape as the snapshot (one repeatable-read snapshot for all tables).
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    for (const table of REPLICATED_TABLES) {
      const tableStart = performance.now();
      let tableRows = 0;
      const copy = client.query(pgCopyStreams.to(`COPY (${snapshotSelect(table)}) TO STDOUT`));
      for await (const chunk of copy as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) tableRows++;
      }
      rows += tableRows;
      perTable[table.name] = { rows: tableRows, seconds: (performance.now() - tableStart) / 1000 };
    }
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
  return { rows, bytes, seconds: (performance.now() - start) / 1000, perTable };
}

async function withTimeout<T>(label: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${label} did not finish within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function rate(count: number, ms: number): number {
  return Math.round(count / Math.max(ms / 1000, 1e-9));
}

export async function runCdcBench(args: BenchArgs, cleanups: Cleanups): Promise<void> {
  const runStarted = new Date();
  const { db, data } = await generatedDatabase(args, cleanups);
  const config = loadConfig({ ...process.env, DATABASE_URL: db.url, JWT_SECRET: process.env.JWT_SECRET ?? 'bench-secret' });
  const batch = { batchRows: config.ingestBatchRows, batchDelayMs: config.ingestBatchDelayMs };

  // --- baseline (a): Postgres reading the tables the way the snapshot does -----------------------
  console.log('\nbaseline: COPY (snapshot projection) TO STDOUT of the replicated tables...');
  const copy = await copyReadBaseline(db.url);
  const copyRowsPerSecond = Math.round(copy.rows / copy.seconds);
  console.log(`  ${copy.rows.toLocaleString('en')} rows, ${(copy.bytes / 2 ** 20).toFixed(0)} MiB in ${copy.seconds.toFixed(1)} s`);

  // --- baselines (b): Postgres accepting writes from one client, no replication slot yet ---------
  const writer = await WriterProcess.start({ databaseUrl: db.url, population: data.population });
  cleanups.add('stop the writer process', () => writer.stop());
  const insertRows = Math.max(ROWS_PER_STATEMENT, Math.round(args.burst / 2));
  console.log(`baseline: multi-row INSERT of ${insertRows.toLocaleString('en')} requests (${ROWS_PER_STATEMENT} rows per statement, one client)...`);
  const insertBaseline = await writer.run({ kind: 'insert', rows: insertRows, rowsPerStatement: ROWS_PER_STATEMENT, rowsPerTransaction: CHANGES_PER_TRANSACTION });
  const insertMs = insertBaseline.lastCommitAt - insertBaseline.startedAt;
  console.log(`  ${rate(insertBaseline.inserted, insertMs).toLocaleString('en')} rows/s`);
  const burstJob: WriterJob = { kind: 'burst', changes: args.burst, rowsPerStatement: ROWS_PER_STATEMENT, changesPerTransaction: CHANGES_PER_TRANSACTION };
  console.log(`baseline: the burst (${args.burst.toLocaleString('en')} changes, half INSERT half UPDATE, ${CHANGES_PER_TRANSACTION.toLocaleString('en')} per transaction) with no ingest...`);
  const burstBaseline = await writer.run(burstJob);
  const burstBaselineMs = burstBaseline.lastCommitAt - burstBaseline.startedAt;
  const burstBaselineRate = rate(args.burst, burstBaselineMs);
  console.log(`  ${burstBaselineRate.toLocaleString('en')} changes/s`);

  // --- snapshot ------------------------------------------------------------------------------------
  const ch = await createTestClickHouse();
  cleanups.add(`delete ClickHouse directory ${ch.dataDir}`, () => ch.destroy());
  const slot = uniqueName('bench_slot');
  const ingest = new Ingest({ databaseUrl: db.url, clickhouse: ch.clickhouse, slot, publication: slot, ...batch });
  const applied: Array<{ lsn: bigint; at: number; changes: number }> = [];
  ingest.on('applied', (event: AppliedBatch) => applied.push({ lsn: event.lsn, at: epochMs(), changes: event.changes }));
  console.log(`\nsnapshot: Ingest.start() into a fresh embedded ClickHouse (batch ${batch.batchRows} rows / ${batch.batchDelayMs} ms)...`);
  const snapshotStart = performance.now();
  cleanups.add('stop the ingest', () => withTimeout('ingest.stop()', 60_000, ingest.stop()));
  await ingest.start();
  const snapshotSeconds = (performance.now() - snapshotStart) / 1000;
  const snapshotStatus = ingest.status().snapshot;
  const snapshotRowsPerSecond = Math.round(snapshotStatus.rowsDone / snapshotSeconds);
  // start() = publication and slot + the COPY phase + whatever the ingest does before streaming.
  const copyPhaseSeconds =
    snapshotStatus.startedAt && snapshotStatus.finishedAt
      ? (Date.parse(snapshotStatus.finishedAt) - Date.parse(snapshotStatus.startedAt)) / 1000
      : Number.NaN;
  const copyPhaseRowsPerSecond = Math.round(snapshotStatus.rowsDone / copyPhaseSeconds);
  console.log(`  ${snapshotStatus.rowsDone.toLocaleString('en')} rows in ${snapshotSeconds.toFixed(1)} s`);

  // --- streaming burst ---------------------------------------------------------------------------
  console.log(`\nstreaming: the same burst with the ingest running...`);
  const appliedBeforeBurst = applied.length;
  const burst = await writer.run(burstJob);
  const writtenAt = epochMs();
  await ingest.catchUp(600_000);
  const caughtUpAt = epochMs();
  const streamMs = caughtUpAt - burst.firstCommitAt;
  const streamRate = rate(args.burst, streamMs);
  const burstWriteMs = burst.lastCommitAt - burst.startedAt;
  const burstBatches = applied.slice(appliedBeforeBurst);
  console.log(`  ${streamRate.toLocaleString('en')} changes/s applied; drained ${Math.round(caughtUpAt - writtenAt)} ms after the last commit`);

  // --- steady load: end-to-end lag ------------------------------------------------------------------
  console.log(`\nlag: ~${args.rate} changes/s for ${args.durationSeconds} s (${STEADY_CHANGES_PER_TRANSACTION} changes per transaction)...`);
  const appliedBeforeSteady = applied.length;
  const steady = await writer.run({
    kind: 'steady',
    changesPerSecond: args.rate,
    changesPerTransaction: STEADY_CHANGES_PER_TRANSACTION,
    seconds: args.durationSeconds,
  });
  await ingest.catchUp(120_000);
  const steadyBatches = applied.slice(appliedBeforeSteady);
  const lags: number[] = [];
  let unmatched = 0;
  for (const commit of steady.commits) {
    const lsn = parseLsn(commit.lsn);
    const batchHolding = steadyBatches.find((event) => event.lsn >= lsn);
    if (batchHolding) lags.push(batchHolding.at - commit.committedAt);
    else unmatched++;
  }
  const steadySeconds = (steady.lastCommitAt - steady.startedAt) / 1000;
  const achievedRate = Math.round((steady.inserted + steady.updated) / steadySeconds);
  const commitMs = steady.commits.map((commit) => commit.commitMs);
  // While changes keep coming, one batch is written at a time: the gap between two 'applied'
  // events is the ingest's write cycle (batch delay, or the ClickHouse write when that is longer).
  const cycles = steadyBatches.slice(1).map((event, i) => event.at - steadyBatches[i]!.at);
  const lag = { p50: percentile(lags, 50), p90: percentile(lags, 90), p99: percentile(lags, 99), max: Math.max(...lags), min: Math.min(...lags) };
  console.log(`  ${lags.length} transactions matched (${unmatched} unmatched), lag p50 ${lag.p50.toFixed(0)} ms, p99 ${lag.p99.toFixed(0)} ms`);

  // --- correctness: ClickHouse holds what Postgres holds ------------------------------------------
  await withTimeout('ingest.stop()', 60_000, ingest.stop());
  const counts: TableRow[] = [];
  const mismatches: string[] = [];
  for (const table of REPLICATED_TABLES) {
    const { rows } = await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table.name}`);
    const [chRow] = await ch.clickhouse.query<{ n: string }>(`SELECT count() AS n FROM ${table.name} FINAL`);
    const postgres = Number(rows[0]!.n);
    const clickhouse = Number(chRow!.n);
    counts.push({ table: table.name, postgres, clickhouse, equal: postgres === clickhouse ? 'yes' : 'NO' });
    if (postgres !== clickhouse) mismatches.push(`${table.name}: Postgres ${postgres}, ClickHouse ${clickhouse}`);
  }
  const [sums] = await ch.clickhouse.query<{ n: string; completed: string; final: string }>(
    `SELECT count() AS n, countIf(status = 'completed') AS completed, toString(sum(final_price)) AS final FROM depannage_repairrequest FINAL`,
  );
  const { rows: pgSums } = await db.pool.query<{ n: string; completed: string; final: string }>(
    `SELECT count(*) AS n, count(*) FILTER (WHERE status = 'completed') AS completed, sum(final_price)::text AS final FROM depannage_repairrequest`,
  );
  if (Number(sums!.completed) !== Number(pgSums[0]!.completed) || Number(sums!.final) !== Number(pgSums[0]!.final)) {
    mismatches.push(`depannage_repairrequest completed/sum(final_price): Postgres ${pgSums[0]!.completed}/${pgSums[0]!.final}, ClickHouse ${sums!.completed}/${sums!.final}`);
  }

  // --- report ----------------------------------------------------------------------------------------
  const figures: TableRow[] = [
    {
      figure: 'snapshot (rows/s)',
      measured: snapshotRowsPerSecond,
      baseline: copyRowsPerSecond,
      'baseline is': 'COPY TO STDOUT, same projection',
      ratio: round(snapshotRowsPerSecond / copyRowsPerSecond, 3),
    },
    {
      figure: 'streaming (changes/s)',
      measured: streamRate,
      baseline: burstBaselineRate,
      'baseline is': 'Postgres writing the same burst, no ingest',
      ratio: round(streamRate / burstBaselineRate, 3),
    },
    {
      figure: 'burst write with ingest (changes/s)',
      measured: rate(args.burst, burstWriteMs),
      baseline: burstBaselineRate,
      'baseline is': 'Postgres writing the same burst, no ingest',
      ratio: round(rate(args.burst, burstWriteMs) / burstBaselineRate, 3),
    },
    {
      figure: 'lag p50 (ms)',
      measured: round(lag.p50, 1),
      baseline: batch.batchDelayMs,
      'baseline is': 'INGEST_BATCH_DELAY_MS',
      ratio: batch.batchDelayMs > 0 ? round(lag.p50 / batch.batchDelayMs, 3) : null,
    },
    {
      figure: 'lag p99 (ms)',
      measured: round(lag.p99, 1),
      baseline: batch.batchDelayMs,
      'baseline is': 'INGEST_BATCH_DELAY_MS',
      ratio: batch.batchDelayMs > 0 ? round(lag.p99 / batch.batchDelayMs, 3) : null,
    },
  ];
  printTable('cdc', figures);
  printTable('context', [
    { measure: 'multi-row INSERT, one client (rows/s)', value: rate(insertBaseline.inserted, insertMs) },
    { measure: 'COPY read (MiB/s)', value: round(copy.bytes / 2 ** 20 / copy.seconds, 1) },
    { measure: 'snapshot rows', value: snapshotStatus.rowsDone },
    { measure: 'snapshot: Ingest.start() seconds', value: round(snapshotSeconds, 1) },
    { measure: 'snapshot: COPY phase seconds (ingest status)', value: round(copyPhaseSeconds, 1) },
    { measure: 'snapshot: COPY phase rows/s, ratio to COPY read', value: `${copyPhaseRowsPerSecond.toLocaleString('en')} (${round(copyPhaseRowsPerSecond / copyRowsPerSecond, 3)})` },
    { measure: 'burst: batches applied', value: burstBatches.length },
    { measure: 'burst: drain after last commit (ms)', value: Math.round(caughtUpAt - writtenAt) },
    { measure: 'steady: achieved changes/s', value: achievedRate },
    { measure: 'steady: transactions', value: steady.transactions },
    { measure: 'steady: batches applied', value: steadyBatches.length },
    { measure: 'steady: ms between applied batches p50 / p90', value: `${round(percentile(cycles, 50), 1)} / ${round(percentile(cycles, 90), 1)}` },
    { measure: 'steady: Postgres COMMIT p50 / p99 (ms)', value: `${round(percentile(commitMs, 50), 2)} / ${round(percentile(commitMs, 99), 2)}` },
    { measure: 'lag min / p90 / max (ms)', value: `${round(lag.min, 1)} / ${round(lag.p90, 1)} / ${round(lag.max, 1)}` },
  ]);
  printTable('row counts after the run (ClickHouse FINAL vs Postgres)', counts);
  if (mismatches.length > 0) {
    console.error(`\n!!! MISMATCH between ClickHouse and Postgres:\n${mismatches.map((line) => `!!!   ${line}`).join('\n')}`);
    process.exitCode = 1;
  }
  if (unmatched > 0) console.error(`\n!!! ${unmatched} steady transactions never showed up in an 'applied' event`);
  if (achievedRate < 0.9 * args.rate) {
    console.error(`\n!!! the writer held only ${achievedRate} of the ${args.rate} changes/s asked (Postgres commits too slow on this machine now); the lag is measured at that rate`);
  }

  const path = writeResult('cdc', {
    benchmark: 'cdc',
    startedAt: runStarted.toISOString(),
    args,
    ingestBatch: batch,
    generator: data,
    baselines: {
      copyRead: { ...copy, rowsPerSecond: copyRowsPerSecond },
      multiRowInsert: { rows: insertBaseline.inserted, ms: insertMs, rowsPerSecond: rate(insertBaseline.inserted, insertMs) },
      burstNoIngest: { changes: args.burst, ms: burstBaselineMs, changesPerSecond: burstBaselineRate },
    },
    snapshot: {
      rows: snapshotStatus.rowsDone,
      seconds: snapshotSeconds,
      rowsPerSecond: snapshotRowsPerSecond,
      ratioToCopy: snapshotRowsPerSecond / copyRowsPerSecond,
      copyPhaseSeconds,
      copyPhaseRowsPerSecond,
      status: snapshotStatus,
    },
    streaming: {
      changes: args.burst,
      transactions: burst.transactions,
      writeMs: burstWriteMs,
      firstCommitToCaughtUpMs: streamMs,
      drainAfterLastCommitMs: caughtUpAt - writtenAt,
      changesPerSecond: streamRate,
      ratioToBurstBaseline: streamRate / burstBaselineRate,
      batches: burstBatches.map((event) => event.changes),
    },
    lag: {
      targetChangesPerSecond: args.rate,
      achievedChangesPerSecond: achievedRate,
      seconds: steadySeconds,
      transactions: steady.transactions,
      matched: lags.length,
      unmatched,
      ms: lag,
      ratioP50ToBatchDelay: batch.batchDelayMs > 0 ? lag.p50 / batch.batchDelayMs : null,
      commitMs: { p50: percentile(commitMs, 50), p99: percentile(commitMs, 99) },
      batches: steadyBatches.length,
      msBetweenBatches: { p50: percentile(cycles, 50), p90: percentile(cycles, 90) },
      lagsMs: lags.map((value) => round(value, 2)),
    },
    counts,
    mismatches,
  });
  console.log(`\nresults: ${path}`);
}
