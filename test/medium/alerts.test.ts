// Alerts from real ingested data: eight weeks of requests with a weekly rhythm raise no anomaly; a
// spike in one city raises an anomaly for that city only; a threshold crossing raises exactly one
// alert, delivered on the socket and to the webhook (after a failed attempt), updated rather than
// duplicated while it lasts, acknowledged, resolved, and resolved by itself when the data goes.
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertsService } from '../../apps/api/src/alerts/alerts.service.js';
import { signAccessToken } from '../../libs/access-token/src/sign.js';
import { seedDemoData } from '../../apps/demo/src/seed.js';
import type { Alert, AlertRule } from '../../libs/metrics/src/alerts.js';
import { createTestDatabase, type TestDatabase } from '../factories/databases.js';
import { startTestRuntime, TEST_JWT_SECRET, type TestRuntime } from '../factories/runtime.js';
import { hourlyRequestsRule } from '../factories/alert-rules.js';
import { connected, statisticsSocket, subscribe, type StatisticsClient } from '../factories/sockets.js';

const API = '/depannage/api/statistics';
const WEBHOOK_SECRET = 'webhook-test-secret';

let db: TestDatabase;
let runtime: TestRuntime;
let alerts: AlertsService;
let adminId: number;
let token: string;
let socket: StatisticsClient;
const received: Alert[] = [];
let hook: Server;
const hookCalls: Array<{ body: string; signature: string | undefined; answered: number }> = [];

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(runtime.url + API + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function openAlerts(ruleId?: string): Promise<Alert[]> {
  const { status, body } = await api('GET', `/alerts/?status=open${ruleId ? `&rule=${ruleId}` : ''}&page_size=500`);
  expect(status).toBe(200);
  return body.results as Alert[];
}

async function until<T>(what: string, probe: () => T | undefined | null, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Eight weeks and a day of requests, every hour, in four cities and three specialties: busier on
 * weekday working hours, a little noise. The last hour is as ordinary as any other.
 */
async function insertSeasonalHistory(): Promise<number> {
  const { rowCount } = await db.pool.query(`
    INSERT INTO depannage_repairrequest (title, specialty_needed, address, city, client_id, status, created_at)
    SELECT 'history', (ARRAY['plumber', 'electrician', 'mechanic'])[1 + n % 3], 'a', c.city,
           (SELECT id FROM depannage_client ORDER BY id LIMIT 1), 'pending', h + n * interval '4 minutes'
    FROM generate_series(date_trunc('hour', now()) - interval '57 days', now(), interval '1 hour') AS h
    CROSS JOIN (VALUES ('Bamako', 3), ('Ségou', 1), ('Sikasso', 2), ('Mopti', 1)) AS c(city, weight)
    CROSS JOIN LATERAL generate_series(1,
      c.weight * CASE WHEN extract(isodow FROM h) < 6 AND extract(hour FROM h) BETWEEN 8 AND 19 THEN 4 ELSE 1 END
      + abs(hashtext(c.city || h::text)) % 3 - 1) AS n
    WHERE h + n * interval '4 minutes' < now()`);
  return rowCount ?? 0;
}

async function insertRequests(city: string, count: number, specialty = 'plumber'): Promise<void> {
  await db.pool.query(
    `INSERT INTO depannage_repairrequest (title, specialty_needed, address, city, client_id, status, created_at)
     SELECT 'live', $2, 'a', $1, (SELECT id FROM depannage_client ORDER BY id LIMIT 1), 'pending', now() - interval '2 minutes'
     FROM generate_series(1, $3)`,
    [city, specialty, count],
  );
}

beforeAll(async () => {
  hook = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      // The first delivery fails: the webhook must retry it.
      const answered = hookCalls.length === 0 ? 503 : 200;
      hookCalls.push({ body: Buffer.concat(chunks).toString('utf8'), signature: request.headers['x-depanneteliman-signature'] as string | undefined, answered });
      response.writeHead(answered).end();
    });
  });
  hook.listen(0, '127.0.0.1');
  await once(hook, 'listening');
  const hookPort = (hook.address() as { port: number }).port;

  db = await createTestDatabase();
  await seedDemoData(db.pool, { requests: 50, seed: 9 });
  // The seed's own requests are spread over months; they are part of the history like any other.
  expect(await insertSeasonalHistory()).toBeGreaterThan(10_000);
  runtime = await startTestRuntime(db, {
    REQUEST_THRESHOLD: '100000000',
    REVENUE_THRESHOLD: '100000000000',
    FAILURE_RATE_THRESHOLD: '100',
    ALERT_EVALUATION_SECONDS: '3600',
    ALERT_WEBHOOK_URL: `http://127.0.0.1:${hookPort}/hook`,
    ALERT_WEBHOOK_SECRET: WEBHOOK_SECRET,
  });
  alerts = runtime.app.get(AlertsService, { strict: false });
  const { rows } = await db.pool.query<{ id: string }>("SELECT id FROM users_user WHERE user_type = 'admin' AND is_active ORDER BY id LIMIT 1");
  adminId = Number(rows[0]!.id);
  token = signAccessToken(adminId, TEST_JWT_SECRET, 3600);
  socket = await connected(statisticsSocket(runtime.url, token));
  socket.on('alert', (alert) => received.push(alert));
  expect(await subscribe(socket, 'alerts')).toEqual({ ok: true });
});

