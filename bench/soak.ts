// `soak`: the service under a steady production-like load for an hour (issue 11), to see whether
// anything grows or drifts, and whether the numbers are still exact at the end:
//   - the demo simulator writing ~200 transactions/s (several simulators side by side, in a child
//     process), 1 000 Socket.IO screens on section rooms and `realtime`, and 50 dashboard requests/s
//     (global_statistics periods, sections, kpis, real_time_stats; another child process, open loop);
//   - every 10 s: the service process's RSS and heap, event-loop delay (p50/p99/max), ingest lag,
//     request latency, errors and timeouts, pushes received, simulator rate; one CSV line each;
//   - at the end: writers stopped, ingest caught up, and every global_statistics period and every
//     section as served over HTTP compared with the same figures as plain SQL on Postgres (the
//     tests' oracle): any difference is printed and the run exits 1.
// The service runs in this process (as in `load` and `live`), so RSS, heap and event-loop delay are
// its own: the load comes from the children, and the only extra thing held here is one sample per
// 10 s. The baseline for memory is the run's own first window (warm-up included): the summary
// gives last window ÷ first window and the least-squares slope in MiB/hour.
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ConsoleLogger } from '@nestjs/common';
import { signAccessToken } from '../libs/access-token/src/sign.js';
import type { AppliedBatch } from '../apps/ingest/src/ingest.js';
import { startRuntime } from '../apps/service/src/runtime.js';
import { StatisticsGateway } from '../apps/api/src/realtime/statistics.gateway.js';
import type { EnginePriority } from '../libs/clickhouse/src/admission.js';
import { loadConfig } from '../libs/config/src/config.js';
import { fromRoot } from '../libs/config/src/paths.js';
import { PERIODS, SECTIONS } from '../libs/metrics/src/types.js';
import { uniqueName } from '../test/factories/databases.js';
import { globalStatisticsOnPostgres, realTimeStatsOnPostgres, sectionOnPostgres } from '../test/oracle/postgres-oracle.js';
import type { BenchArgs } from './args.js';
import { benchDatabase } from './dataset.js';
import { percentile, printTable, round, writeResult, type Cleanups, type TableRow } from './report.js';
import type { ClientsReply, ClientsRequest, ClientsSample } from './soak-clients.js';
import { differences } from './stats.js';
import type { WriterCounts, WriterReply, WriterRequest } from './soak-writer.js';

const SAMPLE_SECONDS = 10;
/** The states the demo simulator picks rows in (apps/demo/src/simulator.ts, pickId's conditions). */
const PICKED_STATES: ReadonlyArray<[table: string, condition: string]> = [
  ['depannage_repairrequest', "status = 'pending'"],
  ['depannage_repairrequest', "status = 'assigned'"],
  ['depannage_repairrequest', "status = 'in_progress'"],
  ['depannage_repairrequest', "status = 'cancelled'"],
  ['depannage_repairrequest', "status IN ('pending', 'assigned', 'draft')"],
  ['depannage_payment', "status IN ('pending', 'processing')"],
  ['depannage_payment', "status = 'completed' AND payment_type = 'client_payment'"],
  ['depannage_review', "moderation_status = 'pending'"],
  ['depannage_technician', 'NOT is_verified'],
];
const STEPS_PER_SECOND = 200;
// One simulator runs one transaction at a time, and a step takes tens of milliseconds on a busy
// machine: eight at 25/s each.
const SIMULATORS = 8;
const REQUEST_TIMEOUT_MS = 30_000;
const STATISTICS = '/depannage/api/statistics';

/** The dashboards' requests, in turn: every global period twice, each section, the KPIs, the live tile. */
const REQUEST_PATHS = [
  ...PERIODS.flatMap((period) => [`${STATISTICS}/global_statistics/?period=${period}`, `${STATISTICS}/global_statistics/?period=${period}`]),
  ...SECTIONS.map((section) => `${STATISTICS}/${section}/`),
  `${STATISTICS}/kpis/?period=30d`,
  `${STATISTICS}/kpis/`,
  ...Array.from({ length: 4 }, () => `${STATISTICS}/real_time_stats/`),
];

