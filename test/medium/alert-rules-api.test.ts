// Alert rules through the real HTTP API, with the state on SQLite and on Postgres: the ten default
// rules from the environment, CRUD round trips, auth, a matrix of bad bodies (each a 400 naming the
// field, nothing changed), and restarts: an edited default keeps the user's value, an unedited one
// follows the environment, a deleted one stays deleted. Two starts per dialect on an empty
// operational database (each start snapshots it).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAccessToken } from '../../libs/access-token/src/sign.js';
import type { AlertRule } from '../../libs/metrics/src/alerts.js';
import { createTestDatabase, type TestDatabase } from '../factories/databases.js';
import { startTestRuntime, TEST_JWT_SECRET, type TestRuntime } from '../factories/runtime.js';

const RULES = '/depannage/api/statistics/alert-rules';

const DEFAULT_IDS = [
  'default-requests-threshold',
  'default-revenue-threshold',
  'default-failure-rate-threshold',
  'default-requests-anomaly-city',
  'default-requests-anomaly-specialty',
  'default-revenue-anomaly-city',
  'default-revenue-anomaly-specialty',
  'default-failure-rate-anomaly-city',
  'default-failure-rate-anomaly-specialty',
  'default-failed-logins-anomaly-city',
];

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const THRESHOLD_RULE = {
  name: 'Plumbing requests in Bamako',
  kind: 'threshold',
  metric: 'requests',
  comparison: 'gte',
  threshold: 25,
  window: '7d',
  severity: 'warning',
  cooldown_seconds: 600,
  scope: { city: 'Bamako', specialty: 'plumber' },
  enabled: true,
};

const ANOMALY_RULE = {
  kind: 'anomaly',
  metric: 'revenue',
  window: '1h',
  group_by: 'specialty',
  sensitivity: 3.5,
  history_weeks: 4,
  severity: 'critical',
  cooldown_seconds: 0,
  scope: { city: 'Ségou', specialty: null },
  enabled: false,
};

const without = (rule: Record<string, unknown>, field: string): Record<string, unknown> => {
  const copy = { ...rule };
  delete copy[field];
  return copy;
};

