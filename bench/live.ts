// live: what the realtime layer costs.
// 1. Commit in Postgres → number on a socket, at 100 and 1 000 changes/s (a writer process commits
//    small transactions of new requests; a client process watches section:requests, whose
//    `total` counts them). Baseline, same run: commit → applied in ClickHouse by the ingest
//    (the 'applied' event), so the ratio is what the push path adds (1 s debounce included).
// 2. N (default 10 000) authenticated sockets on one API process receiving the refresh tick on
//    `realtime`: delivered share, fan-out time (payload computed → last socket), API memory per
//    socket and CPU. Baseline, same run: a bare Socket.IO server (no Nest, no auth) broadcasting the
//    same bytes to the same number of sockets from the same client processes.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Server } from 'socket.io';
import { StatisticsGateway } from '../apps/api/src/realtime/statistics.gateway.js';
import { signAccessToken } from '../libs/access-token/src/sign.js';
import { startRuntime } from '../apps/service/src/runtime.js';
import { parseLsn } from '../apps/ingest/src/pgoutput.js';
import type { AppliedBatch } from '../apps/ingest/src/ingest.js';
import { loadConfig } from '../libs/config/src/config.js';
import { uniqueName } from '../test/factories/databases.js';
import type { BenchArgs } from './args.js';
import { WriterProcess } from './cdc.js';
import { generatedDatabase } from './dataset.js';
import type { ClientsReply, ClientsRequest, ConnectJob, TickArrivals } from './live-clients.js';
import { epochMs, percentile, printTable, round, writeResult, type Cleanups, type TableRow } from './report.js';

const TICK_SECONDS = 10;
const TICKS = 3;
const CLIENT_PROCESSES = 2;

class ClientsProcess {
  private pending: ((reply: ClientsReply) => void) | null = null;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: ClientsReply) => {
      const pending = this.pending;
      this.pending = null;
      pending?.(reply);
    });
  }

  static start(): ClientsProcess {
    return new ClientsProcess(fork(fileURLToPath(new URL('./live-clients.js', import.meta.url)), [], { stdio: 'inherit', execArgv: ['--max-old-space-size=8192'] }));
  }

  request(message: ClientsRequest): Promise<ClientsReply> {
    return new Promise((resolve, reject) => {
      this.pending = (reply) => (reply.type === 'failed' ? reject(new Error(reply.error)) : resolve(reply));
      this.child.send(message);
    });
  }

  async connect(job: ConnectJob): Promise<Extract<ClientsReply, { type: 'connected' }>> {
    const reply = await this.request({ type: 'connect', job });
    if (reply.type !== 'connected') throw new Error(`unexpected ${reply.type}`);
    return reply;
  }

  async report(): Promise<Extract<ClientsReply, { type: 'report' }>> {
    const reply = await this.request({ type: 'report' });
    if (reply.type !== 'report') throw new Error(`unexpected ${reply.type}`);
    return reply;
  }

  async stop(): Promise<void> {
    // Already gone (an exit code, or killed by a signal): its 'exit' event will not come again.
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    await exited;
  }
}

function memory(): { rss_mib: number; heap_mib: number } {
  const usage = process.memoryUsage();
  return { rss_mib: round(usage.rss / 2 ** 20, 0), heap_mib: round(usage.heapUsed / 2 ** 20, 0) };
}

/** Arrivals of the same update merged across client processes. */
function mergeTicks(reports: TickArrivals[][]): TickArrivals[] {
  const merged = new Map<string, TickArrivals>();
  for (const ticks of reports) {
    for (const tick of ticks) {
      const entry = merged.get(tick.key);
      if (!entry) merged.set(tick.key, { ...tick });
      else {
        entry.received += tick.received;
        entry.first = Math.min(entry.first, tick.first);
        entry.last = Math.max(entry.last, tick.last);
      }
    }
  }
  return [...merged.values()];
}

async function connectAll(clients: ClientsProcess[], job: Omit<ConnectJob, 'count'>, sockets: number): Promise<{ connected: number; ms: number; errors: string[] }> {
  const share = Math.ceil(sockets / clients.length);
  const replies = await Promise.all(clients.map((client, i) => client.connect({ ...job, count: Math.min(share, sockets - i * share) })));
  const failures = replies.reduce((sum, reply) => sum + reply.failures, 0);
  if (failures > 0) throw new Error(`${failures} sockets failed to connect or subscribe: ${replies.flatMap((reply) => reply.errors).join('; ')}`);
  return { connected: replies.reduce((sum, reply) => sum + reply.sockets, 0), ms: Math.max(...replies.map((reply) => reply.ms)), errors: [] };
}

