// Bad input on every HTTP endpoint and on the /statistics socket namespace, from one table: each
// case must get its 4xx with a message (JSON `detail`/`error`; the ClickHouse-protocol text of the
// SQL gateway), within a few seconds, never a 500, and must change nothing (rules, schedules,
// exports, alerts, dashboards and the audit log are counted before and after). One runtime for the whole file,
// with the per-address limit on refused credentials raised: the table sends hundreds of 401s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAccessToken } from '../../libs/access-token/src/sign.js';
import { createTestDatabase, type TestDatabase } from '../factories/databases.js';
import { startTestRuntime, TEST_JWT_SECRET, type TestRuntime } from '../factories/runtime.js';
import { connected, statisticsSocket, subscribe, type StatisticsClient } from '../factories/sockets.js';

const API = '/depannage/api/statistics';
const RULES = `${API}/alert-rules`;
const SCHEDULES = `${API}/report-schedules`;
const EXPORTS = `${API}/exports`;
const DASHBOARDS = `${API}/dashboards`;
const UNKNOWN_DASHBOARD = `${DASHBOARDS}/00000000-0000-4000-8000-000000000000`;
const LEGACY = ['/depannage/api/repair-requests/project_statistics', '/depannage/api/export_statistics_excel', '/depannage/api/export_statistics_pdf'];
const SECTION_PATHS = ['global_statistics', 'kpis', 'overview', 'requests', 'financial', 'geography', 'trends'].map((name) => `${API}/${name}`);
/** A per-call deadline: a bad input is refused at once, it never waits on anything. */
const CALL_MS = 5_000;

type TokenKind = 'admin' | 'client' | 'none' | 'garbled' | 'expired' | 'foreign' | 'not-bearer';

interface Case {
  what: string;
  method: string;
  path: string;
  /** A value sent as JSON, or `raw` text sent as is with `contentType`. */
  json?: unknown;
  raw?: string;
  contentType?: string;
  token?: TokenKind;
  /** The acceptable statuses. */
  expect: number[];
  /** How the refusal is written: JSON with detail/error (default), ClickHouse's text, or none (Node's own 431). */
  body?: 'json' | 'clickhouse' | 'none';
}

const VALID_RULE = {
  name: 'bad-input rule',
  kind: 'threshold',
  metric: 'requests',
  comparison: 'gte',
  threshold: 25,
  window: '7d',
  severity: 'warning',
  cooldown_seconds: 600,
  scope: { city: null, specialty: null },
  enabled: true,
};
const VALID_SCHEDULE = { name: 'bad-input schedule', cron: '0 7 * * 1', type: 'csv', period: '7d', recipients: ['ops@example.ml'] };
const VALID_EXPORT = { type: 'csv', period: '7d' };
const VALID_DASHBOARD = {
  name: 'bad-input dashboard',
  refresh_seconds: 60,
  widgets: [{ type: 'metric', title: 'Demandes', source: { endpoint: 'requests', key: 'total' }, filters: { period: '7d' }, position: { x: 0, y: 0, w: 3, h: 2 } }],
};
const NOT_AN_ID = ['..%2F..%2Fetc%2Fpasswd', '__proto__', 'x'.repeat(2_000), '%00', "1'%20OR%20'1'='1", '%E2%80%AE'];
/** Fastify refuses a path segment over 100 characters itself (414 URI Too Long, a JSON body with `error`). */
const ID_REFUSALS = [400, 404, 414];
const HUGE_JSON = JSON.stringify({ ...VALID_RULE, name: 'x'.repeat(2 * 1024 * 1024) });

