// The OpenAPI document tells the truth: for a dozen real requests to a running service (seeded demo
// data, so lists and maps are not empty), the answer's status code is documented for that path and
// method, and its JSON body validates against the documented schema. The validator covers the
// subset of JSON Schema apps/api/src/openapi/schemas.ts uses (type, format date-time, properties,
// required, additionalProperties, items, enum, nullable, oneOf, anyOf).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoData } from '../../apps/demo/src/seed.js';
import { signAccessToken } from '../../libs/access-token/src/sign.js';
import type { SchemaObject } from '../../apps/api/src/openapi/schemas.js';
import { createTestDatabase, type TestDatabase } from '../factories/databases.js';
import { startTestRuntime, TEST_JWT_SECRET, type TestRuntime } from '../factories/runtime.js';

const API = '/depannage/api/statistics';

interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: SchemaObject }> }>; requestBody?: unknown }>>;
}

/** Where `value` breaks `schema` (JSON-pointer-like paths), empty when it validates. */
export function violations(schema: SchemaObject, value: unknown, at = '$'): string[] {
  if (value === null) return schema.nullable || (!schema.type && !schema.oneOf && !schema.anyOf) ? [] : [`${at}: null not allowed`];
  if (schema.oneOf) {
    const matching = schema.oneOf.filter((option) => violations(option, value, at).length === 0).length;
    if (matching !== 1) return [`${at}: matches ${matching} of the ${schema.oneOf.length} oneOf schemas`];
  }
  if (schema.anyOf && !schema.anyOf.some((option) => violations({ ...option, type: option.type ?? schema.type }, value, at).length === 0)) {
    return [`${at}: matches none of the anyOf schemas`];
  }
  const problems: string[] = [];
  switch (schema.type) {
    case undefined:
      break;
    case 'object':
      if (typeof value !== 'object' || Array.isArray(value)) return [`${at}: expected an object, got ${JSON.stringify(value)?.slice(0, 40)}`];
      break;
    case 'array':
      if (!Array.isArray(value)) return [`${at}: expected an array`];
      break;
    case 'integer':
      if (!Number.isInteger(value)) return [`${at}: expected an integer, got ${JSON.stringify(value)}`];
      break;
    default:
      if (typeof value !== schema.type) return [`${at}: expected ${schema.type}, got ${JSON.stringify(value)?.slice(0, 40)}`];
  }
  if (schema.enum && !schema.enum.includes(value as string)) problems.push(`${at}: ${JSON.stringify(value)} not in ${schema.enum.join(', ')}`);
  if (schema.format === 'date-time' && typeof value === 'string' && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    problems.push(`${at}: ${value} is not a date-time`);
  }
  if (Array.isArray(value) && schema.items) value.forEach((item, index) => problems.push(...violations(schema.items!, item, `${at}[${index}]`)));
  if (schema.type === 'object' && typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!(key in record)) problems.push(`${at}: missing ${key}`);
    for (const [key, item] of Object.entries(record)) {
      const property = schema.properties?.[key];
      if (property) problems.push(...violations(property, item, `${at}.${key}`));
      else if (schema.additionalProperties === false) problems.push(`${at}: undocumented key ${key}`);
      else if (typeof schema.additionalProperties === 'object') problems.push(...violations(schema.additionalProperties, item, `${at}.${key}`));
    }
  }
  return problems;
}

let db: TestDatabase;
let runtime: TestRuntime;
let document: OpenApiDocument;
let token: string;

