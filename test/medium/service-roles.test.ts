// API and ingest as separate services (SERVICE_ROLE=api, SERVICE_ROLE=ingest), here in one Node
// process sharing one embedded engine (there is no ClickHouse server on the test machine; each
// role is handed the engine as it would reach a server), with a real Postgres and our own Redis
// (killed and restarted in one test). The api role holds no replication slot; a row committed in
// Postgres reaches the API's cache and a live room through the Redis feed alone; a Redis outage
// loses no notification; a stopped ingest makes the API's readiness fail within the status TTL.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAccessToken } from '../../libs/access-token/src/sign.js';
import { StatisticsCacheService } from '../../apps/api/src/cache/statistics-cache.service.js';
import { startApiRuntime, type ApiRuntime } from '../../apps/api/src/runtime.js';
import { startIngestService, type IngestService } from '../../apps/ingest/src/service.js';
import { seedDemoData } from '../../apps/demo/src/seed.js';
import type { ClickHouse } from '../../libs/clickhouse/src/clickhouse.js';
import { openClickHouse } from '../../libs/clickhouse/src/open.js';
import { loadConfig, type AppConfig } from '../../libs/config/src/config.js';
import { parseLsn, type AppliedBatch } from '../../libs/ingest-feed/src/feed.js';
import type { GlobalStatistics, RealTimeStats } from '../../libs/metrics/src/types.js';
import { createTestDatabase, uniqueName, type TestDatabase } from '../factories/databases.js';
import { freePort, testRedis, type TestRedis } from '../factories/redis.js';
import { TEST_JWT_SECRET } from '../factories/runtime.js';
import { connected, nextEvent, statisticsSocket, subscribe, type StatisticsClient } from '../factories/sockets.js';

const STATUS_TTL_SECONDS = 2;
const METRICS_TOKEN = 'metrics-token-for-the-ingest';

let db: TestDatabase;
let redis: TestRedis;
let clickhouse: ClickHouse;
let dirs: string[] = [];
let config: AppConfig;
let api: ApiRuntime;
let ingest: IngestService | null = null;
let token: string;
const sockets: StatisticsClient[] = [];
/** Every batch the API heard of through its feed, in order. */
const heard: AppliedBatch[] = [];