function cases(): Case[] {
  const table: Case[] = [];
  const add = (c: Case): void => void table.push(c);

  // Authentication, on every endpoint that needs it (the gateway answers in ClickHouse's protocol).
  const authenticated: Array<[string, string, Case['body']?]> = [
    ['GET', `${API}/global_statistics`],
    ['GET', `${API}/real_time_stats`],
    ['GET', `${API}/kpis`],
    ['GET', `${API}/financial`],
    ['DELETE', `${API}/cache`],
    ['GET', RULES],
    ['POST', RULES],
    ['GET', `${RULES}/default-requests-threshold`],
    ['PATCH', `${RULES}/default-requests-threshold`],
    ['DELETE', `${RULES}/default-requests-threshold`],
    ['GET', `${API}/alerts`],
    ['POST', `${API}/alerts/1/acknowledge`],
    ['POST', `${API}/alerts/1/resolve`],
    ['GET', `${API}/audit-log`],
    ['GET', `${API}/export_statistics?type=csv`],
    ['GET', EXPORTS],
    ['POST', EXPORTS],
    ['GET', `${EXPORTS}/00000000-0000-4000-8000-000000000000`],
    ['DELETE', `${EXPORTS}/00000000-0000-4000-8000-000000000000`],
    ['GET', `${EXPORTS}/00000000-0000-4000-8000-000000000000/download`],
    ['GET', SCHEDULES],
    ['POST', SCHEDULES],
    ['GET', `${SCHEDULES}/00000000-0000-4000-8000-000000000000`],
    ['PATCH', `${SCHEDULES}/00000000-0000-4000-8000-000000000000`],
    ['DELETE', `${SCHEDULES}/00000000-0000-4000-8000-000000000000`],
    ['GET', `${SCHEDULES}/00000000-0000-4000-8000-000000000000/runs`],
    ['POST', `${SCHEDULES}/00000000-0000-4000-8000-000000000000/run`],
    ['GET', DASHBOARDS],
    ['POST', DASHBOARDS],
    ['GET', `${DASHBOARDS}/sources`],
    ['GET', UNKNOWN_DASHBOARD],
    ['PATCH', UNKNOWN_DASHBOARD],
    ['DELETE', UNKNOWN_DASHBOARD],
    ['GET', `${UNKNOWN_DASHBOARD}/data`],
    ['POST', `${UNKNOWN_DASHBOARD}/export?type=pdf`],
    ...LEGACY.map((path) => ['GET', path] as [string, string]),
    ['GET', '/metrics'],
    ['GET', '/health/details'],
    ['GET', '/clickhouse?query=SELECT%201', 'clickhouse'],
    ['POST', '/clickhouse', 'clickhouse'],
  ];
  const refusals: Array<[TokenKind, number[]]> = [
    ['none', [401]],
    ['garbled', [401]],
    ['expired', [401]],
    ['foreign', [401]],
    ['not-bearer', [401]],
    ['client', [403]],
  ];
  for (const [method, path, body] of authenticated) {
    for (const [token, statuses] of refusals) {
      const json = method === 'POST' || method === 'PATCH' ? (path === '/clickhouse' ? undefined : {}) : undefined;
      add({ what: `${token} token`, method, path, token, expect: statuses, ...(json === undefined ? {} : { json }), ...(body ? { body } : {}) });
    }
  }

  // Query parameters of the statistics endpoints.
  const badQueries: Array<[string, string]> = [
    ['an unknown parameter', 'colour=red'],
    ['a duplicate period', 'period=7d&period=30d'],
    ['a duplicate city', 'city=Bamako&city=Kayes'],
    ['an empty period', 'period='],
    ['an unknown period', 'period=1y'],
    ['period with from', 'period=7d&from=2026-01-01'],
    ['a malformed instant', 'from=2026-13-45T99:00:00Z'],
    ['an instant without zone', 'from=2026-01-01T10:00:00'],
    ['a timestamp in seconds', 'from=1767225600'],
    ['from after to', 'from=2026-02-01&to=2026-01-01'],
    ['a year out of range', 'from=0001-01-01'],
    ['an oversized city', `city=${'B'.repeat(10_000)}`],
    ['a city with a NUL', 'city=Bam%00ako'],
    ['a bracketed parameter', 'city[]=Bamako'],
    ['a nested parameter', 'city[name]=Bamako'],
    ['a __proto__ parameter', '__proto__=x'],
    ['a constructor parameter', 'constructor[prototype][x]=1'],
  ];
  for (const path of SECTION_PATHS) {
    for (const [what, query] of badQueries) add({ what, method: 'GET', path: `${path}?${query}`, expect: [400] });
  }
  add({ what: 'any parameter', method: 'GET', path: `${API}/real_time_stats?period=7d`, expect: [400] });
  add({ what: 'an unknown parameter', method: 'GET', path: `${API}/real_time_stats?x=1`, expect: [400] });
  add({ what: 'a URL of 20 kB (Node refuses the headers)', method: 'GET', path: `${API}/kpis?city=${'B'.repeat(20_000)}`, expect: [414, 431], body: 'none' });

  // Unknown paths, traversal and wrong methods.
  for (const path of [`${API}/__proto__`, `${API}/constructor`, `${API}/..%2F..%2Fetc%2Fpasswd`, `${API}/%2e%2e/%2e%2e/etc/passwd`, `${API}/unknown_section`, `${API}/global_statistics.json`]) {
    add({ what: 'an unknown endpoint', method: 'GET', path, expect: [400, 404] });
  }
  add({ what: 'a traversal above the API', method: 'GET', path: '/depannage/api/statistics/../../../etc/passwd', expect: [404] });
  add({ what: 'a traversal to the dashboard files', method: 'GET', path: '/dashboard/..%2F..%2Fpackage.json', expect: [400, 403, 404] });
  for (const [method, path] of [
    ['POST', `${API}/global_statistics`],
    ['PUT', `${API}/kpis`],
    ['PATCH', `${API}/real_time_stats`],
    ['DELETE', `${API}/financial`],
    ['PUT', `${RULES}/default-requests-threshold`],
    ['PATCH', RULES],
    ['DELETE', RULES],
    ['PUT', EXPORTS],
    ['PATCH', `${EXPORTS}/00000000-0000-4000-8000-000000000000`],
    ['POST', `${API}/audit-log`],
    ['DELETE', `${API}/alerts`],
    ['POST', LEGACY[0]!],
    ['DELETE', LEGACY[1]!],
    ['PUT', SCHEDULES],
    ['PUT', DASHBOARDS],
    ['DELETE', DASHBOARDS],
    ['PUT', UNKNOWN_DASHBOARD],
    ['POST', `${UNKNOWN_DASHBOARD}/data`],
  ] as const) {
    add({ what: 'a wrong method', method, path, json: {}, expect: [404, 405] });
  }

  // Ids that are not ids.
  for (const id of NOT_AN_ID) {
    add({ what: `rule id ${id.slice(0, 20)}`, method: 'GET', path: `${RULES}/${id}`, expect: ID_REFUSALS });
    add({ what: `rule id ${id.slice(0, 20)}`, method: 'PATCH', path: `${RULES}/${id}`, json: { enabled: false }, expect: ID_REFUSALS });
    add({ what: `rule id ${id.slice(0, 20)}`, method: 'DELETE', path: `${RULES}/${id}`, expect: ID_REFUSALS });
    add({ what: `export id ${id.slice(0, 20)}`, method: 'GET', path: `${EXPORTS}/${id}`, expect: ID_REFUSALS });
    add({ what: `export id ${id.slice(0, 20)}`, method: 'DELETE', path: `${EXPORTS}/${id}`, expect: ID_REFUSALS });
    add({ what: `export id ${id.slice(0, 20)}`, method: 'GET', path: `${EXPORTS}/${id}/download`, expect: ID_REFUSALS });
    add({ what: `schedule id ${id.slice(0, 20)}`, method: 'GET', path: `${SCHEDULES}/${id}`, expect: ID_REFUSALS });
    add({ what: `schedule id ${id.slice(0, 20)}`, method: 'PATCH', path: `${SCHEDULES}/${id}`, json: { enabled: false }, expect: ID_REFUSALS });
    add({ what: `schedule id ${id.slice(0, 20)}`, method: 'DELETE', path: `${SCHEDULES}/${id}`, expect: ID_REFUSALS });
    add({ what: `schedule id ${id.slice(0, 20)}`, method: 'GET', path: `${SCHEDULES}/${id}/runs`, expect: ID_REFUSALS });
    add({ what: `schedule id ${id.slice(0, 20)}`, method: 'POST', path: `${SCHEDULES}/${id}/run`, expect: ID_REFUSALS });
    add({ what: `alert id ${id.slice(0, 20)}`, method: 'POST', path: `${API}/alerts/${id}/acknowledge`, expect: ID_REFUSALS });
    add({ what: `alert id ${id.slice(0, 20)}`, method: 'POST', path: `${API}/alerts/${id}/resolve`, expect: ID_REFUSALS });
    add({ what: `dashboard id ${id.slice(0, 20)}`, method: 'GET', path: `${DASHBOARDS}/${id}`, expect: ID_REFUSALS });
    add({ what: `dashboard id ${id.slice(0, 20)}`, method: 'PATCH', path: `${DASHBOARDS}/${id}`, json: { name: 'x' }, expect: ID_REFUSALS });
    add({ what: `dashboard id ${id.slice(0, 20)}`, method: 'DELETE', path: `${DASHBOARDS}/${id}`, expect: ID_REFUSALS });
    add({ what: `dashboard id ${id.slice(0, 20)}`, method: 'GET', path: `${DASHBOARDS}/${id}/data`, expect: ID_REFUSALS });
    add({ what: `dashboard id ${id.slice(0, 20)}`, method: 'POST', path: `${DASHBOARDS}/${id}/export?type=pdf`, expect: ID_REFUSALS });
  }
  add({ what: 'a grant on an unknown export', method: 'GET', path: `${EXPORTS}/00000000-0000-4000-8000-000000000000/download?grant=abc`, token: 'none', expect: [403, 404] });
  add({ what: 'two grants', method: 'GET', path: `${EXPORTS}/00000000-0000-4000-8000-000000000000/download?grant=a&grant=b`, token: 'none', expect: [400, 403] });

  // Bodies of the write routes: wrong JSON types and shapes, unknown fields, non-JSON, huge.
  const writes: Array<[string, string, Record<string, unknown>]> = [
    ['POST', RULES, VALID_RULE],
    ['PATCH', `${RULES}/default-requests-threshold`, { enabled: false }],
    ['POST', EXPORTS, VALID_EXPORT],
    ['POST', SCHEDULES, VALID_SCHEDULE],
    ['POST', DASHBOARDS, VALID_DASHBOARD],
  ];
  for (const [method, path, valid] of writes) {
    for (const [what, json] of [
      ['a null body', null],
      ['an array body', [valid]],
      ['a string body', 'hello'],
      ['a number body', 42],
      ['a boolean body', true],
      ['an empty object', method === 'PATCH' ? undefined : {}],
      ['an unknown field', { ...valid, colour: 'red' }],
      ['a __proto__ field', JSON.parse(`{"__proto__": {"admin": true}, ${JSON.stringify(valid).slice(1, -1)}}`)],
      ['a constructor field', { ...valid, constructor: { prototype: { x: 1 } } }],
      ['every field a number', Object.fromEntries(Object.keys(valid).map((key) => [key, 1]))],
      ['every field an object', Object.fromEntries(Object.keys(valid).map((key) => [key, { a: 1 }]))],
      ['every field null', Object.fromEntries(Object.keys(valid).map((key) => [key, null]))],
      ['deep nesting', { ...valid, scope: JSON.parse('{"a":'.repeat(500) + '1' + '}'.repeat(500)) }],
    ] as Array<[string, unknown]>) {
      if (json === undefined) continue;
      add({ what, method, path, json, expect: [400] });
    }
    add({ what: 'a non-JSON body sent as JSON', method, path, raw: '{"name": ', contentType: 'application/json', expect: [400] });
    add({ what: 'an empty body sent as JSON', method, path, raw: '', contentType: 'application/json', expect: [400] });
    add({ what: 'a form body', method, path, raw: 'name=x&kind=threshold', contentType: 'application/x-www-form-urlencoded', expect: [415] });
    add({ what: 'a text body', method, path, raw: 'hello', contentType: 'text/plain', expect: [415] });
    add({ what: 'an XML body', method, path, raw: '<rule/>', contentType: 'application/xml', expect: [415] });
    // The JSON parser drops a BOM: on a PATCH, '{}' would be a valid empty change.
    if (method === 'POST') add({ what: 'JSON with a BOM', method, path, raw: '\uFEFF{}', contentType: 'application/json', expect: [400] });
    add({ what: 'a body of 2 MiB', method, path, raw: HUGE_JSON, contentType: 'application/json', expect: [413] });
  }
  // Export parameters in the guide's GET form.
  for (const query of ['', 'type=docx', 'type=csv&type=pdf', 'type=csv&sections=nope', 'type=csv&period=1y', 'type=csv&from=yesterday', 'type=csv&colour=red', `type=csv&city=${'x'.repeat(10_000)}`]) {
    add({ what: `export_statistics?${query.slice(0, 40)}`, method: 'GET', path: `${API}/export_statistics?${query}`, expect: [400] });
  }
  // Paginated lists.
  for (const path of [RULES, EXPORTS, SCHEDULES, `${API}/alerts`, `${API}/audit-log`]) {
    for (const query of ['page=0', 'page=-1', 'page=abc', 'page_size=100000', 'page=1&page=2', 'page=1e3', `page=${'9'.repeat(400)}`]) {
      // The rule list is not paginated: it may ignore or refuse page parameters, never fail.
      add({ what: `list ${query.slice(0, 30)}`, method: 'GET', path: `${path}?${query}`, expect: path === RULES ? [200, 400] : [400] });
    }
  }
  for (const query of ['status=maybe', 'from=2026-99-01', 'to=not-a-date', 'rule=' + 'r'.repeat(5_000), 'status=open&status=resolved']) {
    add({ what: `alerts ${query.slice(0, 30)}`, method: 'GET', path: `${API}/alerts?${query}`, expect: [400] });
  }
  for (const query of ['action=nope', 'user=abc', 'user=-1', 'from=yesterday']) {
    add({ what: `audit ${query}`, method: 'GET', path: `${API}/audit-log?${query}`, expect: [400] });
  }
  // Dashboards: list parameters, widget bodies the statistics would not answer, export types.
  for (const query of ['owner=abc', 'owner=0', 'owner=1&owner=2', `owner=${'9'.repeat(40)}`, 'colour=red']) {
    add({ what: `dashboards ${query.slice(0, 30)}`, method: 'GET', path: `${DASHBOARDS}?${query}`, expect: [400] });
  }
  add({ what: 'sources with a parameter', method: 'GET', path: `${DASHBOARDS}/sources?x=1`, expect: [400] });
  const badWidget = (change: Record<string, unknown>): unknown => ({ ...VALID_DASHBOARD, widgets: [{ ...VALID_DASHBOARD.widgets[0], ...change }] });
  for (const [what, json] of [
    ['a widget type', badWidget({ type: 'gauge' })],
    ['a widget endpoint', badWidget({ source: { endpoint: '__proto__', key: 'total' } })],
    ['a widget key', badWidget({ source: { endpoint: 'requests', key: '__proto__.polluted' } })],
    ['a widget key constructor', badWidget({ source: { endpoint: 'requests', key: 'constructor' } })],
    ['a widget key of 10 kB', badWidget({ source: { endpoint: 'requests', key: 'a.'.repeat(5_000) } })],
    ['widget filters', badWidget({ filters: { period: '1y' } })],
    ['a widget city with a NUL', badWidget({ filters: { city: 'Bam\u0000ako' } })],
    ['a widget off the grid', badWidget({ position: { x: 11, y: 0, w: 2, h: 1 } })],
    ['a widget refresh of 0 s', badWidget({ refresh_seconds: 0 })],
    ['100 widgets (60 at most)', { ...VALID_DASHBOARD, widgets: Array.from({ length: 100 }, () => VALID_DASHBOARD.widgets[0]) }],
    ['overlapping widgets', { ...VALID_DASHBOARD, widgets: [VALID_DASHBOARD.widgets[0], VALID_DASHBOARD.widgets[0]] }],
  ] as Array<[string, unknown]>) {
    add({ what, method: 'POST', path: DASHBOARDS, json, expect: [400] });
  }
  for (const query of ['', 'type=json', 'type=docx', 'type=pdf&type=csv', 'type=pdf&colour=red']) {
    add({ what: `dashboard export ?${query}`, method: 'POST', path: `${UNKNOWN_DASHBOARD}/export?${query}`, expect: [400, 404] });
  }
  add({ what: 'dashboard data with a parameter', method: 'GET', path: `${UNKNOWN_DASHBOARD}/data?period=7d`, expect: [400, 404] });
  add({ what: 'cache purge with a parameter', method: 'DELETE', path: `${API}/cache?colour=red`, expect: [400] });
  // The SQL gateway: refusals in ClickHouse's own protocol.
  // (query=A&query=B runs B, as ClickHouse's own HTTP interface does: not a refusal.)
  for (const query of ['', 'query=', 'query=DROP%20TABLE%20x', 'query=INSERT%20INTO%20x%20VALUES%20(1)', 'query=SELECT%201&readonly=0']) {
    add({ what: `gateway ${query}`, method: 'GET', path: `/clickhouse?${query}`, expect: [400, 403], body: 'clickhouse' });
  }
  add({ what: 'gateway huge body', method: 'POST', path: '/clickhouse', raw: 'SELECT ' + '1,'.repeat(1024 * 1024) + '1', contentType: 'text/plain', expect: [400, 413], body: 'clickhouse' });
  return table;
}