afterAll(async () => {
  socket?.disconnect();
  await runtime?.destroy();
  await db?.drop();
  hook?.close();
});

describe('anomalies', () => {
  it('normal weekly seasonality raises none', async () => {
    const report = await alerts.evaluate('all');
    expect(report).toMatchObject({ evaluated: true, raised: 0, failedRules: 0 });
    expect(report.rules).toBeGreaterThanOrEqual(10);
    expect((await openAlerts()).filter((alert) => alert.kind === 'anomaly')).toEqual([]);
  });

  it('a spike in one city raises an anomaly for that city only, with the expected range', async () => {
    await insertRequests('Ségou', 40);
    await runtime.ingest.catchUp(30_000);
    const report = await alerts.evaluate('all');
    expect(report.raised).toBeGreaterThanOrEqual(1);
    const byCity = (await openAlerts('default-requests-anomaly-city'));
    expect(byCity.map((alert) => alert.scope.city)).toEqual(['Ségou']);
    const [anomaly] = byCity;
    expect(anomaly).toMatchObject({ kind: 'anomaly', metric: 'requests', status: 'open', window: '1h', threshold: null });
    expect(anomaly!.value).toBeGreaterThanOrEqual(40);
    expect(anomaly!.expected_high).not.toBeNull();
    expect(anomaly!.value).toBeGreaterThan(anomaly!.expected_high!);
    expect(anomaly!.expected_low!).toBeLessThanOrEqual(anomaly!.expected!);
    // In French, as the dashboard shows it.
    expect(anomaly!.message).toMatch(/^Demandes sur la dernière heure \[ville Ségou\] : \d+, attendu [\d,]+ à [\d,]+ \(médiane [\d,]+ de la même heure sur \d+ semaines\)$/);
    await until('the anomaly on the socket', () => received.find((alert) => alert.id === anomaly!.id));
    // Evaluating again does not duplicate it.
    await alerts.evaluate('all');
    expect((await openAlerts('default-requests-anomaly-city')).map((alert) => alert.id)).toEqual([anomaly!.id]);
  });
});