/** [what, body, the field the 400 must name] */
const BAD_CREATES: Array<[string, unknown, string]> = [
  ['an array body', [THRESHOLD_RULE], 'body'],
  ['a string body', 'requests > 25', 'body'],
  ['an unknown field', { ...THRESHOLD_RULE, colour: 'red' }, 'colour'],
  ['a generated field (id)', { ...THRESHOLD_RULE, id: 'mine' }, 'id'],
  ['a generated field (source)', { ...THRESHOLD_RULE, source: 'default' }, 'source'],
  ['a name of 201 characters', { ...THRESHOLD_RULE, name: 'x'.repeat(201) }, 'name'],
  ['a blank name', { ...THRESHOLD_RULE, name: '   ' }, 'name'],
  ['a numeric name', { ...THRESHOLD_RULE, name: 12 }, 'name'],
  ['no kind', without(THRESHOLD_RULE, 'kind'), 'kind'],
  ['an unknown kind', { ...THRESHOLD_RULE, kind: 'ratio' }, 'kind'],
  ['no metric', without(THRESHOLD_RULE, 'metric'), 'metric'],
  ['an unknown metric', { ...THRESHOLD_RULE, metric: 'profit' }, 'metric'],
  ['an unknown comparison', { ...THRESHOLD_RULE, comparison: 'eq' }, 'comparison'],
  ['an unknown window', { ...THRESHOLD_RULE, window: '2h' }, 'window'],
  ['no window', without(THRESHOLD_RULE, 'window'), 'window'],
  ['an unknown severity', { ...THRESHOLD_RULE, severity: 'fatal' }, 'severity'],
  ['an unknown group_by', { ...ANOMALY_RULE, group_by: 'country' }, 'group_by'],
  ['a threshold rule without threshold', without(THRESHOLD_RULE, 'threshold'), 'threshold'],
  ['a threshold rule with a null threshold', { ...THRESHOLD_RULE, threshold: null }, 'threshold'],
  ['a threshold rule without comparison', without(THRESHOLD_RULE, 'comparison'), 'comparison'],
  ['a negative threshold', { ...THRESHOLD_RULE, threshold: -1 }, 'threshold'],
  ['a threshold as text', { ...THRESHOLD_RULE, threshold: '25' }, 'threshold'],
  ['a failure rate above 100 %', { ...THRESHOLD_RULE, metric: 'failure_rate', threshold: 100.5 }, 'threshold'],
  ['a revenue with 3 decimals', { ...THRESHOLD_RULE, metric: 'revenue', threshold: 1000.555 }, 'threshold'],
  ['a count with decimals', { ...THRESHOLD_RULE, threshold: 2.5 }, 'threshold'],
  ['group_by on a threshold rule', { ...THRESHOLD_RULE, group_by: 'city' }, 'group_by'],
  ['sensitivity on a threshold rule', { ...THRESHOLD_RULE, sensitivity: 4 }, 'sensitivity'],
  ['history_weeks on a threshold rule', { ...THRESHOLD_RULE, history_weeks: 8 }, 'history_weeks'],
  ['comparison on an anomaly rule', { ...ANOMALY_RULE, comparison: 'gt' }, 'comparison'],
  ['threshold on an anomaly rule', { ...ANOMALY_RULE, threshold: 10 }, 'threshold'],
  ['an anomaly rule over 24 h', { ...ANOMALY_RULE, window: '24h' }, 'window'],
  ['an anomaly rule without group_by', without(ANOMALY_RULE, 'group_by'), 'group_by'],
  ['an anomaly rule without sensitivity', without(ANOMALY_RULE, 'sensitivity'), 'sensitivity'],
  ['an anomaly rule without history_weeks', { ...ANOMALY_RULE, history_weeks: null }, 'history_weeks'],
  ['a sensitivity below 1', { ...ANOMALY_RULE, sensitivity: 0.5 }, 'sensitivity'],
  ['a sensitivity above 20', { ...ANOMALY_RULE, sensitivity: 21 }, 'sensitivity'],
  ['history_weeks below 2', { ...ANOMALY_RULE, history_weeks: 1 }, 'history_weeks'],
  ['history_weeks above 26', { ...ANOMALY_RULE, history_weeks: 27 }, 'history_weeks'],
  ['fractional history_weeks', { ...ANOMALY_RULE, history_weeks: 4.5 }, 'history_weeks'],
  ['a negative cooldown', { ...THRESHOLD_RULE, cooldown_seconds: -1 }, 'cooldown_seconds'],
  ['a cooldown over a week', { ...THRESHOLD_RULE, cooldown_seconds: 604_801 }, 'cooldown_seconds'],
  ['a fractional cooldown', { ...THRESHOLD_RULE, cooldown_seconds: 1.5 }, 'cooldown_seconds'],
  ['a cooldown as text', { ...THRESHOLD_RULE, cooldown_seconds: '600' }, 'cooldown_seconds'],
  ['no cooldown', without(THRESHOLD_RULE, 'cooldown_seconds'), 'cooldown_seconds'],
  ['a null scope', { ...THRESHOLD_RULE, scope: null }, 'scope'],
  ['a scope array', { ...THRESHOLD_RULE, scope: ['Bamako'] }, 'scope'],
  ['a scope with another key', { ...THRESHOLD_RULE, scope: { city: 'Bamako', country: 'ML' } }, 'scope'],
  ['an empty scope city', { ...THRESHOLD_RULE, scope: { city: '', specialty: null } }, 'scope.city'],
  ['a scope city of 101 characters', { ...THRESHOLD_RULE, scope: { city: 'B'.repeat(101), specialty: null } }, 'scope.city'],
  ['a numeric scope specialty', { ...THRESHOLD_RULE, scope: { city: null, specialty: 5 } }, 'scope.specialty'],
  ['failed_logins scoped to a specialty', { ...THRESHOLD_RULE, metric: 'failed_logins', scope: { city: null, specialty: 'plumber' } }, 'scope.specialty'],
  ['failed_logins per specialty', { ...ANOMALY_RULE, metric: 'failed_logins', group_by: 'specialty' }, 'group_by'],
  ['enabled as text', { ...THRESHOLD_RULE, enabled: 'yes' }, 'enabled'],
  ['no enabled', without(THRESHOLD_RULE, 'enabled'), 'enabled'],
];