let db: TestDatabase;
let runtime: TestRuntime;
const tokens = {} as Record<TokenKind, string | null>;

async function insertUser(username: string, userType: string): Promise<number> {
  const { rows } = await db.pool.query<{ id: string }>(
    'INSERT INTO users_user (username, email, user_type) VALUES ($1, $2, $3) RETURNING id',
    [username, `${username}@example.ml`, userType],
  );
  return Number(rows[0]!.id);
}

interface Answer {
  status: number;
  text: string;
  ms: number;
}

async function send(c: Case): Promise<Answer> {
  const headers: Record<string, string> = {};
  const token = tokens[c.token ?? 'admin'];
  if (token !== null) headers.Authorization = c.token === 'not-bearer' ? `Basic ${token}` : `Bearer ${token}`;
  let body: string | undefined;
  if (c.raw !== undefined) {
    body = c.raw;
    if (c.contentType) headers['Content-Type'] = c.contentType;
  } else if (c.json !== undefined) {
    body = JSON.stringify(c.json);
    headers['Content-Type'] = 'application/json';
  }
  const started = performance.now();
  const response = await fetch(runtime.url + c.path, { method: c.method, headers, body, signal: AbortSignal.timeout(CALL_MS) });
  const text = await response.text();
  return { status: response.status, text, ms: performance.now() - started };
}