async function call(method: string, path: string, options: { body?: unknown; token?: string | null } = {}): Promise<{ status: number; body: unknown }> {
  const bearer = options.token === undefined ? token : options.token;
  const headers: Record<string, string> = bearer === null ? {} : { Authorization: `Bearer ${bearer}` };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(runtime.url + path, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body), signal: AbortSignal.timeout(30_000) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** The documented operation for a concrete path: `{param}` segments match any segment. */
function operation(method: string, path: string): OpenApiDocument['paths'][string][string] | undefined {
  // Every route answers with or without its trailing slash; the document lists them without.
  const bare = path.split('?')[0]!.replace(/(.)\/$/, '$1');
  const exact = document.paths[bare]?.[method.toLowerCase()];
  if (exact) return exact;
  for (const [template, operations] of Object.entries(document.paths)) {
    const pattern = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^/}]+\}/g, '[^/]+')}$`);
    if (pattern.test(bare) && operations[method.toLowerCase()]) return operations[method.toLowerCase()];
  }
  return undefined;
}

/** The documented response of a real answer, with its content types; fails the test when undocumented. */
function documentedResponse(method: string, path: string, status: number): Record<string, { schema?: SchemaObject }> {
  const documented = operation(method, path);
  expect(documented, `${method} ${path} is documented`).toBeDefined();
  const response = documented!.responses[String(status)];
  expect(response, `${method} ${path}: status ${status} documented (documented: ${Object.keys(documented!.responses).join(', ')})`).toBeDefined();
  return response!.content ?? {};
}

/** A non-JSON answer (text, xlsx, pdf): its status and content type are documented for the path. */
async function checkedRaw(method: string, path: string, expectedStatus: number, options: { token?: string | null; body?: string } = {}): Promise<{ contentType: string; body: Buffer }> {
  const bearer = options.token === undefined ? token : options.token;
  const response = await fetch(runtime.url + path, {
    method,
    headers: bearer === null ? {} : { Authorization: `Bearer ${bearer}` },
    body: options.body,
    signal: AbortSignal.timeout(60_000),
  });
  const body = Buffer.from(await response.arrayBuffer());
  expect(response.status, `${method} ${path}: ${body.toString('utf8', 0, 300)}`).toBe(expectedStatus);
  const contentType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
  const content = documentedResponse(method, path, response.status);
  expect(Object.keys(content), `${method} ${path} ${response.status}: content type ${contentType} documented`).toContain(contentType);
  return { contentType, body };
}

/** Checks one real answer against the document; returns the body for the next step. */
async function checked(method: string, path: string, expectedStatus: number, options: { body?: unknown; token?: string | null } = {}): Promise<any> {
  const answer = await call(method, path, options);
  expect(answer.status, `${method} ${path}: ${JSON.stringify(answer.body)?.slice(0, 300)}`).toBe(expectedStatus);
  const documented = operation(method, path);
  expect(documented, `${method} ${path} is documented`).toBeDefined();
  const response = documented!.responses[String(answer.status)];
  expect(response, `${method} ${path}: status ${answer.status} documented (documented: ${Object.keys(documented!.responses).join(', ')})`).toBeDefined();
  const schema = response!.content?.['application/json']?.schema;
  expect(schema, `${method} ${path} ${answer.status} has a JSON schema`).toBeDefined();
  expect(violations(schema!, answer.body), `${method} ${path} ${answer.status}`).toEqual([]);
  return answer.body;
}

beforeAll(async () => {
  db = await createTestDatabase();
  await seedDemoData(db.pool, { requests: 1500, seed: 11 });
  const { rows } = await db.pool.query<{ id: string }>(
    "INSERT INTO users_user (username, email, user_type) VALUES ('openapi_admin', 'openapi_admin@example.ml', 'admin') RETURNING id",
  );
  token = signAccessToken(Number(rows[0]!.id), TEST_JWT_SECRET, 3600);
  // Low limits so that the last test reaches both 429s in a few requests.
  runtime = await startTestRuntime(db, { AUTH_FAILURE_LIMIT: '3', ANALYST_RATE_LIMIT: '4' });
  const response = await fetch(`${runtime.url}/docs-json`);
  expect(response.status).toBe(200);
  document = (await response.json()) as OpenApiDocument;
}, 180_000);

afterAll(async () => {
  await runtime?.destroy();
  await db?.drop();
});

describe('the validator', () => {
  it('catches what it claims to', () => {
    const schema: SchemaObject = { type: 'object', properties: { a: { type: 'integer' }, b: { type: 'string', nullable: true, enum: ['x'] } }, required: ['a'], additionalProperties: false };
    expect(violations(schema, { a: 1, b: null })).toEqual([]);
    expect(violations(schema, { a: 1.5 })).toHaveLength(1);
    expect(violations(schema, { b: 'y', c: 1 })).toHaveLength(3);
    expect(violations({ oneOf: [schema, { type: 'array' }] }, [])).toEqual([]);
    expect(violations({ type: 'string', format: 'date-time' }, '2026-01-01')).toHaveLength(1);
  });
});

describe('OpenAPI against real answers', () => {
  it('documents request bodies of the write routes', () => {
    for (const [path, method] of [
      [`${API}/alert-rules`, 'post'],
      [`${API}/alert-rules/{id}`, 'patch'],
      [`${API}/exports`, 'post'],
      [`${API}/report-schedules`, 'post'],
      [`${API}/report-schedules/{id}`, 'patch'],
      [`${API}/dashboards`, 'post'],
      [`${API}/dashboards/{id}`, 'patch'],
    ] as const) {
      expect(document.paths[path]?.[method]?.requestBody, `${method} ${path}`).toBeDefined();
    }
    // The SQL gateway's POST answers 200, not Nest's default 201.
    expect(Object.keys(document.paths['/clickhouse']!.post!.responses)).toContain('200');
  });

  it('statistics: global_statistics, sections, kpis, real_time_stats', async () => {
    const global = await checked('GET', `${API}/global_statistics?period=30d`, 200);
    expect(global.technicians.top_technicians.length).toBeGreaterThan(0);
    for (const section of ['overview', 'requests', 'financial', 'satisfaction', 'technicians', 'specialties', 'security', 'geography', 'trends', 'advanced']) {
      await checked('GET', `${API}/${section}`, 200);
    }
    await checked('GET', `${API}/kpis`, 200);
    await checked('GET', `${API}/real_time_stats`, 200);
  }, 120_000);

  it('alert rules, alerts, exports and report schedules', async () => {
    const rules = await checked('GET', `${API}/alert-rules`, 200);
    expect(rules.count).toBeGreaterThan(0);
    const created = await checked('POST', `${API}/alert-rules`, 201, {
      body: { name: 'openapi rule', kind: 'threshold', metric: 'requests', comparison: 'gt', threshold: 10, window: '24h', severity: 'info', cooldown_seconds: 60, scope: { city: null, specialty: null }, enabled: false },
    });
    await checked('PATCH', `${API}/alert-rules/${created.id}`, 200, { body: { threshold: 11 } });
    await checked('GET', `${API}/alerts`, 200);
    const queued = await checked('POST', `${API}/exports`, 202, { body: { type: 'csv', period: '7d', sections: ['overview'] } });
    await checked('GET', `${API}/exports/${queued.export_id}`, 200);
    await checked('GET', `${API}/exports`, 200);
    const schedule = await checked('POST', `${API}/report-schedules`, 201, { body: { name: 'openapi weekly', cron: '0 7 * * 1', type: 'csv', period: '7d', recipients: ['ops@example.ml'], enabled: false } });
    await checked('GET', `${API}/report-schedules/${schedule.id}`, 200);
    await checked('GET', `${API}/report-schedules`, 200);
    const run = await checked('POST', `${API}/report-schedules/${schedule.id}/run`, 202);
    expect(run.schedule_id).toBe(schedule.id);
    await checked('GET', `${API}/report-schedules/${schedule.id}/runs`, 200);
  }, 120_000);


  it('dashboards: list, create, patch, data, sources, export', async () => {
    const list = await checked('GET', `${API}/dashboards`, 200);
    expect(list.count).toBe(1);
    const created = await checked('POST', `${API}/dashboards`, 201, {
      body: {
        name: 'openapi dashboard',
        widgets: [
          { id: 'total', type: 'metric', title: 'Demandes', source: { endpoint: 'requests', key: 'total' }, filters: { period: '7d', city: null }, position: { x: 0, y: 0, w: 4, h: 2 } },
          { type: 'pie', title: 'Statuts', source: { endpoint: 'requests', key: 'by_status' }, position: { x: 4, y: 0, w: 8, h: 4 } },
          { type: 'metric', title: '24 h', source: { endpoint: 'real_time_stats', key: 'last_24h.revenue' }, refresh_seconds: 10, position: { x: 0, y: 2, w: 4, h: 2 } },
        ],
      },
    });
    await checked('GET', `${API}/dashboards/${created.id}`, 200);
    await checked('PATCH', `${API}/dashboards/${created.id}`, 200, { body: { name: 'openapi 2', is_default: true, layout: { row_height: 60 } } });
    const data = await checked('GET', `${API}/dashboards/${created.id}/data`, 200);
    expect(data.widgets).toHaveLength(3);
    await checked('GET', `${API}/dashboards/sources`, 200);
    await checked('POST', `${API}/dashboards/${created.id}/export?type=csv`, 202);
    await checked('POST', `${API}/dashboards`, 400, { body: { name: 'x', widgets: [{ type: 'gauge' }] } });
    await checked('GET', `${API}/dashboards/00000000-0000-4000-8000-000000000000`, 404);
  }, 120_000);

  it('errors: 400, 401, 404 and 415, each with its documented body', async () => {
    await checked('GET', `${API}/global_statistics?period=1y`, 400);
    await checked('GET', `${API}/kpis`, 401, { token: null });
    await checked('GET', `${API}/not_a_section`, 404);
    await checked('GET', `${API}/alert-rules/no-such-rule`, 404);
    await checked('GET', `${API}/exports/00000000-0000-4000-8000-000000000000`, 404);
    await checked('POST', `${API}/alert-rules`, 400, { body: { kind: 'ratio' } });
    await checked('POST', `${API}/exports`, 400, { body: { type: 'docx' } });
    const form = await fetch(`${runtime.url}${API}/alert-rules`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'kind=threshold' });
    expect(form.status).toBe(415);
    expect(violations(operation('POST', `${API}/alert-rules`)!.responses['415']!.content!['application/json']!.schema!, await form.json())).toEqual([]);
  }, 60_000);

  it('health, metrics, audit log and the legacy endpoints', async () => {
    await checked('GET', '/health', 200, { token: null });
    await checked('GET', '/health/ready', 200, { token: null });
    const details = await checked('GET', '/health/details', 200);
    expect(['ok', 'degraded']).toContain(details.status);
    await checked('GET', '/health/details', 401, { token: null });
    const metrics = await checkedRaw('GET', '/metrics', 200);
    expect(metrics.body.toString()).toContain('# TYPE');
    const audit = await checked('GET', `${API}/audit-log`, 200);
    // The rule, export and schedule made above are in it.
    expect(audit.count).toBeGreaterThan(0);
    await checked('GET', `${API}/audit-log?action=nope`, 400);
    const legacy = await checked('GET', '/depannage/api/repair-requests/project_statistics/', 200);
    expect(legacy.requests.total).toBeGreaterThan(0);
    const xlsx = await checkedRaw('GET', '/depannage/api/export_statistics_excel/', 200);
    expect(xlsx.body.subarray(0, 2).toString()).toBe('PK');
    const pdf = await checkedRaw('GET', '/depannage/api/export_statistics_pdf/', 200);
    expect(pdf.body.subarray(0, 5).toString()).toBe('%PDF-');
  }, 120_000);

  it('the SQL gateway: results and ClickHouse-style errors, 429 past ANALYST_RATE_LIMIT', async () => {
    const tsv = await checkedRaw('GET', '/clickhouse?query=SELECT%201', 200);
    expect(tsv.body.toString()).toBe('1\n');
    const json = await checkedRaw('POST', '/clickhouse', 200, { body: 'SELECT 1 AS one FORMAT JSON' });
    expect(JSON.parse(json.body.toString()).data).toEqual([{ one: 1 }]);
    const refused = await checkedRaw('GET', '/clickhouse?query=DROP%20TABLE%20x', 400);
    expect(refused.body.toString()).toMatch(/^Code: \d+\. DB::Exception/);
    // Four queries a minute (set above): the fourth passes, the fifth is refused with Retry-After.
    await checkedRaw('GET', '/clickhouse?query=SELECT%202', 200);
    const limited = await checkedRaw('GET', '/clickhouse?query=SELECT%203', 429);
    expect(limited.body.toString()).toContain('ANALYST_RATE_LIMIT');
    await checkedRaw('GET', '/clickhouse?query=SELECT%201', 401, { token: 'not-a-token' });
  }, 60_000);

  // Last: it blocks this address's bad credentials for the rest of the minute.
  it('429 after AUTH_FAILURE_LIMIT refused credentials, with Retry-After and the documented body', async () => {
    let answer = await call('GET', `${API}/kpis`, { token: 'not-a-token' });
    for (let attempt = 0; attempt < 5 && answer.status === 401; attempt++) answer = await call('GET', `${API}/kpis`, { token: 'not-a-token' });
    expect(answer.status).toBe(429);
    await checked('GET', `${API}/kpis`, 429, { token: 'not-a-token' });
    await checked('GET', `${API}/alerts`, 429, { token: 'not-a-token' });
    // A valid token is still served: only refused credentials are counted and limited.
    await checked('GET', `${API}/kpis`, 200);
  }, 60_000);
});