describe('threshold rules', () => {
  let rule: AlertRule;

  it('asks for rounds faster than they run join the one queued, instead of growing the queue', async () => {
    const before = alerts.evaluationRounds.threshold + alerts.evaluationRounds.all;
    const asked = Array.from({ length: 5 }, () => alerts.evaluate('threshold'));
    expect(new Set(asked).size).toBe(1);
    // A threshold request while a round of all rules waits is answered by it.
    const all = alerts.evaluate('all');
    expect(alerts.evaluate('threshold')).toBe(asked[0]);
    await Promise.all([...asked, all]);
    expect(alerts.evaluationRounds.threshold + alerts.evaluationRounds.all - before).toBe(2);
    // Once it has started, a new ask queues a new round.
    expect(alerts.evaluate('threshold')).not.toBe(asked[0]);
  });

  it('a crossing from ingested data raises exactly one alert, on the socket and the webhook', async () => {
    const created = await api('POST', '/alert-rules/', hourlyRequestsRule('Kita', 3, { name: 'Kita busy hour', severity: 'critical' }));
    expect(created.status).toBe(201);
    rule = created.body as AlertRule;
    await insertRequests('Kita', 3);
    await runtime.ingest.catchUp(30_000);
    await alerts.evaluate('threshold');
    expect(await openAlerts(rule.id)).toEqual([]);
    // The fourth request crosses "more than 3 in the last hour"; the batch itself triggers evaluation.
    await insertRequests('Kita', 1);
    const alert = await until('the threshold alert on the socket', () => received.find((a) => a.rule_id === rule.id));
    expect(alert).toMatchObject({ kind: 'threshold', metric: 'requests', status: 'open', value: 4, threshold: 3, comparison: 'gt', severity: 'critical' });
    expect(alert.scope).toEqual({ city: 'Kita', specialty: null });
    expect(alert.message).toBe('Demandes sur 1 h [ville Kita] : 4 > 3');
    // More requests: the same alert, updated.
    await insertRequests('Kita', 2);
    await runtime.ingest.catchUp(30_000);
    await alerts.evaluate('threshold');
    const open = await openAlerts(rule.id);
    expect(open).toHaveLength(1);
    expect(open[0]!.id).toBe(alert.id);
    expect(open[0]!.value).toBe(6);
    expect(Date.parse(open[0]!.last_seen)).toBeGreaterThan(Date.parse(open[0]!.first_seen));
    expect(received.filter((a) => a.rule_id === rule.id)).toHaveLength(1);
    // Webhook: the first attempt got a 503, the retry delivered it, signed.
    const delivered = await until('webhook delivery of the raise', () =>
      hookCalls.find((call) => call.answered === 200 && JSON.parse(call.body).alert.id === alert.id), 20_000);
    expect(JSON.parse(delivered.body).event).toBe('alert.raised');
    expect(delivered.signature).toBe(`sha256=${createHmac('sha256', WEBHOOK_SECRET).update(delivered.body).digest('hex')}`);
    expect(hookCalls[0]!.answered).toBe(503);
  });

  it('acknowledge, then resolve; a resolved alert does not come back within the cooldown', async () => {
    const [alert] = await openAlerts(rule.id);
    const acknowledged = await api('POST', `/alerts/${alert!.id}/acknowledge/`);
    expect(acknowledged.status).toBe(200);
    expect(acknowledged.body).toMatchObject({ id: alert!.id, status: 'acknowledged', acknowledged_by: adminId });
    await until('acknowledged on the socket', () => received.find((a) => a.id === alert!.id && a.status === 'acknowledged'));
    // Still the open alert of its key: no duplicate.
    await alerts.evaluate('threshold');
    const again = await api('GET', `/alerts/?rule=${rule.id}`);
    expect(again.body.count).toBe(1);
    const resolved = await api('POST', `/alerts/${alert!.id}/resolve/`);
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ status: 'resolved', resolved_by: adminId });
    expect(resolved.body.resolved_at).not.toBeNull();
    expect((await api('POST', `/alerts/${alert!.id}/resolve/`)).status).toBe(409);
    expect((await api('POST', `/alerts/${alert!.id}/acknowledge/`)).status).toBe(409);
    // The condition still holds, but the cooldown (1 h) has not passed.
    await alerts.evaluate('threshold');
    expect(await openAlerts(rule.id)).toEqual([]);
    const history = await api('GET', `/alerts/?rule=${rule.id}&status=resolved`);
    expect(history.body.results.map((a: Alert) => a.id)).toEqual([alert!.id]);
  });

  it('resolves by itself when the condition clears', async () => {
    const patched = await api('PATCH', `/alert-rules/${rule.id}/`, { cooldown_seconds: 0 });
    expect(patched.status).toBe(200);
    await alerts.evaluate('threshold');
    const [reopened] = await openAlerts(rule.id);
    expect(reopened).toBeDefined();
    await db.pool.query("DELETE FROM depannage_repairrequest WHERE city = 'Kita'");
    await runtime.ingest.catchUp(30_000);
    await alerts.evaluate('threshold');
    expect(await openAlerts(rule.id)).toEqual([]);
    const history = await api('GET', `/alerts/?rule=${rule.id}&status=resolved`);
    const auto = history.body.results.find((a: Alert) => a.id === reopened!.id);
    expect(auto).toMatchObject({ status: 'resolved', resolved_by: null, value: 0 });
  });
});

describe('alert endpoints', () => {
  it('404 for an unknown alert, 400 for bad history parameters, 401 without a token', async () => {
    expect((await api('POST', '/alerts/00000000-0000-0000-0000-000000000000/acknowledge/')).status).toBe(404);
    for (const query of ['status=closed', 'page=0', 'page_size=501', 'from=yesterday', 'from=2026-01-02&to=2026-01-01', 'colour=red', 'status=open&status=resolved']) {
      const { status, body } = await api('GET', `/alerts/?${query}`);
      expect(status, query).toBe(400);
      expect(body.detail, query).toBeTruthy();
    }
    const anonymous = await fetch(`${runtime.url}${API}/alerts/`);
    expect(anonymous.status).toBe(401);
  });

  it('history is newest first and paginated', async () => {
    const all = await api('GET', '/alerts/?page_size=500');
    expect(all.body.count).toBeGreaterThanOrEqual(3);
    const firstSeen = all.body.results.map((a: Alert) => Date.parse(a.first_seen));
    expect([...firstSeen].sort((a, b) => b - a)).toEqual(firstSeen);
    const page2 = await api('GET', '/alerts/?page=2&page_size=1');
    expect(page2.body).toMatchObject({ page: 2, page_size: 1, count: all.body.count });
    expect(page2.body.results[0].id).toBe(all.body.results[1].id);
  });
});