async function adminGet(path: string): Promise<any> {
  const response = await fetch(runtime.url + path, { headers: { Authorization: `Bearer ${tokens.admin}` } });
  expect(response.status, path).toBe(200);
  return response.json();
}

/** What a bad input must not change. */
async function counts(): Promise<Record<string, unknown>> {
  const rules = await adminGet(RULES);
  return {
    rules: rules.results.map((rule: { id: string; updated_at: string; enabled: boolean }) => `${rule.id}@${rule.updated_at}:${rule.enabled}`),
    schedules: (await adminGet(SCHEDULES)).count,
    exports: (await adminGet(EXPORTS)).count,
    alerts: (await adminGet(`${API}/alerts`)).count,
    audit: (await adminGet(`${API}/audit-log`)).count,
    // The first list gives the default dashboard: called once before the table, so both snapshots have it.
    dashboards: (await adminGet(DASHBOARDS)).results.map((dashboard: { id: string; updated_at: string }) => `${dashboard.id}@${dashboard.updated_at}`),
  };
}

beforeAll(async () => {
  db = await createTestDatabase();
  const admin = await insertUser('bad_input_admin', 'admin');
  const client = await insertUser('bad_input_client', 'client');
  tokens.admin = signAccessToken(admin, TEST_JWT_SECRET, 3600);
  tokens.client = signAccessToken(client, TEST_JWT_SECRET, 3600);
  tokens.none = null;
  tokens.garbled = 'eyJhbGciOiJIUzI1NiJ9.garbled.signature';
  tokens.expired = signAccessToken(admin, TEST_JWT_SECRET, -60);
  tokens.foreign = signAccessToken(admin, 'another-secret', 3600);
  tokens['not-bearer'] = Buffer.from('admin:admin').toString('base64');
  runtime = await startTestRuntime(db, { AUTH_FAILURE_LIMIT: '100000', ANALYST_RATE_LIMIT: '100000' });
}, 120_000);