export async function runLiveBench(args: BenchArgs, cleanups: Cleanups): Promise<void> {
  const { db, data } = await generatedDatabase(args, cleanups);
  const clickhouseDir = mkdtempSync(join(tmpdir(), 'bench-live-chdb-'));
  const stateDir = mkdtempSync(join(tmpdir(), 'bench-live-state-'));
  cleanups.add('delete ClickHouse and state directories', async () => {
    rmSync(clickhouseDir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  });
  const slot = uniqueName('bench_live');
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: db.url,
    CLICKHOUSE_DATA_DIR: clickhouseDir,
    STATE_SQLITE_PATH: join(stateDir, 'state.sqlite'),
    JWT_SECRET: uniqueName('secret'),
    PORT: '0',
    INGEST_SLOT: slot,
    INGEST_PUBLICATION: slot,
    REAL_TIME_REFRESH_SECONDS: String(TICK_SECONDS),
  });
  console.log('\nstarting the service (snapshot into a fresh embedded ClickHouse)...');
  const runtime = await startRuntime(config, { logger: false });
  cleanups.add('stop the service', () => runtime.close());
  await runtime.ready;
  const gateway = runtime.app.get(StatisticsGateway, { strict: false });
  const { rows: admins } = await db.pool.query<{ id: string }>("SELECT id FROM users_user WHERE user_type = 'admin' AND is_active ORDER BY id LIMIT 5");
  const tokens = admins.map((row) => signAccessToken(Number(row.id), runtime.jwtSecret, 7200));

  // --- 1. commit → socket latency ----------------------------------------------------------------
  const applied: Array<{ lsn: bigint; at: number }> = [];
  runtime.ingest.on('applied', (batch: AppliedBatch) => applied.push({ lsn: batch.lsn, at: epochMs() }));
  const watcher = ClientsProcess.start();
  cleanups.add('stop the watcher process', () => watcher.stop());
  await watcher.connect({ url: runtime.url, tokens, count: 1, room: 'section:requests', valuePath: 'total', keyPath: null });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  let base = (await watcher.report()).values.at(-1)?.value;
  if (base === undefined) throw new Error('no initial section:requests payload');
  const writer = await WriterProcess.start({ databaseUrl: db.url, population: data.population });
  cleanups.add('stop the writer process', () => writer.stop());
  const latencyRows: TableRow[] = [];
  for (const changesPerSecond of [100, 1000]) {
    // One new request per transaction at 100/s; a new request and an update per transaction at 1 000/s.
    const changesPerTransaction = changesPerSecond >= 1000 ? 2 : 1;
    const insertsPerTransaction = Math.ceil(changesPerTransaction / 2);
    console.log(`\nlatency: ${changesPerSecond} changes/s for ${args.durationSeconds} s...`);
    applied.length = 0;
    const result = await writer.run({ kind: 'steady', changesPerSecond, changesPerTransaction, seconds: args.durationSeconds });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const { values } = await watcher.report();
    const socket: number[] = [];
    const ingest: number[] = [];
    let missing = 0;
    result.commits.forEach((commit, i) => {
      const target = base! + (i + 1) * insertsPerTransaction;
      const seen = values.find((entry) => entry.value >= target);
      const lsn = parseLsn(commit.lsn);
      const appliedAt = applied.find((batch) => batch.lsn >= lsn);
      if (!seen || !appliedAt) {
        missing++;
        return;
      }
      socket.push(seen.at - commit.committedAt);
      ingest.push(appliedAt.at - commit.committedAt);
    });
    base = values.at(-1)?.value ?? base;
    latencyRows.push({
      'changes/s': changesPerSecond,
      transactions: result.commits.length,
      'not seen': missing,
      pushes: values.length,
      'socket p50 ms': round(percentile(socket, 50), 0),
      'socket p99 ms': round(percentile(socket, 99), 0),
      'applied p50 ms': round(percentile(ingest, 50), 0),
      'applied p99 ms': round(percentile(ingest, 99), 0),
      'p99 socket / applied': round(percentile(socket, 99) / percentile(ingest, 99), 2),
    });
  }
  await writer.stop();
  await watcher.stop();
  printTable('commit in Postgres → number on a socket (baseline: commit → applied in ClickHouse)', latencyRows);

  // --- 2. fan-out of the tick to many sockets ------------------------------------------------------
  const sockets = args.sockets;
  const clients = Array.from({ length: CLIENT_PROCESSES }, () => ClientsProcess.start());
  cleanups.add('stop the client processes', async () => {
    await Promise.all(clients.map((client) => client.stop()));
  });
  const before = memory();
  console.log(`\nfan-out: connecting ${sockets.toLocaleString('en')} authenticated sockets to the API (room realtime)...`);
  const ours = await connectAll(clients, { url: runtime.url, tokens, room: 'realtime', valuePath: null, keyPath: 'current_time' }, sockets);
  const after = memory();
  console.log(`  ${ours.connected.toLocaleString('en')} connected and subscribed in ${(ours.ms / 1000).toFixed(1)} s; ${TICKS} ticks of ${TICK_SECONDS} s...`);
  for (const client of clients) await client.report(); // drop the subscribe payloads
  const tickStarts = new Set<string>();
  const poll = setInterval(() => {
    const at = gateway.status().last_tick_at;
    if (at) tickStarts.add(at);
  }, 20);
  const cpuBefore = process.cpuUsage();
  const wallBefore = epochMs();
  await new Promise((resolve) => setTimeout(resolve, (TICKS * TICK_SECONDS + 3) * 1000));
  const cpu = process.cpuUsage(cpuBefore);
  const wall = epochMs() - wallBefore;
  clearInterval(poll);
  const ourTicks = mergeTicks(await Promise.all(clients.map(async (client) => (await client.report()).ticks)));
  const starts = [...tickStarts].map((at) => Date.parse(at)).sort((a, b) => a - b);
  // Only the tick pushes (payload computed within 2 s of a tick's start); anything else is a push
  // caused by a late change, reported apart.
  const ourFanOut = ourTicks.flatMap((tick) => {
    const computed = Date.parse(tick.key);
    const started = starts.filter((at) => at <= computed).at(-1);
    if (started === undefined || computed - started > 2000) return [];
    return [{ delivered: tick.received / sockets, fanOutMs: tick.last - computed, tickToLastMs: tick.last - started }];
  });
  console.log(`  ${ourTicks.length - ourFanOut.length} update(s) outside the ticks (late changes) left out; ${starts.length} tick starts seen`);
  for (const client of clients) await client.request({ type: 'close' });
  await new Promise((resolve) => setTimeout(resolve, 2000));

  // Baseline: a bare Socket.IO server, same payload size, same clients.
  const payload = (await (await fetch(`${runtime.url}/depannage/api/statistics/real_time_stats/`, { headers: { Authorization: `Bearer ${tokens[0]}` } })).json()) as Record<string, unknown>;
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'] });
  io.of('/statistics').on('connection', (socket) => {
    socket.on('subscribe', (request: { room: string }, ack: (reply: { ok: boolean }) => void) => {
      void socket.join(request.room);
      ack({ ok: true });
    });
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  cleanups.add('close the baseline server', async () => {
    io.close();
  });
  const bareUrl = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
  console.log(`baseline: ${sockets.toLocaleString('en')} sockets on a bare Socket.IO server, ${TICKS} broadcasts...`);
  const bare = await connectAll(clients, { url: bareUrl, tokens, room: 'realtime', valuePath: null, keyPath: 'current_time' }, sockets);
  const bareEmits: number[] = [];
  for (let i = 0; i < TICKS; i++) {
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const current = new Date().toISOString();
    bareEmits.push(Date.parse(current));
    io.of('/statistics').to('realtime').emit('stats:update', { room: 'realtime', data: { ...payload, current_time: current }, data_as_of: null });
  }
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const bareTicks = mergeTicks(await Promise.all(clients.map(async (client) => (await client.report()).ticks)));
  const bareFanOut = bareTicks.map((tick) => ({ delivered: tick.received / sockets, fanOutMs: tick.last - Date.parse(tick.key) }));
  for (const client of clients) await client.request({ type: 'close' });
  io.close();

  const median = (values: number[]) => round(percentile(values, 50), 0);
  const fanOutRow = (server: string, connection: { connected: number; ms: number }, ticks: Array<{ delivered: number; fanOutMs: number }>): TableRow => ({
    server,
    sockets: connection.connected,
    'connect+subscribe s': round(connection.ms / 1000, 1),
    ticks: ticks.length,
    'min delivered %': round(100 * Math.min(...ticks.map((t) => t.delivered)), 2),
    'fan-out median ms': median(ticks.map((t) => t.fanOutMs)),
    'fan-out max ms': round(Math.max(...ticks.map((t) => t.fanOutMs)), 0),
  });
  const rows: TableRow[] = [
    { ...fanOutRow('API (Nest, auth, rooms)', ours, ourFanOut), 'tick → last socket max ms': round(Math.max(...ourFanOut.map((t) => t.tickToLastMs)), 0) },
    fanOutRow('bare Socket.IO (baseline)', bare, bareFanOut),
  ];
  const ratio = median(ourFanOut.map((t) => t.fanOutMs)) / Math.max(1, median(bareFanOut.map((t) => t.fanOutMs)));
  printTable(`fan-out of one update to every socket (API ÷ bare median: ${round(ratio, 2)})`, rows);
  const perSocketKib = ((after.rss_mib - before.rss_mib) * 1024) / sockets;
  printTable('API process (API + ingest + embedded ClickHouse + this benchmark)', [
    { moment: 'before connecting', ...before },
    { moment: `${sockets.toLocaleString('en')} sockets`, ...after, 'RSS KiB per socket': round(perSocketKib, 1) },
    { moment: `CPU during ${TICKS} ticks`, 'CPU % of one core': round((100 * (cpu.user + cpu.system)) / 1000 / wall, 1) },
  ]);
  const file = writeResult('live', { requests: args.requests, latency: latencyRows, fanOut: rows, ourTicks: ourFanOut, bareTicks: bareFanOut, memory: { before, after, perSocketKib } });
  console.log(`\nraw results: ${file}`);
}