async function waitFor<T>(what: string, probe: () => Promise<T | null> | T | null, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function readiness(url: string): Promise<{ code: number; body: { status: string; reasons?: string[] } }> {
  const response = await fetch(`${url}/health/ready`);
  return { code: response.status, body: (await response.json()) as { status: string; reasons?: string[] } };
}

async function stats(url = api.url, period = 'all'): Promise<GlobalStatistics> {
  const response = await fetch(`${url}/depannage/api/statistics/global_statistics/?period=${period}`, { headers: { Authorization: `Bearer ${token}` } });
  const body = (await response.json()) as GlobalStatistics;
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body;
}

async function slotsNamed(slot: string): Promise<Array<{ active: boolean }>> {
  const { rows } = await db.pool.query<{ active: boolean }>('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [slot]);
  return rows;
}

async function insertRequest(): Promise<void> {
  await db.pool.query(
    `INSERT INTO depannage_repairrequest (title, specialty_needed, address, city, client_id, status, created_at)
     VALUES ('split', 'plumber', 'a', 'Bamako', (SELECT id FROM depannage_client ORDER BY id LIMIT 1), 'pending', now())`,
  );
}

/** Until the ingest holds every committed change and the API has heard of it through Redis. */
async function appliedAndHeard(): Promise<void> {
  await ingest!.ingest.catchUp(30_000);
  const target = parseLsn(ingest!.ingest.freshness().appliedLsn!);
  await waitFor('the API to hear of the batch', () => (heard.some((batch) => batch.lsn >= target && batch.tables.includes('depannage_repairrequest')) ? true : null));
}

beforeAll(async () => {
  db = await createTestDatabase();
  await seedDemoData(db.pool, { requests: 400, seed: 11 });
  redis = testRedis(await freePort());
  await redis.start();
  const clickhouseDir = mkdtempSync(join(tmpdir(), 'stat-roles-chdb-'));
  const stateDir = mkdtempSync(join(tmpdir(), 'stat-roles-state-'));
  dirs = [clickhouseDir, stateDir];
  const slot = uniqueName('slot');
  // Both roles reach "the server": one engine opened here and handed to each.
  config = loadConfig({
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    CLICKHOUSE_DATA_DIR: clickhouseDir,
    JWT_SECRET: TEST_JWT_SECRET,
    PORT: '0',
    HOST: '127.0.0.1',
    INGEST_SLOT: slot,
    INGEST_PUBLICATION: slot,
    INGEST_BATCH_DELAY_MS: '20',
    INGEST_STATUS_TTL_SECONDS: String(STATUS_TTL_SECONDS),
    // No periodic push: every push seen here is the subscribe's or a change's.
    REAL_TIME_REFRESH_SECONDS: '3600',
    STATE_SQLITE_PATH: join(stateDir, 'state.sqlite'),
    // Three runtimes share one embedded engine here, on a machine shared with other test runs.
    ENGINE_QUEUE_TIMEOUT_SECONDS: '60',
  });
  clickhouse = await openClickHouse({ url: undefined, dataDir: clickhouseDir, database: config.clickhouseDatabase });
  const { rows } = await db.pool.query<{ id: string }>("SELECT id FROM users_user WHERE user_type = 'admin' AND is_active ORDER BY id LIMIT 1");
  token = signAccessToken(Number(rows[0]!.id), TEST_JWT_SECRET, 600);
}, 120_000);

afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  await api?.close();
  await ingest?.close();
  await clickhouse?.close();
  await redis?.kill();
  await db?.drop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('SERVICE_ROLE=api and SERVICE_ROLE=ingest', () => {
  it('the api role starts without the ingest: no replication slot, not ready (ingest stale)', async () => {
    api = await startApiRuntime({ ...config, serviceRole: 'api' }, { clickhouse, logger: false });
    api.feed.onApplied((batch) => heard.push(batch));
    expect(api.feed.source).toBe('remote');
    expect(await slotsNamed(config.replicationSlot)).toEqual([]);
    const { rows } = await db.pool.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [config.publication]);
    expect(rows).toEqual([]);
    const ready = await readiness(api.url);
    expect(ready.code).toBe(503);
    expect(ready.body).toEqual({ status: 'not_ready', reasons: ['ingest_stale'] });
    // Liveness does not depend on the ingest.
    expect((await fetch(`${api.url}/health`)).status).toBe(200);
  });

  it('the ingest role takes the slot, streams, and the API becomes ready through its feed', async () => {
    ingest = await startIngestService({ ...config, serviceRole: 'ingest', security: { ...config.security, metricsToken: METRICS_TOKEN } }, { clickhouse });
    await ingest.ready;
    await api.ready;
    expect(await slotsNamed(config.replicationSlot)).toEqual([{ active: true }]);
    await waitFor('ingest readiness', async () => ((await readiness(ingest!.url)).code === 200 ? true : null));
    await waitFor('api readiness', async () => ((await readiness(api.url)).code === 200 ? true : null));
    expect(api.feed.freshness()).toMatchObject({ state: 'streaming', snapshotDone: true, appliedLsn: ingest.ingest.freshness().appliedLsn });
    const details = await fetch(`${api.url}/health/details`, { headers: { Authorization: `Bearer ${token}` } });
    expect(details.status).toBe(200);
    expect(((await details.json()) as { ingest: unknown }).ingest).toMatchObject({ source: 'remote', state: 'streaming', applied_lsn: ingest.ingest.freshness().appliedLsn });
    // The ingest service's own server answers health and nothing of the API.
    expect((await fetch(`${ingest.url}/health`)).status).toBe(200);
    expect((await fetch(`${ingest.url}/depannage/api/statistics/global_statistics/`)).status).toBe(404);
    expect((await fetch(`${ingest.url}/metrics`)).status).toBe(401);
    const metrics = await fetch(`${ingest.url}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toMatch(/^statistics_ingest_streaming 1$/m);
    expect(text).toMatch(/^statistics_ingest_feed_published 1$/m);
  });

  it('a row committed in Postgres invalidates the API cache and moves a live room', async () => {
    const cache = api.app.get(StatisticsCacheService);
    const first = await stats();
    const second = await stats();
    expect(second.calculation_info.cached).toBe(true);
    expect(second.requests.total).toBe(first.requests.total);

    const socket = await connected(statisticsSocket(api.url, token));
    sockets.push(socket);
    const initial = nextEvent(socket, 'stats:update', (update) => update.room === 'realtime', 10_000, 'initial realtime payload');
    expect(await subscribe(socket, 'realtime')).toEqual({ ok: true });
    const before = (await initial).data as RealTimeStats;
    const moved = nextEvent(
      socket,
      'stats:update',
      (update) => update.room === 'realtime' && (update.data as RealTimeStats).last_24h.new_requests === before.last_24h.new_requests + 1,
      15_000,
      'realtime room moved by the new request',
    );

    const missesBefore = cache.stats().misses;
    await insertRequest();
    await appliedAndHeard();
    const after = await stats();
    expect(after.calculation_info.cached).toBe(false);
    expect(after.requests.total).toBe(first.requests.total + 1);
    expect(cache.stats().misses).toBe(missesBefore + 1);
    expect((await stats()).calculation_info.cached).toBe(true);
    const update = await moved;
    expect(update.data_as_of).toBe(ingest!.ingest.freshness().dataAsOf);
  });

  it('API replicas started at different times share cache entries (keys from the versions the ingest published)', async () => {
    const second = await startApiRuntime({ ...config, serviceRole: 'api', stateSqlitePath: join(dirs[1]!, 'second.sqlite') }, { clickhouse, logger: false });
    try {
      await second.ready;
      const computed = await stats(api.url, '30d');
      expect(computed.calculation_info.cached).toBe(false);
      const shared = await stats(second.url, '30d');
      expect(shared.calculation_info.cached).toBe(true);
      expect(shared.calculation_info.generated_at).toBe(computed.calculation_info.generated_at);
      expect(shared.requests).toEqual(computed.requests);
      // A change seen by both moves both to the same new key: one computes, the other finds it.
      await insertRequest();
      await appliedAndHeard();
      const secondHeard = parseLsn(ingest!.ingest.freshness().appliedLsn!);
      await waitFor('the second API to hear of the batch', () => {
        const lsn = second.feed.freshness().appliedLsn;
        return lsn !== null && parseLsn(lsn) >= secondHeard ? true : null;
      });
      const recomputed = await stats(second.url, '30d');
      expect(recomputed.calculation_info.cached).toBe(false);
      expect(recomputed.requests.total).toBe(computed.requests.total + 1);
      const found = await stats(api.url, '30d');
      expect(found.calculation_info.cached).toBe(true);
      expect(found.calculation_info.generated_at).toBe(recomputed.calculation_info.generated_at);
    } finally {
      await second.close();
    }
  });

  it('a Redis outage loses no notification: what was applied meanwhile reaches the cache and the room once Redis returns', async () => {
    const socket = await connected(statisticsSocket(api.url, token));
    sockets.push(socket);
    const initial = nextEvent(socket, 'stats:update', (update) => update.room === 'realtime', 10_000, 'initial realtime payload');
    expect(await subscribe(socket, 'realtime')).toEqual({ ok: true });
    const before = (await initial).data as RealTimeStats;
    const total = (await stats()).requests.total;

    await redis.kill();
    await insertRequest();
    await ingest!.ingest.catchUp(30_000);
    // Listening before Redis returns: the push may come while redis.start() still waits for its ping.
    const moving = nextEvent(
      socket,
      'stats:update',
      (update) => update.room === 'realtime' && (update.data as RealTimeStats).last_24h.new_requests === before.last_24h.new_requests + 1,
      30_000,
      'realtime room moved by the change applied while Redis was away',
    );
    // Redis comes back empty (no persistence): the feed is rebuilt by the ingest's next heartbeat.
    await redis.start();
    const moved = await moving;
    expect(moved.room).toBe('realtime');
    await waitFor('the API cache back on Redis', async () => {
      const answer = await stats();
      return answer.requests.total === total + 1 && (await stats()).calculation_info.cached ? true : null;
    });
    await waitFor('api readiness after the outage', async () => ((await readiness(api.url)).code === 200 ? true : null));
  });

  it('a stopped ingest makes the API not ready: stopped at once, stale once its status outlives the TTL', async () => {
    const stopping = ingest!;
    ingest = null;
    await stopping.close();
    const stopped = await waitFor('ingest_stopped', async () => {
      const ready = await readiness(api.url);
      return ready.body.reasons?.includes('ingest_stopped') ? ready : null;
    });
    expect(stopped.code).toBe(503);
    const stoppedAt = Date.now();
    // The last status expires a TTL after the stop; the feed notices at its next poll (TTL / 5).
    await waitFor('the feed to say stale', () => (api.feed.freshness().state === 'stale' ? true : null));
    expect(Date.now() - stoppedAt).toBeLessThan(STATUS_TTL_SECONDS * 1000 + 1000);
    const stale = await readiness(api.url);
    expect(stale).toEqual({ code: 503, body: { status: 'not_ready', reasons: ['ingest_stale'] } });
    // The numbers are still served, exact as of the last change the ingest applied.
    expect((await stats()).calculation_info.data_as_of).not.toBeNull();
  });
});