afterAll(async () => {
  await runtime?.destroy();
  await db?.drop();
});

describe('bad input over HTTP', () => {
  it('every case is a 4xx with a message, quickly, and changes nothing', async () => {
    const before = await counts();
    const failures: string[] = [];
    const table = cases();
    for (const c of table) {
      const label = `${c.method} ${c.path.slice(0, 100)} (${c.what})`;
      let answer: Answer;
      try {
        answer = await send(c);
      } catch (error) {
        failures.push(`${label}: no answer (${(error as Error).message})`);
        continue;
      }
      if (!c.expect.includes(answer.status)) failures.push(`${label}: ${answer.status} instead of ${c.expect.join('/')}: ${answer.text.slice(0, 200)}`);
      if (answer.ms > CALL_MS - 1_000) failures.push(`${label}: took ${Math.round(answer.ms)} ms`);
      if (answer.status < 400) continue;
      const kind = c.body ?? 'json';
      if (kind === 'json') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(answer.text);
        } catch {
          failures.push(`${label}: ${answer.status} body is not JSON: ${answer.text.slice(0, 200)}`);
          continue;
        }
        const message = (parsed as { detail?: unknown; error?: unknown } | null)?.detail ?? (parsed as { error?: unknown } | null)?.error;
        if (typeof message !== 'string' || message.length === 0) failures.push(`${label}: ${answer.status} body carries no detail/error: ${answer.text.slice(0, 200)}`);
      } else if (kind === 'clickhouse') {
        if (!/^Code: \d+\. DB::Exception: /.test(answer.text)) failures.push(`${label}: not a ClickHouse error: ${answer.text.slice(0, 200)}`);
      }
    }
    expect(failures, `${failures.length} of ${table.length} cases`).toEqual([]);
    expect(await counts()).toEqual(before);
    // Still serving after all that.
    expect((await fetch(`${runtime.url}${API}/kpis`, { headers: { Authorization: `Bearer ${tokens.admin}` } })).status).toBe(200);
  }, 300_000);
});