/** A forked child answering one request at a time (soak-writer, soak-clients). */
class Child<Request, Reply extends { type: string }> {
  private pending: ((reply: Reply) => void) | null = null;

  constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: Reply) => {
      const pending = this.pending;
      this.pending = null;
      pending?.(reply);
    });
  }

  static start<Request, Reply extends { type: string }>(module: string): Child<Request, Reply> {
    return new Child(fork(fileURLToPath(new URL(module, import.meta.url)), [], { stdio: 'inherit' }));
  }

  ask<T extends Reply['type']>(message: Request, expected: T): Promise<Extract<Reply, { type: T }>> {
    if (this.pending) throw new Error('a request is already waiting for its answer');
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`child process exited (${code}) before answering`));
      this.child.once('exit', onExit);
      this.pending = (reply) => {
        this.child.off('exit', onExit);
        if (reply.type === 'failed') reject(new Error((reply as unknown as { error: string }).error));
        else if (reply.type !== expected) reject(new Error(`expected ${expected}, got ${reply.type}`));
        else resolve(reply as Extract<Reply, { type: T }>);
      };
      this.child.send(message as object);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    await exited;
  }
}

interface Sample {
  t_s: number;
  rss_mib: number;
  heap_used_mib: number;
  heap_total_mib: number;
  external_mib: number;
  loop_p50_ms: number;
  loop_p99_ms: number;
  loop_max_ms: number;
  /** CPU of the service's process, % of one core. */
  cpu_pct: number;
  /** Now − commit time of the last change applied (meaningful while the writers run). */
  ingest_lag_ms: number;
  /** WAL between Postgres's current position and the last applied LSN (the whole cluster's WAL). */
  wal_behind_bytes: number;
  applied_changes_per_s: number;
  applied_batches: number;
  sim_steps_per_s: number;
  sim_skipped: number;
  sim_failed: number;
  http_per_s: number;
  http_p50_ms: number;
  http_p99_ms: number;
  http_max_ms: number;
  http_non2xx: number;
  http_timeouts: number;
  http_network_errors: number;
  http_dropped: number;
  http_in_flight: number;
  pushes: number;
  disconnects: number;
  sockets_connected: number;
  /** Share of the window the engine spent on each kind of work (%; the ingest's writes bypass the queue). */
  engine_live_pct: number;
  engine_interactive_pct: number;
  engine_other_pct: number;
  ingest_write_pct: number;
  /** API queries refused in the window, by reason. */
  refused_queue_full: number;
  /** Refusals of dashboards' and of background (alerts') queries in the window. */
  refused_interactive: number;
  refused_background: number;
  refused_deadline: number;
  refused_cancelled: number;
  /** Live room payloads computed, and pushes given up (not computed in time), in the window. */
  room_computations: number;
  push_failures: number;
  /** The rooms' interval between two change-driven pushes at the end of the window. */
  push_interval_ms: number;
  /** Active data parts of the analytics database, and merges running (what reads and writes wade through). */
  engine_parts: number;
  engine_merges: number;
  /** The engine's own memory account (system.metrics MemoryTracking), its mark cache, and the primary indexes of its active parts. */
  engine_tracked_mib: number;
  engine_mark_cache_mib: number;
  engine_primary_index_mib: number;
  /** Rows whose latest image the ingest holds (bounded by INGEST_IMAGE_CACHE_ROWS). */
  ingest_cached_images: number;
}

const mib = (bytes: number): number => round(bytes / 2 ** 20, 1);
const mean = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const mx = mean(xs);
  const my = mean(ys);
  let numerator = 0;
  let denominator = 0;
  for (let i = 0; i < xs.length; i++) {
    numerator += (xs[i]! - mx) * (ys[i]! - my);
    denominator += (xs[i]! - mx) ** 2;
  }
  return denominator === 0 ? Number.NaN : numerator / denominator;
}

/** Nest logger writing warnings and errors (and the info lines that say what the ingest rebuilt) to a file. */
class WarningsFile extends ConsoleLogger {
  count = 0;
  private readonly lines: string[] = [];

  constructor(readonly path: string) {
    super('soak', { logLevels: ['log', 'warn', 'error'] });
    mkdirSync(dirname(path), { recursive: true });
  }

