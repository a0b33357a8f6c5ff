// Security and operations of the running service, over real HTTP: liveness that never waits on the
// engine, readiness without internals, details for administrators only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAccessToken } from '../../apps/api/src/auth/jwt.js';
import { seedDemoData } from '../../apps/demo/src/seed.js';
import { createTestDatabase, type TestDatabase } from '../factories/databases.js';
import { startTestRuntime, TEST_JWT_SECRET, type TestRuntime } from '../factories/runtime.js';

let db: TestDatabase;
let runtime: TestRuntime;
let adminToken: string;
let adminId: number;
let clientToken: string;

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

async function call(path: string, options: { method?: string; token?: string | null; headers?: Record<string, string>; body?: unknown } = {}): Promise<Answer> {
  const token = options.token === undefined ? adminToken : options.token;
  const headers: Record<string, string> = { ...(token === null ? {} : { Authorization: `Bearer ${token}` }), ...options.headers };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(runtime.url + path, {
    method: options.method ?? 'GET',
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  const json = (response.headers.get('content-type') ?? '').includes('json') && text ? JSON.parse(text) : text;
  return { status: response.status, body: json, headers: response.headers };
}

async function userId(where: string): Promise<number> {
  const { rows } = await db.pool.query<{ id: string }>(`SELECT id FROM users_user WHERE ${where} ORDER BY id LIMIT 1`);
  if (!rows[0]) throw new Error(`no user where ${where}`);
  return Number(rows[0].id);
}

beforeAll(async () => {
  db = await createTestDatabase();
  await seedDemoData(db.pool, { requests: 200, seed: 11 });
  adminId = await userId("user_type = 'admin' AND is_active");
  adminToken = signAccessToken(adminId, TEST_JWT_SECRET, 600);
  clientToken = signAccessToken(await userId("user_type = 'client' AND is_active AND NOT is_staff"), TEST_JWT_SECRET, 600);
  runtime = await startTestRuntime(db, { AUTH_FAILURE_LIMIT: '5', CORS_ORIGINS: 'https://dashboard.example.ml', METRICS_TOKEN: 'scraper-token-0123456789' });
});

afterAll(async () => {
  await runtime?.destroy();
  await db?.drop();
});

describe('health', () => {
  it('liveness is public, minimal, and answers while the engine is busy', async () => {
    expect(await call('/health', { token: null })).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(Object.keys((await call('/health', { token: null })).body)).toEqual(['status']);
    // The embedded engine runs one query at a time: hold it for 2.5 s.
    const busy = runtime.clickhouse.query('SELECT sleep(2.5) AS slept');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = performance.now();
    const [live, ready] = await Promise.all([
      call('/health', { token: null }).then((answer) => ({ ...answer, ms: performance.now() - started })),
      call('/health/ready', { token: null }).then((answer) => ({ ...answer, ms: performance.now() - started })),
    ]);
    expect(live.status).toBe(200);
    expect(live.ms).toBeLessThan(500);
    // Readiness waits 2 s at most, then says which dependency did not answer.
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ status: 'not_ready', reasons: ['clickhouse_unavailable'] });
    expect(ready.ms).toBeLessThan(2400);
    await busy;
  });

  it('readiness is public, 200 when ready, and shows no host, LSN or counter', async () => {
    const ready = await call('/health/ready', { token: null });
    expect(ready).toMatchObject({ status: 200, body: { status: 'ready' } });
    expect(Object.keys(ready.body)).toEqual(['status']);
  });

  it('details are for administrators only', async () => {
    expect((await call('/health/details', { token: null })).status).toBe(401);
    expect((await call('/health/details', { token: clientToken })).status).toBe(403);
    const details = await call('/health/details');
    expect(details.status).toBe(200);
    expect(details.body).toMatchObject({ status: 'ok', postgres: { ok: true }, clickhouse: { ok: true }, ingest: { state: 'streaming' } });
    expect(details.body.ingest.applied_lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
  });
});