describe('bad input on the /statistics socket namespace', () => {
  const opened: StatisticsClient[] = [];
  afterAll(() => {
    for (const socket of opened) socket.disconnect();
  });

  it.each([
    ['no token', null, 'not_authenticated'],
    ['a garbled token', 'garbled', 'token_not_valid'],
    ['an expired token', 'expired', 'token_not_valid'],
    ['a token signed with another secret', 'foreign', 'token_not_valid'],
    ['a client', 'client', 'permission_denied'],
  ] as const)('refuses the connection with %s', async (_what, kind, code) => {
    const socket = statisticsSocket(runtime.url, kind === null ? null : tokens[kind]);
    opened.push(socket);
    socket.io.opts.reconnection = false;
    const refusal = await connected(socket).then(
      () => null,
      (error: Error & { data?: { code: string; detail: string } }) => error.data,
    );
    expect(refusal).toMatchObject({ code });
    expect(typeof refusal?.detail).toBe('string');
  });

  it('refuses payloads that are not room requests, unknown rooms and unknown events, and keeps the connection', async () => {
    const socket = await connected(statisticsSocket(runtime.url, tokens.admin));
    opened.push(socket);
    const raw = socket as unknown as { timeout(ms: number): { emitWithAck(event: string, ...args: unknown[]): Promise<unknown> }; emit(event: string, ...args: unknown[]): void };
    const payloads: unknown[] = [null, 'realtime', 42, true, [], ['realtime'], {}, { room: 42 }, { room: null }, { room: ['realtime'] }, { room: { toString: 'realtime' } }, { room: '' }, { room: 'x'.repeat(100_000) }];
    const rooms = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'section:__proto__', 'section:constructor', 'section:../../etc', 'export:../../etc/passwd', 'export:__proto__', 'dashboard:__proto__', 'REALTIME', 'realtime ', 'unknown'];
    const failures: string[] = [];
    for (const event of ['subscribe', 'unsubscribe']) {
      for (const payload of [...payloads, ...rooms.map((room) => ({ room }))]) {
        const label = `${event} ${JSON.stringify(payload)?.slice(0, 60)}`;
        const started = performance.now();
        try {
          const reply = (await raw.timeout(3_000).emitWithAck(event, payload)) as { ok?: unknown; error?: unknown };
          // Unsubscribing from a room one is not in is harmless; every refusal names its cause.
          if (reply?.ok === false ? typeof reply.error !== 'string' || reply.error.length === 0 : event === 'subscribe') failures.push(`${label}: ${JSON.stringify(reply)}`);
          if (typeof reply?.error === 'string' && /\[object Object\]/.test(reply.error)) failures.push(`${label}: ${reply.error}`);
        } catch (error) {
          failures.push(`${label}: no reply in ${Math.round(performance.now() - started)} ms (${(error as Error).message})`);
        }
      }
    }
    // No acknowledgement callback, unknown events, extra arguments: ignored without a crash.
    raw.emit('subscribe', { room: 'realtime' });
    raw.emit('subscribe');
    raw.emit('hello', { room: 'realtime' });
    raw.emit('__proto__', {});
    raw.emit('constructor');
    await expect(raw.timeout(1_000).emitWithAck('unknown-event', {})).rejects.toThrow();
    expect(failures).toEqual([]);
    expect(socket.connected).toBe(true);
    expect(await subscribe(socket, 'realtime')).toEqual({ ok: true });
  }, 120_000);
});
