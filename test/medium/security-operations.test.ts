// Security and operations of the running service, over real HTTP: liveness that never waits on the
// engine, readiness without internals, details for administrators only; CORS and security headers;
// refused credentials limited per address; the audit log of administrators' actions.
import { request as httpRequest } from 'node:http';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REALTIME_NAMESPACE } from '../../apps/api/src/realtime/protocol.js';
import { hourlyRequestsRule } from '../factories/alert-rules.js';
import { signAccessToken } from '../../libs/access-token/src/sign.js';
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

/** A GET from another loopback address (Linux routes all of 127/8 to lo): failures are counted per address. */
function getFrom(localAddress: string, path: string, token: string | null): Promise<{ status: number; headers: Record<string, unknown>; body: any }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(runtime.url + path, { localAddress, headers: token === null ? {} : { Authorization: `Bearer ${token}` } }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => resolve({ status: incoming.statusCode!, headers: incoming.headers, body: JSON.parse(Buffer.concat(chunks).toString() || 'null') }));
      incoming.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** A socket handshake from another loopback address: the server's refusal code, or 'connected'. */
function handshakeFrom(localAddress: string, token: string): Promise<string> {
  const socket = io(runtime.url + REALTIME_NAMESPACE, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token }, localAddress } as Parameters<typeof io>[1]);
  return new Promise((resolve) => {
    socket.once('connect', () => {
      socket.disconnect();
      resolve('connected');
    });
    socket.once('connect_error', (error: Error & { data?: { code: string } }) => {
      socket.disconnect();
      resolve(error.data?.code ?? error.message);
    });
  });
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

