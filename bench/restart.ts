// `restart`: how long the service (`npm start` with DATABASE_URL: API + ingest, embedded ClickHouse)
// takes to serve numbers again (issue 14: ready in < 10 s after a clean stop, < 60 s after SIGKILL,
// at 10 M requests). The service runs as a child process, as in production:
//   1. first start: snapshot of the whole database (the baseline the restarts are compared with);
//   2. SIGTERM (clean stop), then a start on the same data: ready when /health/ready says 200;
//   3. SIGKILL while the simulator writes (a crash: the derived tables are rebuilt), then a start.
// Each start reports the time to liveness (/health answers: the process booted) and to readiness
// (numbers served); the ratios are against the first start's readiness and the same start's liveness.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Simulator } from '../apps/demo/src/simulator.js';
import { fromRoot } from '../libs/config/src/paths.js';
import { uniqueName } from '../test/factories/databases.js';
import { freePort } from '../test/factories/redis.js';
import type { BenchArgs } from './args.js';
import { benchDatabase } from './dataset.js';
import { printTable, round, writeResult, type Cleanups } from './report.js';

interface Start {
  child: ChildProcess;
  liveMs: number;
  readyMs: number;
}

const POLL_MS = 50;
const READY_TIMEOUT_MS = 60 * 60_000;

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** Starts the service and times it to liveness and to readiness; its output goes to `log`. */
async function start(env: NodeJS.ProcessEnv, url: string, log: (line: string) => void): Promise<Start> {
  const started = performance.now();
  const child = spawn(process.execPath, [fromRoot('dist', 'apps', 'service', 'src', 'main.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (chunk: Buffer) => chunk.toString().split('\n').filter(Boolean).forEach(log));
  let exited = false;
  child.once('exit', () => (exited = true));
  let liveMs = Number.NaN;
  while (performance.now() - started < READY_TIMEOUT_MS) {
    if (exited) throw new Error('the service exited before it was ready (its output is in the log above)');
    if (Number.isNaN(liveMs) && (await answers(`${url}/health`))) liveMs = performance.now() - started;
    if (!Number.isNaN(liveMs) && (await answers(`${url}/health/ready`))) return { child, liveMs, readyMs: performance.now() - started };
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  child.kill('SIGKILL');
  throw new Error(`the service was not ready within ${READY_TIMEOUT_MS / 60_000} min`);
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<number> {
  const started = performance.now();
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
  return performance.now() - started;
}

export async function runRestartBench(args: BenchArgs, cleanups: Cleanups): Promise<void> {
  const { db } = await benchDatabase({ requests: args.requests, parallelism: args.parallelism, database: args.database }, cleanups);
  const work = mkdtempSync(join(tmpdir(), 'bench-restart-'));
  cleanups.add('remove the bench directory', async () => rmSync(work, { recursive: true, force: true }));
  const slot = uniqueName('bench_restart');
  cleanups.add('drop the replication slot and publication', async () => {
    await db.pool.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active', [slot]);
    await db.pool.query(`DROP PUBLICATION IF EXISTS ${slot}`);
  });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    DATABASE_URL: db.url,
    CLICKHOUSE_DATA_DIR: join(work, 'clickhouse'),
    STATE_SQLITE_PATH: join(work, 'state.sqlite'),
    EXPORT_DIR: join(work, 'exports'),
    JWT_SECRET: uniqueName('secret'),
    HOST: '127.0.0.1',
    PORT: String(port),
    INGEST_SLOT: slot,
    INGEST_PUBLICATION: slot,
    LOG_LEVEL: 'warn',
  };
  let running: ChildProcess | null = null;
  cleanups.add('stop the service', async () => {
    if (running && running.exitCode === null && running.signalCode === null) await stop(running, 'SIGKILL');
  });
  const log = (line: string): void => console.log(`  [service] ${line}`);

  console.log('\n1. first start: snapshot of the whole database...');
  const first = await start(env, url, log);
  running = first.child;
  console.log(`   live after ${round(first.liveMs / 1000, 1)} s, ready after ${round(first.readyMs / 1000, 1)} s`);

  console.log('2. clean stop (SIGTERM), then a start on the same data...');
  const cleanStopMs = await stop(first.child, 'SIGTERM');
  const afterClean = await start(env, url, log);
  running = afterClean.child;
  console.log(`   stopped in ${round(cleanStopMs / 1000, 1)} s; live after ${round(afterClean.liveMs / 1000, 1)} s, ready after ${round(afterClean.readyMs / 1000, 1)} s`);

  console.log('3. SIGKILL while the simulator writes 200 changes/s, then a start...');
  const simulator = new Simulator(db.pool, { ratePerSecond: 200, log: () => undefined });
  simulator.start();
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  await stop(afterClean.child, 'SIGKILL');
  await simulator.stop();
  const afterKill = await start(env, url, log);
  running = afterKill.child;
  console.log(`   live after ${round(afterKill.liveMs / 1000, 1)} s, ready after ${round(afterKill.readyMs / 1000, 1)} s`);
  await stop(afterKill.child, 'SIGTERM');
  running = null;

  const row = (label: string, run: Start): Record<string, number | string> => ({
    start: label,
    'live s': round(run.liveMs / 1000, 2),
    'ready s': round(run.readyMs / 1000, 2),
    'ready / first start': round(run.readyMs / first.readyMs, 3),
    'ready / own liveness': round(run.readyMs / run.liveMs, 2),
  });
  printTable(`restart (${args.requests.toLocaleString('en')} requests; the service as a child process, embedded ClickHouse)`, [
    row('first (snapshot)', first),
    row('after a clean stop', afterClean),
    row('after SIGKILL under writes', afterKill),
  ]);
  console.log(`clean stop took ${round(cleanStopMs / 1000, 2)} s`);
  const times = (run: Start): { liveMs: number; readyMs: number } => ({ liveMs: run.liveMs, readyMs: run.readyMs });
  writeResult('restart', { requests: args.requests, first: times(first), afterClean: times(afterClean), afterKill: times(afterKill), cleanStopMs });
}
