// The engine's admission queue through HTTP: a crowd of uncached dashboard requests gets answers or
// a quick 503 with Retry-After (never a hang), live screens go first, an abandoned request gives
// up its place, and what is answered is exact (the same as when the service is quiet).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdmittedClickHouse, EngineBusyError } from '../../libs/clickhouse/src/admission.js';
import { AlertsService } from '../../apps/api/src/alerts/alerts.service.js';
import { signAccessToken } from '../../libs/access-token/src/sign.js';
import { CLICKHOUSE } from '../../apps/api/src/tokens.js';
import { seedDemoData } from '../../apps/demo/src/seed.js';
import { createTestDatabase, type TestDatabase } from '../factories/databases.js';
import { startTestRuntime, TEST_JWT_SECRET, type TestRuntime } from '../factories/runtime.js';

let db: TestDatabase;
let runtime: TestRuntime;
let token: string;
const BASE = '/depannage/api/statistics';

beforeAll(async () => {
  db = await createTestDatabase();
  await seedDemoData(db.pool, { requests: 3000, seed: 9 });
  runtime = await startTestRuntime(db, { CACHE_ENABLED: 'false', ENGINE_MAX_QUEUED: '40', ENGINE_QUEUE_TIMEOUT_SECONDS: '3' });
  const { rows } = await db.pool.query<{ id: string }>("SELECT id FROM users_user WHERE user_type = 'admin' AND is_active ORDER BY id LIMIT 1");
  token = signAccessToken(Number(rows[0]!.id), TEST_JWT_SECRET, 600);
});

afterAll(async () => {
  await runtime?.destroy();
  await db?.drop();
});

async function get(path: string, signal?: AbortSignal): Promise<{ status: number; body: any; retryAfter: string | null; ms: number }> {
  const started = performance.now();
  const response = await fetch(runtime.url + path, { headers: { Authorization: `Bearer ${token}` }, ...(signal ? { signal } : {}) });
  const body = await response.json();
  return { status: response.status, body, retryAfter: response.headers.get('retry-after'), ms: performance.now() - started };
}

describe('admission control of the engine', () => {
  it('a crowd gets answers or a quick 503 with Retry-After; live screens go first; answers stay exact', async () => {
    const admission = (runtime.app.get(CLICKHOUSE) as AdmittedClickHouse).admission;
    const days = Array.from({ length: 60 }, (_, i) => `2026-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + Math.floor(i / 12)).padStart(2, '0')}`);
    const crowd = days.map((day) => get(`${BASE}/global_statistics/?from=${day}`));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const live = await get(`${BASE}/real_time_stats/`);
    const answers = await Promise.all(crowd);
    expect(live.status).toBe(200);
    const refused = answers.filter((answer) => answer.status === 503);
    const served = answers.filter((answer) => answer.status === 200);
    expect(refused.length + served.length).toBe(answers.length);
    expect(refused.length).toBeGreaterThan(0);
    expect(served.length).toBeGreaterThan(0);
    for (const answer of refused) {
      expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(answer.body).toMatchObject({ reason: expect.stringMatching(/^(queue_full|deadline)$/) });
    }
    // Nobody waits much longer than the queue timeout (3 s) plus one computation.
    expect(Math.max(...answers.map((answer) => answer.ms))).toBeLessThan(15_000);
    // The live request did not wait behind the crowd's queue.
    expect(live.ms).toBeLessThan(Math.max(...served.map((answer) => answer.ms)));
    const status = admission.status();
    expect(status.refused.queue_full + status.refused.deadline).toBeGreaterThan(0);
    // What was served is exact: the same figures once the service is quiet.
    const sample = days[answers.indexOf(served[0]!)]!;
    const quiet = await get(`${BASE}/global_statistics/?from=${sample}`);
    const { calculation_info: _a, ...servedFigures } = served[0]!.body;
    const { calculation_info: _b, ...quietFigures } = quiet.body;
    expect(servedFigures).toEqual(quietFigures);
  }, 60_000);

  it('an abandoned request gives up its place in the queue', async () => {
    const admission = (runtime.app.get(CLICKHOUSE) as AdmittedClickHouse).admission;
    const before = admission.status().refused.cancelled;
    const busy = Array.from({ length: 2 }, (_, i) => get(`${BASE}/global_statistics/?from=2025-0${i + 1}-15`).catch(() => null));
    const controllers = Array.from({ length: 4 }, () => new AbortController());
    const abandoned = controllers.map((controller, i) => get(`${BASE}/overview/?from=2025-1${i % 3}-20`, controller.signal).catch((error: Error) => error.name));
    await new Promise((resolve) => setTimeout(resolve, 30));
    for (const controller of controllers) controller.abort();
    expect(await Promise.all(abandoned)).toEqual(['AbortError', 'AbortError', 'AbortError', 'AbortError']);
    await Promise.all(busy);
    expect(admission.status().refused.cancelled).toBeGreaterThan(before);
  }, 60_000);

  it('alerts do not go blind under a crowd: a round refused for a full queue makes the next one go first', async () => {
    const admission = (runtime.app.get(CLICKHOUSE) as AdmittedClickHouse).admission;
    const alerts = runtime.app.get(AlertsService);
    const queued = (): number => Object.values(admission.status().queued).reduce((sum, n) => sum + n, 0);
    const crowd = Array.from({ length: 80 }, (_, i) => get(`${BASE}/global_statistics/?from=2024-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + Math.floor(i / 12)).padStart(2, '0')}`));
    const deadline = Date.now() + 5_000;
    while (queued() < 40) {
      if (Date.now() > deadline) throw new Error(`the crowd never filled the queue (${queued()} waiting)`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // Background work finds the queue full: refused at once.
    await expect(alerts.evaluate('threshold')).rejects.toBeInstanceOf(EngineBusyError);
    expect(queued(), 'still a full queue').toBeGreaterThanOrEqual(40);
    // The next round is not refused: it goes first, ahead of the crowd still waiting.
    const report = await alerts.evaluate('threshold');
    expect(report.evaluated).toBe(true);
    expect(report.failedRules).toBe(0);
    expect(alerts.refusedRoundsTotal).toBeGreaterThanOrEqual(1);
    await Promise.all(crowd);
    // Quiet again: rounds are background work once more, and succeed.
    expect((await alerts.evaluate('threshold')).evaluated).toBe(true);
  }, 60_000);
});