/** [what, rule id ('user' = the user threshold rule made by the test), body, field] */
const BAD_PATCHES: Array<[string, string, unknown, string]> = [
  ['a change of kind', 'user', { kind: 'anomaly' }, 'kind'],
  ['a negative threshold', 'user', { threshold: -5 }, 'threshold'],
  ['a null threshold', 'user', { threshold: null }, 'threshold'],
  ['a failure rate above 100 % (merged rule)', 'user', { metric: 'failure_rate', threshold: 150 }, 'threshold'],
  ['a revenue with 3 decimals', 'default-revenue-threshold', { threshold: 10.001 }, 'threshold'],
  ['group_by on a threshold rule', 'user', { group_by: 'city' }, 'group_by'],
  ['a generated field', 'user', { source: 'default' }, 'source'],
  ['an unknown field', 'user', { thresold: 30 }, 'thresold'],
  ['a change of kind on a default', 'default-requests-anomaly-city', { kind: 'threshold' }, 'kind'],
  ['comparison on an anomaly rule', 'default-requests-anomaly-city', { comparison: 'gt' }, 'comparison'],
  ['an anomaly rule over 7 days', 'default-requests-anomaly-city', { window: '7d' }, 'window'],
  ['history_weeks out of range', 'default-requests-anomaly-city', { history_weeks: 52 }, 'history_weeks'],
  ['failed_logins scoped to a specialty', 'default-failed-logins-anomaly-city', { scope: { city: null, specialty: 'plumber' } }, 'scope.specialty'],
  ['failed_logins per specialty', 'default-failed-logins-anomaly-city', { group_by: 'specialty' }, 'group_by'],
  ['a string body', 'user', 'enabled=false', 'body'],
];

let db: TestDatabase;
let adminToken: string;
let clientToken: string;
/** The default rules as served on each dialect, to check both serve the same values. */
const servedDefaults: Record<string, unknown[]> = {};

async function insertUser(username: string, userType: string): Promise<number> {
  const { rows } = await db.pool.query<{ id: string }>(
    'INSERT INTO users_user (username, email, user_type) VALUES ($1, $2, $3) RETURNING id',
    [username, `${username}@example.ml`, userType],
  );
  return Number(rows[0]!.id);
}

beforeAll(async () => {
  // Empty operational tables: each runtime start snapshots them, and alert rules do not read them.
  db = await createTestDatabase();
  adminToken = signAccessToken(await insertUser('rules_admin', 'admin'), TEST_JWT_SECRET, 600);
  clientToken = signAccessToken(await insertUser('rules_client', 'client'), TEST_JWT_SECRET, 600);
});

afterAll(async () => {
  await db?.drop();
});