  override log(message: unknown, context?: string): void {
    // Info lines only where they tell of a rebuild (they follow a failure).
    if (/rebuilt|rebuilding/.test(JSON.stringify(message))) this.write('LOG', message, context);
  }

  override warn(message: unknown, context?: string): void {
    this.count++;
    this.write('WARN', message, context);
  }

  override error(message: unknown, stackOrContext?: string, context?: string): void {
    this.count++;
    this.write('ERROR', message, context ?? stackOrContext);
  }

  override debug(): void {}

  override verbose(): void {}

  matching(pattern: RegExp): number {
    return this.lines.filter((line) => pattern.test(line)).length;
  }

  private write(level: string, message: unknown, context: string | undefined): void {
    const line = `${new Date().toISOString()} ${level} [${context ?? ''}] ${typeof message === 'string' ? message : JSON.stringify(message)}`;
    this.lines.push(line);
    if (this.lines.length > 10_000) this.lines.shift();
    appendFileSync(this.path, `${line}\n`);
  }
}

export async function runSoakBench(args: BenchArgs, cleanups: Cleanups): Promise<void> {
  const startedAt = new Date();
  const durationSeconds = args.minutes * 60;
  const { db } = await benchDatabase({ requests: args.requests, parallelism: args.parallelism, database: null }, cleanups);
  // The simulators pick rows by "the first one in a state at or after a random id"
  // (Simulator.pickId): on the bare schema each pick walks the id index until a row in that state
  // turns up, and as the states it looks for thin out under 200 changes/s those walks grew until
  // the simulators' Postgres backends took a whole core (after ~2.5 min, measured with top), and
  // the service under test got half of one. Partial indexes on the picked states keep each pick a
  // probe; they exist only in this generated database (the operational schema is Django's).
  for (const [table, condition] of PICKED_STATES) {
    await db.pool.query(`CREATE INDEX ON ${table} (id) WHERE ${condition}`);
  }
  const work = mkdtempSync(join(tmpdir(), 'bench-soak-'));
  // Kept when the exact check fails: the ClickHouse data beside a dump of the operational database
  // is the evidence needed to find which rows went wrong.
  let keepEvidence = false;
  cleanups.add('remove the bench directories', async () => {
    if (keepEvidence) console.error(`kept for inspection: ${work} (ClickHouse data and state)`);
    else rmSync(work, { recursive: true, force: true });
  });
  const slot = uniqueName('bench_soak');
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
  // The service's warnings and errors, kept beside the results (a failed batch, a rebuild of the
  // derived tables and their causes are what explains a mismatch).
  const serviceLog = new WarningsFile(join(fromRoot('bench', 'results'), `soak-${startedAt.toISOString().replace(/[:.]/g, '-')}-service.log`));
  const runtime = await startRuntime(config, { logger: serviceLog });
  cleanups.add('stop the service', () => runtime.close());
  await runtime.ready;
  let appliedChanges = 0;
  let appliedBatches = 0;
  let appliedChangesTotal = 0;
  let ingestWriteMs = 0;
  runtime.ingest.on('applied', (batch: AppliedBatch) => {
    ingestWriteMs += batch.writeMs ?? 0;
    appliedChanges += batch.changes;
    appliedChangesTotal += batch.changes;
    appliedBatches++;
  });
  const { rows: admins } = await db.pool.query<{ id: string }>("SELECT id FROM users_user WHERE user_type = 'admin' AND is_active ORDER BY id LIMIT 5");
  // Valid for the whole run and the check after it: an expiring token would end the sockets' sessions.
  const tokens = admins.map((row) => signAccessToken(Number(row.id), runtime.jwtSecret, durationSeconds + 3600));

  const clients = Child.start<ClientsRequest, ClientsReply>('./soak-clients.js');
  cleanups.add('stop the clients process', () => clients.stop());
  const writer = Child.start<WriterRequest, WriterReply>('./soak-writer.js');
  cleanups.add('stop the writer process', () => writer.stop());

  console.log(`connecting ${args.sockets.toLocaleString('en')} sockets, then ${args.httpRate} requests/s (${args.maxStaleSeconds === null ? 'fresh answers' : `Cache-Control: max-stale=${args.maxStaleSeconds}`}) and ${STEPS_PER_SECOND} simulator steps/s (${SIMULATORS} simulators)...`);
  const connected = await clients.ask(
    {
      type: 'start',
      job: {
        url: runtime.url,
        tokens,
        sockets: args.sockets,
        sectionRooms: SECTIONS.map((section) => `section:${section}`),
        requestsPerSecond: args.httpRate,
        paths: REQUEST_PATHS,
        timeoutMs: REQUEST_TIMEOUT_MS,
        maxStaleSeconds: args.maxStaleSeconds,
      },
    },
    'started',
  );
  console.log(`  ${connected.connected} sockets connected and subscribed in ${(connected.ms / 1000).toFixed(1)} s (${connected.failures} failures${connected.errors.length ? `: ${connected.errors.join('; ')}` : ''})`);
  if (connected.connected < args.sockets) throw new Error(`only ${connected.connected} of ${args.sockets} sockets connected: ${connected.errors.join('; ')}`);
  await writer.ask({ type: 'start', job: { databaseUrl: db.url, stepsPerSecond: STEPS_PER_SECOND, simulators: SIMULATORS } }, 'started');

  const outDirectory = fromRoot('bench', 'results');
  mkdirSync(outDirectory, { recursive: true });
  const csv = join(outDirectory, `soak-${startedAt.toISOString().replace(/[:.]/g, '-')}.csv`);
  const samples: Sample[] = [];
  const statuses: Record<string, number> = {};
  const failedPaths: Record<string, number> = {};
  const simulatorFailures: string[] = [];
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let cpu = process.cpuUsage();
  const gateway = runtime.app.get(StatisticsGateway);
  let engineBefore = runtime.admission.status();
  let roomsBefore = gateway.status();
  let clock = performance.now();
  const soakStart = clock;
  console.log(`soaking for ${args.minutes} min, a sample every ${SAMPLE_SECONDS} s -> ${csv}`);
  let nextAt = soakStart;
  while (performance.now() - soakStart < durationSeconds * 1000) {
    nextAt += SAMPLE_SECONDS * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, nextAt - performance.now())));
    const now = performance.now();
    const elapsed = (now - clock) / 1000;
    clock = now;
    const cpuNow = process.cpuUsage(cpu);
    cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    const [{ sample: http }, { counts, failures }] = await Promise.all([
      clients.ask({ type: 'sample' }, 'sample') as Promise<{ sample: ClientsSample }>,
      writer.ask({ type: 'sample' }, 'sample') as Promise<{ counts: WriterCounts; failures: string[] }>,
    ]);
    for (const [code, count] of Object.entries(http.statuses)) statuses[code] = (statuses[code] ?? 0) + count;
    for (const [path, count] of Object.entries(http.failedPaths)) failedPaths[path] = (failedPaths[path] ?? 0) + count;
    if (simulatorFailures.length < 20) simulatorFailures.push(...failures.slice(0, 20 - simulatorFailures.length));
    const status = runtime.ingest.status();
    const { rows: wal } = await db.pool.query<{ behind: string | null }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint AS behind', [
      status.appliedLsn ?? '0/0',
    ]);
    const [parts] = await runtime.clickhouse.query<{ parts: string; merges: string; tracked: string; marks: string; primary: string }>(
      `SELECT (SELECT count() FROM system.parts WHERE active AND database = currentDatabase()) AS parts,
              (SELECT count() FROM system.merges WHERE database = currentDatabase()) AS merges,
              (SELECT value FROM system.metrics WHERE metric = 'MemoryTracking') AS tracked,
              (SELECT value FROM system.metrics WHERE metric = 'MarkCacheBytes') AS marks,
              (SELECT value FROM system.metrics WHERE metric = 'PrimaryIndexCacheBytes') + (SELECT sum(primary_key_bytes_in_memory_allocated) FROM system.parts WHERE active) AS primary`,
    );
    const engineNow = runtime.admission.status();
    const roomsNow = gateway.status();
    const busyPct = (priorities: readonly EnginePriority[]): number =>
      round(priorities.reduce((sum, priority) => sum + engineNow.busy_ms[priority] - engineBefore.busy_ms[priority], 0) / (elapsed * 10), 1);
    const refused = (reason: keyof typeof engineNow.refused): number => engineNow.refused[reason] - engineBefore.refused[reason];
    const sample: Sample = {
      t_s: Math.round((now - soakStart) / 1000),
      rss_mib: mib(memory.rss),
      heap_used_mib: mib(memory.heapUsed),
      heap_total_mib: mib(memory.heapTotal),
      external_mib: mib(memory.external),
      loop_p50_ms: round(loop.percentile(50) / 1e6, 1),
      loop_p99_ms: round(loop.percentile(99) / 1e6, 1),
      loop_max_ms: round(loop.max / 1e6, 1),
      cpu_pct: round((100 * (cpuNow.user + cpuNow.system)) / 1e6 / elapsed, 1),
      ingest_lag_ms: status.dataAsOf ? Date.now() - Date.parse(status.dataAsOf) : Number.NaN,
      wal_behind_bytes: Number(wal[0]!.behind ?? Number.NaN),
      applied_changes_per_s: round(appliedChanges / elapsed, 1),
      applied_batches: appliedBatches,
      sim_steps_per_s: round(counts.steps / elapsed, 1),
      sim_skipped: counts.skipped,
      sim_failed: counts.failed,
      http_per_s: round(http.requests / elapsed, 1),
      http_p50_ms: round(http.latencyP50Ms, 1),
      http_p99_ms: round(http.latencyP99Ms, 1),
      http_max_ms: round(http.latencyMaxMs, 1),
      http_non2xx: http.non2xx,
      http_timeouts: http.timeouts,
      http_network_errors: http.networkErrors,
      http_dropped: http.dropped,
      http_in_flight: http.inFlight,
      pushes: http.pushes,
      disconnects: http.disconnects,
      sockets_connected: http.connected,
      engine_live_pct: busyPct(['live']),
      engine_interactive_pct: busyPct(['interactive']),
      engine_other_pct: busyPct(['export', 'analyst', 'background']),
      ingest_write_pct: round(ingestWriteMs / (elapsed * 10), 1),
      refused_queue_full: refused('queue_full'),
      refused_deadline: refused('deadline'),
      refused_cancelled: refused('cancelled'),
      refused_interactive: engineNow.refused_by_priority.interactive - engineBefore.refused_by_priority.interactive,
      refused_background: engineNow.refused_by_priority.background - engineBefore.refused_by_priority.background,
      room_computations: roomsNow.computations - roomsBefore.computations,
      push_failures: roomsNow.push_failures - roomsBefore.push_failures,
      push_interval_ms: roomsNow.push_interval_ms,
      engine_parts: Number(parts!.parts),
      engine_merges: Number(parts!.merges),
      engine_tracked_mib: mib(Number(parts!.tracked)),
      engine_mark_cache_mib: mib(Number(parts!.marks)),
      engine_primary_index_mib: mib(Number(parts!.primary)),
      ingest_cached_images: runtime.ingest.cachedImageRows(),
    };
    engineBefore = engineNow;
    roomsBefore = roomsNow;
    ingestWriteMs = 0;
    loop.reset();
    appliedChanges = 0;
    appliedBatches = 0;
    if (samples.length === 0) appendFileSync(csv, Object.keys(sample).join(',') + '\n');
    appendFileSync(csv, Object.values(sample).join(',') + '\n');
    samples.push(sample);
    const errors = sample.http_non2xx + sample.http_timeouts + sample.http_network_errors + sample.http_dropped;
    if (samples.length % 6 === 0 || errors > 0) {
      console.log(
        `  ${String(Math.round(sample.t_s / 60)).padStart(3)} min  RSS ${sample.rss_mib} MiB  heap ${sample.heap_used_mib} MiB  loop p99 ${sample.loop_p99_ms} ms  ` +
          `ingest lag ${sample.ingest_lag_ms} ms  sim ${sample.sim_steps_per_s}/s  http ${sample.http_per_s}/s p99 ${sample.http_p99_ms} ms  pushes ${sample.pushes}  ` +
          `engine live ${sample.engine_live_pct}% http ${sample.engine_interactive_pct}% ingest ${sample.ingest_write_pct}%  rooms ${sample.room_computations} computed ${sample.push_failures} failed, every ${sample.push_interval_ms} ms  parts ${sample.engine_parts} merging ${sample.engine_merges}  refused: dashboards ${sample.refused_interactive} background ${sample.refused_background}` +
          (errors > 0 ? `  ERRORS non-2xx ${sample.http_non2xx} ${JSON.stringify(http.statuses)} timeouts ${sample.http_timeouts} network ${sample.http_network_errors} dropped ${sample.http_dropped}` : ''),
      );
    }
  }
  loop.disable();

  console.log('\nstopping the writers and the clients, then waiting for the ingest to catch up...');
  const written = await writer.ask({ type: 'stop' }, 'stopped');
  const stopped = await clients.ask({ type: 'stop' }, 'stopped');
  const catchUpStart = performance.now();
  // Generous: an ingest that fell far behind under the load has all of it to apply now.
  await runtime.ingest.catchUp(30 * 60_000);
  const catchUpMs = performance.now() - catchUpStart;
  console.log(`  caught up in ${(catchUpMs / 1000).toFixed(1)} s`);

  // Where the engine's memory is at the end (what MemoryTracking holds, by the engine's own accounts).
  const engineMemory = await runtime.clickhouse.query<{ metric: string; mib: string }>(
    `SELECT metric, round(value / 1048576, 1) AS mib FROM system.metrics
     WHERE (metric = 'MemoryTracking' OR metric LIKE '%Bytes%') AND value >= 1048576 ORDER BY value DESC`,
  );
  printTable('engine memory at the end (system.metrics, ≥ 1 MiB)', engineMemory.map((row) => ({ metric: row.metric, MiB: Number(row.mib) })));

  console.log('exact check: the API over HTTP vs the same figures as plain SQL on Postgres...');
  const check: Array<{ endpoint: string; differences: ReturnType<typeof differences> }> = [];
  // A 503 (engine busy: the rooms' pushes and the computations the load left queued) is an honest
  // "not now", not a figure: asked again after its Retry-After, for up to 5 minutes.
  const get = async (path: string): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + 5 * 60_000;
    for (;;) {
      const response = await fetch(runtime.url + path, { headers: { Authorization: `Bearer ${tokens[0]}` } });
      if (response.status === 200) return (await response.json()) as Record<string, unknown>;
      const body = await response.text();
      if (response.status !== 503 || Date.now() > deadline) throw new Error(`${path}: HTTP ${response.status} ${body}`);
      const retryAfter = Number(response.headers.get('retry-after') ?? 5);
      await new Promise((resolve) => setTimeout(resolve, Math.min(10, Math.max(1, retryAfter)) * 1000));
    }
  };
  const lastCalculation = (body: Record<string, unknown>): Date => new Date((body.calculation_info as { last_calculation: string }).last_calculation);
  for (const period of PERIODS) {
    const body = await get(`${STATISTICS}/global_statistics/?period=${period}`);
    const { calculation_info: _info, ...figures } = body;
    check.push({ endpoint: `global_statistics?period=${period}`, differences: differences(figures, await globalStatisticsOnPostgres(db.pool, { period, now: lastCalculation(body) })) });
  }
  for (const section of SECTIONS) {
    const body = await get(`${STATISTICS}/${section}/`);
    const { calculation_info: _info, ...figures } = body;
    check.push({ endpoint: section, differences: differences(figures, await sectionOnPostgres(db.pool, section, { period: 'all', now: lastCalculation(body) })) });
  }
  {
    const { current_time: currentTime, ...figures } = await get(`${STATISTICS}/real_time_stats/`);
    check.push({ endpoint: 'real_time_stats', differences: differences(figures, await realTimeStatsOnPostgres(db.pool, { now: new Date(String(currentTime)) })) });
  }
  const mismatches = check.reduce((sum, entry) => sum + entry.differences.length, 0);
  for (const entry of check.filter((e) => e.differences.length > 0)) {
    console.error(`!!! MISMATCH ${entry.endpoint}: ${entry.differences.length} figure(s) differ`);
    for (const difference of entry.differences.slice(0, 10)) {
      console.error(`!!!   ${difference.path}: API ${JSON.stringify(difference.clickhouse)} vs Postgres ${JSON.stringify(difference.postgres)}`);
    }
  }
  if (mismatches > 0) {
    process.exitCode = 1;
    keepEvidence = true;
    const dump = join(fromRoot('bench', 'results'), `soak-${startedAt.toISOString().replace(/[:.]/g, '-')}-${db.name}.dump`);
    const dumped = spawnSync('pg_dump', ['--format=custom', `--file=${dump}`, db.url], { stdio: 'inherit' });
    if (dumped.status === 0) console.error(`operational database dumped to ${dump}`);
    else console.error(`pg_dump of ${db.name} failed (exit ${dumped.status}${dumped.error ? `: ${dumped.error.message}` : ''})`);
  }

  // --- summary -----------------------------------------------------------------------------------
  const windowSeconds = Math.min(600, Math.floor(durationSeconds / 3));
  const first = samples.filter((s) => s.t_s <= windowSeconds);
  const last = samples.filter((s) => s.t_s > durationSeconds - windowSeconds);
  const afterWarmUp = samples.filter((s) => s.t_s > windowSeconds);
  const hours = (list: Sample[]): number[] => list.map((s) => s.t_s / 3600);
  const perHour = (list: Sample[], key: keyof Sample): number => round(slope(hours(list), list.map((s) => s[key])), 1);
  const windowLabel = `${round(windowSeconds / 60, 1)} min`;
  const total = (key: keyof Sample): number => samples.reduce((sum, s) => sum + (Number.isFinite(s[key]) ? s[key] : 0), 0);
  const memoryRow = (label: string, key: keyof Sample): TableRow => ({
    figure: label,
    [`first ${windowLabel} mean`]: round(mean(first.map((s) => s[key])), 1),
    [`last ${windowLabel} mean`]: round(mean(last.map((s) => s[key])), 1),
    'last / first': round(mean(last.map((s) => s[key])) / mean(first.map((s) => s[key])), 3),
    'slope /h (all)': perHour(samples, key),
    [`slope /h (after ${windowLabel})`]: afterWarmUp.length > 1 ? perHour(afterWarmUp, key) : null,
    min: Math.min(...samples.map((s) => s[key])),
    max: Math.max(...samples.map((s) => s[key])),
  });
  printTable(`service process over ${args.minutes} min (${samples.length} samples every ${SAMPLE_SECONDS} s; 2-core machine shared with other work)`, [
    memoryRow('RSS MiB', 'rss_mib'),
    memoryRow('heap used MiB', 'heap_used_mib'),
    memoryRow('engine tracked MiB', 'engine_tracked_mib'),
    memoryRow('engine mark cache MiB', 'engine_mark_cache_mib'),
    memoryRow('engine primary indexes MiB', 'engine_primary_index_mib'),
    memoryRow('ingest cached row images', 'ingest_cached_images'),
    memoryRow('event-loop p50 ms', 'loop_p50_ms'),
    memoryRow('event-loop p99 ms', 'loop_p99_ms'),
    memoryRow('ingest lag ms', 'ingest_lag_ms'),
    memoryRow('request p99 ms (10 s windows)', 'http_p99_ms'),
    memoryRow('CPU % of a core', 'cpu_pct'),
  ]);
  // Over time: one row per sixth of the run.
  const bucketSeconds = durationSeconds / 6;
  printTable(
    'over time',
    Array.from({ length: 6 }, (_, i) => {
      const bucket = samples.filter((s) => s.t_s > i * bucketSeconds && s.t_s <= (i + 1) * bucketSeconds);
      const minutes = `${round((i * bucketSeconds) / 60, 1)}-${round(((i + 1) * bucketSeconds) / 60, 1)}`;
      if (bucket.length === 0) return { minutes };
      return {
        minutes,
        'RSS MiB': round(mean(bucket.map((s) => s.rss_mib)), 0),
        'heap MiB': round(mean(bucket.map((s) => s.heap_used_mib)), 0),
        'heap MiB (least)': round(Math.min(...bucket.map((s) => s.heap_used_mib)), 0),
        'engine MiB': round(mean(bucket.map((s) => s.engine_tracked_mib)), 0),
        'cached images': round(mean(bucket.map((s) => s.ingest_cached_images)), 0),
        'loop p50 ms': round(mean(bucket.map((s) => s.loop_p50_ms)), 1),
        'loop p99 ms': round(mean(bucket.map((s) => s.loop_p99_ms)), 1),
        'loop max ms': Math.max(...bucket.map((s) => s.loop_max_ms)),
        'sim steps/s': round(mean(bucket.map((s) => s.sim_steps_per_s)), 0),
        'applied changes/s': round(mean(bucket.map((s) => s.applied_changes_per_s)), 0),
        'ingest lag ms': round(mean(bucket.map((s) => s.ingest_lag_ms)), 0),
        'req/s': round(mean(bucket.map((s) => s.http_per_s)), 1),
        'req p99 ms (median of 10 s)': round(percentile(bucket.map((s) => s.http_p99_ms), 50), 0),
        'req p99 ms (worst 10 s)': round(Math.max(...bucket.map((s) => s.http_p99_ms)), 0),
        'pushes/s': round(bucket.reduce((sum, s) => sum + s.pushes, 0) / (bucket.length * SAMPLE_SECONDS), 0),
        errors: bucket.reduce((sum, s) => sum + s.http_non2xx + s.http_timeouts + s.http_network_errors + s.http_dropped, 0),
      };
    }),
  );
  const errors = {
    non2xx: total('http_non2xx'),
    timeouts: total('http_timeouts'),
    networkErrors: total('http_network_errors'),
    dropped: total('http_dropped'),
    socketDisconnects: total('disconnects'),
    simulatorFailed: written.totals.failed,
  };
  printTable('totals', [
    { figure: 'simulator steps (transactions)', value: written.totals.steps, 'per s': round(written.totals.steps / durationSeconds, 1), note: `${written.totals.skipped} with nothing to do, ${written.totals.failed} rolled back` },
    { figure: 'changes applied by the ingest', value: appliedChangesTotal, 'per s': round(mean(samples.map((s) => s.applied_changes_per_s)), 1), note: `caught up ${round(catchUpMs / 1000, 1)} s after the writers stopped` },
    { figure: 'HTTP answers (any status)', value: stopped.requests, 'per s': round(stopped.requests / durationSeconds, 1), note: `p50 ${round(stopped.latencyP50Ms, 1)} ms, p99 ${round(stopped.latencyP99Ms, 1)} ms over the run` },
    { figure: 'HTTP errors', value: errors.non2xx + errors.timeouts + errors.networkErrors + errors.dropped, note: `non-2xx ${errors.non2xx} (statuses ${JSON.stringify(statuses)}), timeouts ${errors.timeouts}, network ${errors.networkErrors}, dropped ${errors.dropped}` },
    { figure: 'socket pushes received', value: total('pushes'), 'per s': round(total('pushes') / durationSeconds, 1), note: `${errors.socketDisconnects} disconnects` },
    { figure: 'service warnings / errors logged', value: serviceLog.count, note: `${serviceLog.matching(/replication stream failed/)} stream failures, ${serviceLog.matching(/signed logs and aggregates rebuilt|rebuilding the signed logs/)} rebuilds; ${serviceLog.path}` },
    { figure: 'exact check mismatches', value: mismatches, note: `${check.length} endpoints: global_statistics ${PERIODS.join('/')}, ${SECTIONS.length} sections, real_time_stats` },
  ]);
  const failedByPath = Object.entries(failedPaths).sort((a, b) => b[1] - a[1]);
  if (failedByPath.length > 0) console.log(`answers other than 200 by path:\n  ${failedByPath.map(([path, count]) => `${count} ${path}`).join('\n  ')}`);
  if (simulatorFailures.length > 0) console.log(`first simulator failures:\n  ${simulatorFailures.slice(0, 5).join('\n  ')}`);
  const path = writeResult('soak', {
    benchmark: 'soak',
    startedAt: startedAt.toISOString(),
    args,
    load: { stepsPerSecond: STEPS_PER_SECOND, simulators: SIMULATORS, sockets: args.sockets, requestsPerSecond: args.httpRate, maxStaleSeconds: args.maxStaleSeconds, paths: REQUEST_PATHS },
    csv,
    samples,
    simulator: written,
    http: stopped,
    errors,
    statuses,
    failedPaths,
    catchUpMs,
    check,
    mismatches,
  });
  console.log(`\nsamples: ${csv}\nresults: ${path}`);
}
