// Two API processes sharing rooms through Redis (Redis Streams adapter) and one Postgres state
// store: each delivers live statistics to its own sockets, and an alert raised by whichever process
// holds the evaluator lease reaches the sockets of both, exactly once. The second process is a real
// `npm start`-style process (apps/service/src/main.ts) with its own embedded ClickHouse and slot.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { signAccessToken } from '../../libs/access-token/src/sign.js';
import { seedDemoData } from '../../apps/demo/src/seed.js';
import { fromRoot } from '../../libs/config/src/paths.js';
import type { Alert } from '../../libs/metrics/src/alerts.js';
import type { RealTimeStats } from '../../libs/metrics/src/types.js';
import { ADMIN_URL, createTestDatabase, dropDatabase, uniqueName, type TestDatabase } from '../factories/databases.js';
import { hourlyRequestsRule } from '../factories/alert-rules.js';
import { freePort, testRedis, type TestRedis } from '../factories/redis.js';
import { startTestRuntime, TEST_JWT_SECRET, type TestRuntime } from '../factories/runtime.js';
import { connected, nextEvent, statisticsSocket, subscribe, type StatisticsClient } from '../factories/sockets.js';

let db: TestDatabase;
let stateDb: string;
let redis: TestRedis;
let first: TestRuntime;
let second: { child: ChildProcess; url: string; output: string[]; dataDir: string };
let token: string;
const sockets: StatisticsClient[] = [];

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function startSecondProcess(env: Record<string, string>): Promise<typeof second> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'stat-cluster-chdb-'));
  const slot = uniqueName('slot');
  const child = spawn(fromRoot('node_modules', '.bin', 'vite-node'), [fromRoot('apps', 'service', 'src', 'main.ts')], {
    cwd: fromRoot(),
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', CLICKHOUSE_DATA_DIR: dataDir, INGEST_SLOT: slot, INGEST_PUBLICATION: slot, INGEST_BATCH_DELAY_MS: '20' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`second API process exited ${child.exitCode}:\n${output.join('')}`);
    // Ready: the snapshot is in ClickHouse and changes stream (until then statistics are refused, not partial).
    const streaming = await fetch(`${url}/health/ready`).then(
      async (response) => response.status === 200 && ((await response.json()) as { status: string }).status === 'ready',
      () => false,
    );
    if (streaming) break;
    if (Date.now() > deadline) throw new Error(`second API process not streaming within 120 s:\n${output.join('').slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { child, url, output, dataDir };
}

async function open(url: string): Promise<StatisticsClient> {
  const socket = await connected(statisticsSocket(url, token));
  sockets.push(socket);
  return socket;
}

beforeAll(async () => {
  db = await createTestDatabase();
  await seedDemoData(db.pool, { requests: 300, seed: 21 });
  stateDb = uniqueName('stat_state');
  await withAdmin((client) => client.query(`CREATE DATABASE ${stateDb}`));
  redis = testRedis(await freePort());
  await redis.start();
  const shared = {
    DATABASE_URL: db.url,
    JWT_SECRET: TEST_JWT_SECRET,
    REDIS_URL: redis.url,
    STATE_DATABASE_URL: databaseUrl(stateDb),
    ALERT_EVALUATION_SECONDS: '3600',
  };
  first = await startTestRuntime(db, shared);
  // The second process ticks every second and re-reads users on each tick.
  second = await startSecondProcess({ ...shared, REAL_TIME_REFRESH_SECONDS: '1', AUTH_USER_CACHE_SECONDS: '0' });
  const { rows } = await db.pool.query<{ id: string }>("SELECT id FROM users_user WHERE user_type = 'admin' AND is_active ORDER BY id LIMIT 1");
  token = signAccessToken(Number(rows[0]!.id), TEST_JWT_SECRET, 3600);
});

afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  if (second && second.child.exitCode === null) {
    const exited = new Promise((resolve) => second.child.once('exit', resolve));
    second.child.kill('SIGTERM');
    // A clean stop takes well under a second; a process that will not stop is killed, and said.
    const killer = setTimeout(() => {
      console.warn(`second API process still running 30 s after SIGTERM; killing it. Its last output:\n${second.output.join('').slice(-3000)}`);
      second.child.kill('SIGKILL');
    }, 30_000);
    await exited;
    clearTimeout(killer);
  }
  if (second) rmSync(second.dataDir, { recursive: true, force: true });
  await first?.destroy();
  await redis?.kill();
  await db?.drop();
  if (stateDb) await withAdmin((client) => dropDatabase(client, stateDb));
});

it('both processes deliver live statistics and the alerts raised by either', async () => {
  const [onFirst, onSecond] = [await open(first.url), await open(second.url)];
  const baselines = await Promise.all(
    [onFirst, onSecond].map(async (socket) => {
      const initial = nextEvent(socket, 'stats:update', (u) => u.room === 'realtime', 15_000, 'initial realtime');
      expect(await subscribe(socket, 'realtime')).toEqual({ ok: true });
      expect(await subscribe(socket, 'alerts')).toEqual({ ok: true });
      return ((await initial).data as RealTimeStats).last_24h.new_requests;
    }),
  );
  expect(baselines[0]).toBe(baselines[1]);

  // A change committed in Postgres reaches the sockets of both processes with the right number.
  const moved = [onFirst, onSecond].map((socket) =>
    nextEvent(socket, 'stats:update', (u) => u.room === 'realtime' && (u.data as RealTimeStats).last_24h.new_requests === baselines[0]! + 1, 20_000, 'new request'),
  );
  const clientId = (await db.pool.query<{ id: string }>('SELECT id FROM depannage_client ORDER BY id LIMIT 1')).rows[0]!.id;
  await db.pool.query(
    `INSERT INTO depannage_repairrequest (title, specialty_needed, address, city, client_id, status, created_at) VALUES ('x', 'plumber', 'a', 'Bamako', $1, 'pending', now())`,
    [clientId],
  );
  await Promise.all(moved);

  // A rule created through one process is in the shared state store; the alert it raises is
  // delivered once to every socket of the room, whichever process evaluated it.
  const response = await fetch(`${second.url}/depannage/api/statistics/alert-rules/`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(hourlyRequestsRule('Kati', 0)),
  });
  expect(response.status).toBe(201);
  const rule = (await response.json()) as { id: string };
  const received: Alert[][] = [[], []];
  onFirst.on('alert', (alert) => received[0]!.push(alert));
  onSecond.on('alert', (alert) => received[1]!.push(alert));
  await db.pool.query(
    `INSERT INTO depannage_repairrequest (title, specialty_needed, address, city, client_id, status, created_at) VALUES ('x', 'plumber', 'a', 'Kati', $1, 'pending', now())`,
    [clientId],
  );
  const deadline = Date.now() + 20_000;
  while (received.some((list) => !list.some((alert) => alert.rule_id === rule.id))) {
    if (Date.now() > deadline) throw new Error(`alert not delivered to both: first ${received[0]!.length}, second ${received[1]!.length}\n${second.output.join('').slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // More batches on both processes: still exactly one alert per socket (one evaluator, no duplicate).
  await db.pool.query(
    `INSERT INTO depannage_repairrequest (title, specialty_needed, address, city, client_id, status, created_at) VALUES ('x', 'plumber', 'a', 'Kati', $1, 'pending', now())`,
    [clientId],
  );
  await new Promise((resolve) => setTimeout(resolve, 3000));
  for (const list of received) {
    const ofRule = list.filter((alert) => alert.rule_id === rule.id);
    expect(ofRule).toHaveLength(1);
    expect(ofRule[0]).toMatchObject({ status: 'open', scope: { city: 'Kati', specialty: null }, threshold: 0 });
  }
  expect(received[0]![0]!.id).toBe(received[1]![0]!.id);
});

it('pushes every REAL_TIME_REFRESH_SECONDS without changes, and ends the session of a user deactivated meanwhile', async () => {
  const socket = await open(second.url);
  const updates: number[] = [];
  socket.on('stats:update', (update) => {
    if (update.room === 'realtime') updates.push(Date.now());
  });
  expect(await subscribe(socket, 'realtime')).toEqual({ ok: true });
  await new Promise((resolve) => setTimeout(resolve, 3500));
  // The subscribe's payload, then one per one-second tick.
  expect(updates.length).toBeGreaterThanOrEqual(3);

  // Token expiry through the Redis adapter too (emits go through Redis before reaching the socket).
  const { rows: admins } = await db.pool.query<{ id: string }>("SELECT id FROM users_user WHERE user_type = 'admin' AND is_active ORDER BY id LIMIT 1");
  const short = await connected(statisticsSocket(second.url, signAccessToken(Number(admins[0]!.id), TEST_JWT_SECRET, 2)));
  sockets.push(short);
  expect(await nextEvent(short, 'session:end', () => true, 10_000, 'session:end at expiry')).toMatchObject({ code: 'token_expired' });
  const { rows } = await db.pool.query<{ id: string }>(
    `INSERT INTO users_user (username, email, user_type, is_active) VALUES ('second_admin', 'second_admin@test.ml', 'admin', true) RETURNING id`,
  );
  const doomed = await connected(statisticsSocket(second.url, signAccessToken(Number(rows[0]!.id), TEST_JWT_SECRET, 3600)));
  sockets.push(doomed);
  const ended = nextEvent(doomed, 'session:end', () => true, 10_000, 'session:end after deactivation');
  await db.pool.query('UPDATE users_user SET is_active = false WHERE id = $1', [rows[0]!.id]);
  const end = await ended.catch((error: Error) => {
    throw new Error(`${error.message}\n${second.output.join('').slice(-3000)}`);
  });
  expect(end).toMatchObject({ code: 'user_revoked' });

  const health = (await (await fetch(`${second.url}/health/details`, { headers: { Authorization: `Bearer ${token}` } })).json()) as Record<string, any>;
  expect(health.realtime).toMatchObject({ adapter: 'redis-streams' });
  expect(health.realtime.sockets).toBeGreaterThanOrEqual(2);
  expect(health.state_store).toMatchObject({ ok: true, dialect: 'postgres' });
  expect(['this process', 'another process or none yet']).toContain(health.alerts.evaluator);
});