describe.each(['sqlite', 'postgres'] as const)('alert rules API, state on %s', (dialect) => {
  let runtime: TestRuntime | null = null;
  let stateEnv: Record<string, string>;
  let stateDb: TestDatabase | null = null;
  let stateDir: string | null = null;

  async function call(method: string, path: string, body?: unknown, token: string | null = adminToken): Promise<{ status: number; body: any }> {
    const headers: Record<string, string> = token === null ? {} : { Authorization: `Bearer ${token}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(runtime!.url + path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }

  async function rules(): Promise<AlertRule[]> {
    const { status, body } = await call('GET', `${RULES}/`);
    expect(status).toBe(200);
    expect(body.count).toBe(body.results.length);
    return body.results as AlertRule[];
  }

  beforeAll(async () => {
    if (dialect === 'postgres') {
      stateDb = await createTestDatabase({ schema: false });
      stateEnv = { STATE_DATABASE_URL: stateDb.url };
    } else {
      stateDir = mkdtempSync(join(tmpdir(), 'stat-rules-state-'));
      stateEnv = { STATE_SQLITE_PATH: join(stateDir, 'nested', 'state.sqlite') };
    }
    runtime = await startTestRuntime(db, { ...stateEnv, REQUEST_THRESHOLD: '42' });
  });

  afterAll(async () => {
    await runtime?.destroy();
    await stateDb?.drop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it('has the ten default rules, with the environment thresholds', async () => {
    const list = await rules();
    expect(list.map((rule) => rule.id)).toEqual(DEFAULT_IDS);
    const byId = new Map(list.map((rule) => [rule.id, rule]));
    expect(byId.get('default-requests-threshold')).toMatchObject({
      name: 'Demandes sur 24 h au-dessus de 42',
      kind: 'threshold',
      metric: 'requests',
      comparison: 'gt',
      threshold: 42,
      window: '24h',
      group_by: null,
      sensitivity: null,
      history_weeks: null,
      severity: 'warning',
    });
    expect(byId.get('default-revenue-threshold')).toMatchObject({
      name: 'Revenus sur 24 h au-dessus de 1\u202f000\u202f000 XOF',
      metric: 'revenue',
      threshold: 1_000_000,
      severity: 'info',
    });
    expect(byId.get('default-failure-rate-threshold')).toMatchObject({
      name: 'Taux d\'échec sur 24 h au-dessus de 10 %',
      metric: 'failure_rate',
      threshold: 10,
      severity: 'critical',
    });
    expect(byId.get('default-failed-logins-anomaly-city')).toMatchObject({
      name: 'Anomalie : connexions échouées par ville (dernière heure)',
      kind: 'anomaly',
      metric: 'failed_logins',
      comparison: null,
      threshold: null,
      window: '1h',
      group_by: 'city',
      sensitivity: 4,
      history_weeks: 8,
      severity: 'warning',
    });
    for (const rule of list) {
      expect(rule).toMatchObject({ source: 'default', enabled: true, cooldown_seconds: 3600, scope: { city: null, specialty: null } });
      expect(rule.created_at).toMatch(ISO_UTC);
      expect(rule.updated_at).toBe(rule.created_at);
      if (rule.kind === 'anomaly') expect(rule).toMatchObject({ window: '1h', sensitivity: 4, history_weeks: 8, severity: 'warning' });
    }
    servedDefaults[dialect] = list.map(({ created_at: _created, updated_at: _updated, ...rule }) => rule);
    if (servedDefaults.sqlite && servedDefaults.postgres) expect(servedDefaults.postgres).toEqual(servedDefaults.sqlite);
  });

  it('refuses a missing token (401) and a non-admin (403), and methods outside the write routes (405)', async () => {
    expect((await call('GET', RULES, undefined, null)).status).toBe(401);
    expect((await call('POST', RULES, THRESHOLD_RULE, null)).status).toBe(401);
    expect((await call('DELETE', `${RULES}/default-requests-threshold`, undefined, null)).status).toBe(401);
    expect((await call('PATCH', `${RULES}/default-requests-threshold`, { enabled: false }, clientToken)).status).toBe(403);
    expect((await call('PUT', `${RULES}/default-requests-threshold`, THRESHOLD_RULE)).status).toBe(405);
    expect((await call('PATCH', RULES, { enabled: false })).status).toBe(405);
    expect((await call('POST', '/depannage/api/statistics/global_statistics', {})).status).toBe(405);
    // Allowed through for the alerts endpoints, which this service does not have yet: 404, not 405.
    expect((await call('POST', '/depannage/api/statistics/alerts/some-alert/acknowledge', {})).status).toBe(404);
    expect((await call('POST', '/depannage/api/statistics/alerts/some-alert/close', {})).status).toBe(405);
    expect((await rules()).map((rule) => rule.id)).toEqual(DEFAULT_IDS);
  });

  it('creates, reads, patches and deletes a rule', async () => {
    const created = await call('POST', `${RULES}/`, THRESHOLD_RULE);
    expect(created.status).toBe(201);
    const rule = created.body as AlertRule;
    expect(rule).toEqual({
      ...THRESHOLD_RULE,
      id: rule.id,
      group_by: null,
      sensitivity: null,
      history_weeks: null,
      source: 'user',
      created_at: rule.created_at,
      updated_at: rule.created_at,
    });
    expect(rule.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(rule.created_at).toMatch(ISO_UTC);
    expect((await call('GET', `${RULES}/${rule.id}`)).body).toEqual(rule);
    expect((await rules()).map((listed) => listed.id)).toEqual([...DEFAULT_IDS, rule.id]);

    await new Promise((resolve) => setTimeout(resolve, 5));
    const patched = await call('PATCH', `${RULES}/${rule.id}/`, { threshold: 30, enabled: false, scope: { city: 'Kayes' } });
    expect(patched.status).toBe(200);
    expect(patched.body).toEqual({ ...rule, threshold: 30, enabled: false, scope: { city: 'Kayes', specialty: null }, updated_at: patched.body.updated_at });
    expect(patched.body.updated_at > rule.created_at).toBe(true);
    expect((await call('GET', `${RULES}/${rule.id}`)).body).toEqual(patched.body);
    // An empty patch changes nothing.
    expect((await call('PATCH', `${RULES}/${rule.id}`, {})).body).toEqual(patched.body);

    const deleted = await fetch(`${runtime!.url}${RULES}/${rule.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${adminToken}` } });
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe('');
    expect((await call('GET', `${RULES}/${rule.id}`)).status).toBe(404);
    expect((await call('DELETE', `${RULES}/${rule.id}`)).status).toBe(404);
    expect((await rules()).map((listed) => listed.id)).toEqual(DEFAULT_IDS);
  });

  it('derives a plain-English name when none is given, and keeps a derived name in step with the rule', async () => {
    const anomaly = await call('POST', RULES, ANOMALY_RULE);
    expect(anomaly.status).toBe(201);
    expect(anomaly.body).toMatchObject({ ...ANOMALY_RULE, name: 'Anomalie : revenus par spécialité (dernière heure) à Ségou', comparison: null, threshold: null });
    const threshold = await call('POST', RULES, without({ ...THRESHOLD_RULE, metric: 'revenue', threshold: 2500.5 }, 'name'));
    expect(threshold.body.name).toBe('Revenus sur 7 jours au moins 2\u202f500,5 XOF à Bamako, spécialité plumber');
    const patched = await call('PATCH', `${RULES}/${threshold.body.id}`, { threshold: 3000, comparison: 'lt' });
    expect(patched.body.name).toBe('Revenus sur 7 jours en dessous de 3\u202f000 XOF à Bamako, spécialité plumber');
    for (const id of [anomaly.body.id, threshold.body.id]) expect((await call('DELETE', `${RULES}/${id}`)).status).toBe(204);
  });

  it('answers 404 {detail} for an unknown id', async () => {
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      const response = await call(method, `${RULES}/no-such-rule`, method === 'PATCH' ? { enabled: false } : undefined);
      expect(response.status).toBe(404);
      expect(response.body.detail).toContain('no-such-rule');
    }
  });

  it.each(BAD_CREATES)('POST with %s: 400 naming the field, nothing created', async (_what, body, field) => {
    const before = await rules();
    const response = await call('POST', RULES, body);
    expect(response.status).toBe(400);
    expect(response.body.field).toBe(field);
    expect(response.body.detail).toMatch(new RegExp(`^${field.replace('.', '\\.')}: `));
    expect(await rules()).toEqual(before);
  });

  it('POST with malformed JSON: 400, nothing created', async () => {
    const before = await rules();
    const response = await fetch(runtime!.url + RULES, {
      method: 'POST',
      headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' },
      body: '{"kind": "threshold",',
    });
    expect(response.status).toBe(400);
    expect(await rules()).toEqual(before);
  });

  it.each(BAD_PATCHES)('PATCH with %s: 400 naming the field, rule unchanged', async (_what, target, body, field) => {
    let id = target;
    if (target === 'user') {
      const created = await call('POST', RULES, THRESHOLD_RULE);
      expect(created.status).toBe(201);
      id = created.body.id;
    }
    const before = await rules();
    const response = await call('PATCH', `${RULES}/${id}`, body);
    expect(response.status).toBe(400);
    expect(response.body.field).toBe(field);
    expect(await rules()).toEqual(before);
    if (target === 'user') expect((await call('DELETE', `${RULES}/${id}`)).status).toBe(204);
  });

  it('after a restart with other thresholds: edited defaults keep their values, unedited ones follow, deleted ones stay deleted', async () => {
    const edited = await call('PATCH', `${RULES}/default-requests-threshold`, { threshold: 500 });
    expect(edited.body).toMatchObject({ threshold: 500, name: 'Demandes sur 24 h au-dessus de 500', source: 'default' });
    // Edited in a field other than the threshold: still no longer follows the environment.
    expect((await call('PATCH', `${RULES}/default-failure-rate-threshold`, { severity: 'warning' })).status).toBe(200);
    expect((await call('DELETE', `${RULES}/default-failed-logins-anomaly-city`)).status).toBe(204);
    expect((await call('DELETE', `${RULES}/default-failed-logins-anomaly-city`)).status).toBe(404);
    const user = (await call('POST', RULES, THRESHOLD_RULE)).body as AlertRule;
    const before = await rules();

    await runtime!.destroy();
    runtime = null;
    runtime = await startTestRuntime(db, {
      ...stateEnv,
      REQUEST_THRESHOLD: '77',
      REVENUE_THRESHOLD: '2500000.50',
      FAILURE_RATE_THRESHOLD: '12.5',
    });

    const after = await rules();
    expect(after.map((rule) => rule.id)).toEqual([...DEFAULT_IDS.filter((id) => id !== 'default-failed-logins-anomaly-city'), user.id]);
    const byId = new Map(after.map((rule) => [rule.id, rule]));
    expect(byId.get('default-requests-threshold')).toEqual(edited.body);
    expect(byId.get('default-failure-rate-threshold')).toMatchObject({ threshold: 10, severity: 'warning' });
    const revenue = byId.get('default-revenue-threshold')!;
    expect(revenue).toMatchObject({ threshold: 2_500_000.5, name: 'Revenus sur 24 h au-dessus de 2\u202f500\u202f000,5 XOF', source: 'default' });
    expect(revenue.updated_at > revenue.created_at).toBe(true);
    // Everything else as it was.
    const unchanged = (list: AlertRule[]): AlertRule[] => list.filter((rule) => rule.id !== 'default-revenue-threshold');
    expect(unchanged(after)).toEqual(unchanged(before));
  });
});