describe('CORS (CORS_ORIGINS=https://dashboard.example.ml)', () => {
  const preflight = (origin: string, method: string): Promise<Answer> =>
    call('/depannage/api/statistics/alert-rules/1', {
      method: 'OPTIONS',
      token: null,
      headers: { Origin: origin, 'Access-Control-Request-Method': method, 'Access-Control-Request-Headers': 'authorization,content-type' },
    });

  it('allows a listed origin to PATCH and DELETE with a Bearer token', async () => {
    for (const method of ['PATCH', 'DELETE', 'POST']) {
      const answer = await preflight('https://dashboard.example.ml', method);
      expect(answer.status).toBe(204);
      expect(answer.headers.get('access-control-allow-origin')).toBe('https://dashboard.example.ml');
      expect(answer.headers.get('access-control-allow-methods')?.replace(/\s/g, '')).toBe('GET,HEAD,POST,PATCH,DELETE,OPTIONS');
      expect(answer.headers.get('access-control-allow-headers')?.replace(/\s/g, '')).toBe('Authorization,Content-Type');
      expect(answer.headers.get('access-control-allow-credentials')).toBeNull();
    }
    const read = await call('/depannage/api/statistics/global_statistics/?period=7d', { headers: { Origin: 'https://dashboard.example.ml' } });
    expect(read.status).toBe(200);
    expect(read.headers.get('access-control-allow-origin')).toBe('https://dashboard.example.ml');
    expect(read.headers.get('access-control-expose-headers')?.replace(/\s/g, '')).toBe('Content-Disposition,Retry-After');
  });

  it('gives an origin not listed no CORS header, so the browser refuses', async () => {
    const answer = await preflight('https://evil.example.com', 'DELETE');
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    const read = await call('/health', { token: null, headers: { Origin: 'https://evil.example.com' } });
    expect(read.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('applies the same list to the Socket.IO handshake', async () => {
    const polling = (origin: string): Promise<Response> => fetch(`${runtime.url}/socket.io/?EIO=4&transport=polling`, { headers: { Origin: origin } });
    expect((await polling('https://dashboard.example.ml')).headers.get('access-control-allow-origin')).toBe('https://dashboard.example.ml');
    expect((await polling('https://evil.example.com')).headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('security headers', () => {
  it('sends helmet headers, without HSTS over plain http', async () => {
    const answer = await call('/health', { token: null });
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    expect(answer.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(answer.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(answer.headers.get('content-security-policy')).not.toContain('upgrade-insecure-requests');
    expect(answer.headers.get('strict-transport-security')).toBeNull();
  });

  it('keeps the Swagger UI loadable under its content security policy', async () => {
    const page = await fetch(`${runtime.url}/docs`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self' https: 'unsafe-inline'");
    const html = await page.text();
    // script-src 'self' forbids inline scripts: every script must be an external file that loads.
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThanOrEqual(3);
    for (const [, attributes, body] of scripts) {
      expect(body!.trim()).toBe('');
      const source = /src=["']([^"']+)["']/.exec(attributes!)![1]!;
      expect(source.startsWith('http')).toBe(false);
      const asset = await fetch(new URL(source, `${runtime.url}/docs`));
      expect(asset.status, source).toBe(200);
      expect(asset.headers.get('content-type')).toMatch(/javascript/);
    }
  });
});

describe('authentication failures (AUTH_FAILURE_LIMIT=5 per minute per address)', () => {
  const GLOBAL = '/depannage/api/statistics/global_statistics/?period=7d';

  it('answers 429 with Retry-After to an address after its 5th refused token in a minute, and still admits valid tokens from it', async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      expect((await getFrom('127.0.0.2', GLOBAL, attempt % 2 ? 'not-a-token' : signAccessToken(adminId, 'another-secret', 60))).status).toBe(401);
    }
    const limited = await getFrom('127.0.0.2', GLOBAL, 'not-a-token');
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ code: 'too_many_failures' });
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await getFrom('127.0.0.2', GLOBAL, null)).status).toBe(429);
    // Behind a proxy many users share one address: a valid token still passes, and is never counted.
    expect((await getFrom('127.0.0.2', GLOBAL, adminToken)).status).toBe(200);
    // Other addresses are not affected.
    for (let attempt = 0; attempt < 10; attempt++) expect((await getFrom('127.0.0.4', GLOBAL, adminToken)).status).toBe(200);
    expect((await getFrom('127.0.0.4', GLOBAL, 'not-a-token')).status).toBe(401);
    expect((await call(GLOBAL)).status).toBe(200);
  });

  it('counts refused socket handshakes too', async () => {
    for (let attempt = 0; attempt < 5; attempt++) expect(await handshakeFrom('127.0.0.3', 'not-a-token')).toBe('token_not_valid');
    expect(await handshakeFrom('127.0.0.3', 'not-a-token')).toBe('too_many_failures');
    expect(await handshakeFrom('127.0.0.3', adminToken)).toBe('connected');
  });
});

describe('audit log', () => {
  const BASE = '/depannage/api/statistics';
  const AUDIT = `${BASE}/audit-log/`;

  it("records administrators' actions with who, what, target, when and from where, newest first", async () => {
    const startedAt = new Date().toISOString();
    const rule = await call(`${BASE}/alert-rules/`, { method: 'POST', body: hourlyRequestsRule('Kayes', 50) });
    expect(rule.status).toBe(201);
    expect((await call(`${BASE}/alert-rules/${rule.body.id}`, { method: 'PATCH', body: { threshold: 60 } })).status).toBe(200);
    expect((await call(`${BASE}/alert-rules/${rule.body.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(`${BASE}/cache/`, { method: 'DELETE' })).status).toBe(200);
    const exported = await call(`${BASE}/exports/`, { method: 'POST', body: { type: 'json', sections: ['overview'] } });
    expect(exported.status).toBe(202);
    const exportId = exported.body.export_id as string;
    const deadline = Date.now() + 60_000;
    while (!['completed', 'failed'].includes((await call(`${BASE}/exports/${exportId}`)).body.status)) {
      if (Date.now() > deadline) throw new Error('export not done within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect((await call(`${BASE}/exports/${exportId}/download`)).status).toBe(200);
    expect((await call(`${BASE}/exports/${exportId}`, { method: 'DELETE' })).status).toBe(204);
    const schedule = await call(`${BASE}/report-schedules/`, {
      method: 'POST',
      body: { name: 'Audit', cron: '0 8 * * 1', type: 'csv', period: '7d', sections: ['overview'], webhook_url: 'http://127.0.0.1:9/hook' },
    });
    expect(schedule.status, JSON.stringify(schedule.body)).toBe(201);
    expect((await call(`${BASE}/report-schedules/${schedule.body.id}`, { method: 'PATCH', body: { enabled: false } })).status).toBe(200);
    expect((await call(`${BASE}/report-schedules/${schedule.body.id}/run`, { method: 'POST' })).status).toBe(202);
    expect((await call(`${BASE}/report-schedules/${schedule.body.id}`, { method: 'DELETE' })).status).toBe(204);

    const log = await call(`${AUDIT}?from=${startedAt}`);
    expect(log.status).toBe(200);
    expect(log.body).toMatchObject({ count: 11, page: 1, page_size: 50 });
    const actions = log.body.results.map((entry: { action: string }) => entry.action);
    expect(actions).toEqual([
      'report_schedule.deleted',
      'report_schedule.run',
      'report_schedule.updated',
      'report_schedule.created',
      'export.deleted',
      'export.downloaded',
      'export.created',
      'cache.purged',
      'alert_rule.deleted',
      'alert_rule.updated',
      'alert_rule.created',
    ]);
    for (const entry of log.body.results) {
      expect(entry).toMatchObject({ user_id: adminId, ip: '127.0.0.1' });
      expect(Date.parse(entry.at)).toBeGreaterThanOrEqual(Date.parse(startedAt));
    }
    const byAction = (action: string) => log.body.results.find((entry: { action: string }) => entry.action === action);
    expect(byAction('alert_rule.created')).toMatchObject({ target_id: rule.body.id, detail: { kind: 'threshold', metric: 'requests' } });
    expect(byAction('alert_rule.updated')).toMatchObject({ target_id: rule.body.id, detail: { fields: ['threshold'] } });
    expect(byAction('cache.purged')).toMatchObject({ target_id: null, detail: { purged: expect.any(Number) } });
    expect(byAction('export.created')).toMatchObject({ target_id: exportId, detail: { type: 'json' } });
    expect(byAction('export.downloaded')).toMatchObject({ target_id: exportId, detail: { via: 'bearer' } });
    expect(byAction('report_schedule.run')).toMatchObject({ target_id: schedule.body.id, detail: { run_id: expect.any(String) } });

    // Filters and pagination.
    const created = await call(`${AUDIT}?action=alert_rule.created&from=${startedAt}`);
    expect(created.body).toMatchObject({ count: 1, results: [{ target_id: rule.body.id }] });
    expect((await call(`${AUDIT}?user=${adminId}&from=${startedAt}&page_size=5&page=3`)).body).toMatchObject({ count: 11, page: 3, page_size: 5, results: [{ action: 'alert_rule.created' }] });
    expect((await call(`${AUDIT}?user=987654321`)).body).toMatchObject({ count: 0, results: [] });
    expect((await call(`${AUDIT}?to=${startedAt}&from=2000-01-01`)).body.count).toBe(0);
  });

  it('records acknowledged and resolved alerts', async () => {
    const rule = await call(`${BASE}/alert-rules/`, { method: 'POST', body: hourlyRequestsRule('Tombouctou', 0) });
    expect(rule.status).toBe(201);
    const startedAt = new Date().toISOString();
    await db.pool.query(
      `INSERT INTO depannage_repairrequest (title, specialty_needed, address, city, client_id, status, created_at)
       VALUES ('audit', 'plumber', 'a', 'Tombouctou', (SELECT id FROM depannage_client ORDER BY id LIMIT 1), 'pending', now() - interval '2 minutes')`,
    );
    // Threshold rules are evaluated after each ingest batch.
    const deadline = Date.now() + 30_000;
    let alertId: string | undefined;
    while (!(alertId = (await call(`${BASE}/alerts/?rule=${rule.body.id}`)).body.results[0]?.id)) {
      if (Date.now() > deadline) throw new Error('no alert raised within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect((await call(`${BASE}/alerts/${alertId}/acknowledge/`, { method: 'POST' })).status).toBe(200);
    expect((await call(`${BASE}/alerts/${alertId}/resolve/`, { method: 'POST' })).status).toBe(200);
    const log = await call(`${AUDIT}?from=${startedAt}`);
    expect(log.body.results).toMatchObject([
      { action: 'alert.resolved', target_id: alertId, user_id: adminId, detail: { rule_id: rule.body.id } },
      { action: 'alert.acknowledged', target_id: alertId, user_id: adminId, detail: { rule_id: rule.body.id } },
    ]);
  });

  it('is for administrators only, and refuses bad parameters with a 400 naming them', async () => {
    expect((await call(AUDIT, { token: null })).status).toBe(401);
    expect((await call(AUDIT, { token: clientToken })).status).toBe(403);
    for (const [query, parameter] of [
      ['action=alert_rule.renamed', 'action'],
      ['user=abc', 'user'],
      ['user=0', 'user'],
      ['from=yesterday', 'from'],
      ['from=2026-02-01&to=2026-01-01', 'to'],
      ['page=0', 'page'],
      ['page_size=501', 'page_size'],
      ['ip=127.0.0.1', 'ip'],
    ]) {
      const answer = await call(`${AUDIT}?${query}`);
      expect(answer.status, query).toBe(400);
      expect(JSON.stringify(answer.body), query).toContain(parameter!);
    }
    // Read-only: no way to write or erase the trail over HTTP.
    expect((await call(AUDIT, { method: 'DELETE' })).status).toBe(405);
  });
});

describe('Prometheus /metrics', () => {
  const SCRAPER = 'scraper-token-0123456789';
  // Go's ParseFloat (Prometheus) reads NaN in any case; prom-client writes "Nan" before the loop is measured.
  const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|[Nn]a[Nn]|\+Inf|-Inf)$/;

  /** Every line parsed (a sample, # HELP or # TYPE): name{labels} → value. */
  async function scrape(token = SCRAPER): Promise<Map<string, number>> {
    const answer = await call('/metrics', { token });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const samples = new Map<string, number>();
    for (const line of (answer.body as string).split('\n')) {
      if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
      const match = SAMPLE.exec(line);
      expect(match, line).not.toBeNull();
      samples.set(`${match![1]}${match![2] ?? ''}`, Number(match![3]));
    }
    return samples;
  }

  const sum = (samples: Map<string, number>, pattern: RegExp): number =>
    [...samples].filter(([key]) => pattern.test(key)).reduce((total, [, value]) => total + value, 0);

  it('is for administrators and the METRICS_TOKEN scraper only', async () => {
    expect((await call('/metrics', { token: null })).status).toBe(401);
    expect((await call('/metrics', { token: clientToken })).status).toBe(403);
    expect((await call('/metrics', { token: 'scraper-token-0123456788' })).status).toBe(401);
    expect((await call('/metrics', { token: adminToken })).status).toBe(200);
  });

  it('parses, and its counters move with the requests served', async () => {
    const GLOBAL = '/depannage/api/statistics/global_statistics/?period=30d';
    const requests = /^statistics_http_request_duration_seconds_count\{method="GET",route="\/depannage\/api\/statistics\/global_statistics\/?",status="200"\}$/;
    const before = await scrape();
    for (let attempt = 0; attempt < 3; attempt++) expect((await call(GLOBAL)).status).toBe(200);
    const after = await scrape();
    expect(sum(after, requests) - sum(before, requests)).toBe(3);
    expect(sum(after, /^statistics_cache_(hits|misses)_total$/) - sum(before, /^statistics_cache_(hits|misses)_total$/)).toBe(3);
    // A histogram's buckets, its sum and count per route.
    expect([...after.keys()].some((key) => key.startsWith('statistics_http_request_duration_seconds_bucket{') && key.includes('le="0.005"'))).toBe(true);
    for (const name of [
      'statistics_ingest_lag_bytes',
      'statistics_ingest_lag_seconds',
      'statistics_ingest_streaming',
      'statistics_realtime_sockets',
      'statistics_realtime_rooms',
      'statistics_auth_refused_requests_total',
      'statistics_http_waiting_requests',
      'statistics_http_deferred_requests_total',
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_p99_seconds',
    ]) {
      expect(after.has(name), name).toBe(true);
    }
    expect(after.get('statistics_ingest_streaming')).toBe(1);
    expect(after.get('statistics_ingest_lag_bytes')).toBeGreaterThanOrEqual(0);
    expect(after.has('statistics_alert_rounds_total{which="all"}')).toBe(true);
    expect(after.has('statistics_export_jobs{status="completed"}')).toBe(true);
    // The 429s of the authentication-failure tests above (two over HTTP, one handshake) were counted.
    expect(after.get('statistics_auth_refused_requests_total')).toBeGreaterThanOrEqual(3);
    expect([...after.keys()].some((key) => key.startsWith('statistics_engine_queue_depth{'))).toBe(true);
  });
});
