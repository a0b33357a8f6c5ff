// Custom dashboards through the real HTTP API and socket, on a seeded operational database: the
// default dashboard given on a first list (once, never again after a delete), CRUD round trips with
// the configured refresh defaults, a matrix of bad bodies (each a 400 naming the field, nothing
// saved), ownership (another user's dashboard is a 404, an administrator sees it), the data endpoint
// equal to the section endpoints for the same filters and to the plain-SQL oracle, the
// `dashboard:<id>` room pushing only the widgets a committed row moved, an export of a dashboard,
// the audit trail, and the same CRUD with the state in Postgres.
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAccessToken } from '../../libs/access-token/src/sign.js';
import { defaultDashboard } from '../../apps/api/src/dashboards/default-dashboard.js';
import { parseDashboardInput } from '../../apps/api/src/dashboards/dto/dashboard.js';
import { seedDemoData } from '../../apps/demo/src/seed.js';
import { statusLabel } from '../../libs/metrics/src/labels.js';
import type { Dashboard, DashboardData } from '../../libs/metrics/src/dashboards.js';
import type { Period, Section } from '../../libs/metrics/src/types.js';
import { createTestDatabase, type TestDatabase } from '../factories/databases.js';
import { sectionOnPostgres } from '../oracle/postgres-oracle.js';
import { startTestRuntime, TEST_JWT_SECRET, type TestRuntime } from '../factories/runtime.js';
import { connected, nextEvent, statisticsSocket, subscribe, type StatisticsClient } from '../factories/sockets.js';

const DASHBOARDS = '/depannage/api/statistics/dashboards';
const STATISTICS = '/depannage/api/statistics';
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

let db: TestDatabase;
let runtime: TestRuntime;
/** user_type admin: sees every dashboard. */
let adminId: number;
let admin: string;
let secondAdmin: string;
/** is_staff but user_type technician: admitted to the statistics, sees only their own dashboards. */
let staffId: number;
let staff: string;
const sockets: StatisticsClient[] = [];

async function userIds(where: string, count: number): Promise<number[]> {
  const { rows } = await db.pool.query<{ id: string }>(`SELECT id FROM users_user WHERE ${where} ORDER BY id LIMIT ${count}`);
  if (rows.length < count) throw new Error(`fewer than ${count} users where ${where}`);
  return rows.map((row) => Number(row.id));
}

async function call(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${runtime.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function insertRequest(city = 'Bamako'): Promise<void> {
  await db.pool.query(
    `INSERT INTO depannage_repairrequest (title, specialty_needed, address, city, client_id, status, created_at)
     VALUES ('dashboard live', 'plumber', 'a', $1, (SELECT id FROM depannage_client ORDER BY id LIMIT 1), 'pending', now())`,
    [city],
  );
}

const position = (x: number, y: number, w = 3, h = 2) => ({ x, y, w, h });

const WIDGETS = [
  { id: 'total', type: 'metric', title: 'Demandes', source: { endpoint: 'requests', key: 'total' }, position: position(0, 0) },
  { id: 'success', type: 'metric', title: 'Taux de succès 7 j', source: { endpoint: 'requests', key: 'success_rate' }, filters: { period: '7d' }, position: position(3, 0) },
  { id: 'by-status', type: 'pie', title: 'Par statut', source: { endpoint: 'requests', key: 'by_status' }, position: position(6, 0, 6, 4) },
  { id: 'methods', type: 'bar', title: 'Paiements Bamako', source: { endpoint: 'financial', key: 'payment_methods' }, filters: { city: 'Bamako', period: '30d' }, position: position(0, 2, 6, 3) },
  { id: 'daily', type: 'line', title: 'Par jour', source: { endpoint: 'trends', key: 'daily' }, refresh_seconds: 120, position: position(0, 5, 12, 3) },
  { id: 'logins', type: 'metric', title: 'Connexions échouées', source: { endpoint: 'security', key: 'failed_logins' }, position: position(0, 8) },
  { id: 'conversion', type: 'metric', title: 'Conversion', source: { endpoint: 'kpis', key: 'business.conversion_rate' }, position: position(3, 8) },
  { id: 'new-24h', type: 'metric', title: 'Nouvelles 24 h', source: { endpoint: 'real_time_stats', key: 'last_24h.new_requests' }, position: position(6, 8) },
  { id: 'top-tech', type: 'table', title: 'Meilleur technicien', source: { endpoint: 'technicians', key: 'top_technicians.0' }, position: position(9, 8) },
];

beforeAll(async () => {
  db = await createTestDatabase();
  await seedDemoData(db.pool, { requests: 400, seed: 12 });
  [adminId] = await userIds("user_type = 'admin' AND is_active", 1) as [number];
  const [secondAdminId] = await userIds(`user_type = 'admin' AND is_active AND id <> ${adminId}`, 1);
  [staffId] = await userIds("user_type = 'technician' AND is_active", 1) as [number];
  await db.pool.query('UPDATE users_user SET is_staff = true WHERE id = $1', [staffId]);
  // No tick during the tests: every push seen here is a subscribe's or a change's.
  // A long engine queue wait: on a loaded machine the first, uncached data call computes eight answers.
  runtime = await startTestRuntime(db, { REAL_TIME_REFRESH_SECONDS: '3600', DASHBOARD_REFRESH_SECONDS: '240', WIDGET_REFRESH_SECONDS: '45', ENGINE_QUEUE_TIMEOUT_SECONDS: '120' });
  admin = signAccessToken(adminId, TEST_JWT_SECRET, 3600);
  secondAdmin = signAccessToken(secondAdminId!, TEST_JWT_SECRET, 3600);
  staff = signAccessToken(staffId, TEST_JWT_SECRET, 3600);
}, 120_000);

afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  await runtime?.destroy();
  await db?.drop();
});

describe('default dashboard', () => {
  it('is valid by the API’s own rules', () => {
    const settings = { refreshSeconds: 300, widgetRefreshSeconds: 60 };
    const input = defaultDashboard(settings);
    expect(parseDashboardInput(JSON.parse(JSON.stringify(input)), settings)).toEqual(input);
  });

  it('is given on the first list, once: the guide’s overview with the configured refreshes', async () => {
    const first = await call('GET', `${DASHBOARDS}/`, admin);
    expect(first.status).toBe(200);
    expect(first.body.count).toBe(1);
    const [dashboard] = first.body.results as Dashboard[];
    expect(dashboard).toMatchObject({ name: "Vue d'ensemble", owner: adminId, is_default: true, refresh_seconds: 240, layout: { columns: 12, row_height: 80 } });
    expect(dashboard!.widgets.map((widget) => widget.title)).toEqual([
      'Utilisateurs totaux',
      'Demandes totales',
      'Revenus totaux',
      'Note moyenne',
      'Utilisateurs actifs (30j)',
      'Nouveaux utilisateurs (30j)',
      'Évolution quotidienne',
      'Demandes par statut',
    ]);
    expect(dashboard!.widgets.every((widget) => widget.refresh_seconds === 45)).toBe(true);
    expect(dashboard!.created_at).toMatch(ISO_UTC);
    const again = await call('GET', `${DASHBOARDS}/`, admin);
    expect(again.body.results).toEqual([dashboard]);
  });

  it('is not given again once deleted', async () => {
    const list = await call('GET', `${DASHBOARDS}/`, staff);
    expect(list.body.count).toBe(1);
    expect((await call('DELETE', `${DASHBOARDS}/${list.body.results[0].id}/`, staff)).status).toBe(204);
    expect((await call('GET', `${DASHBOARDS}/`, staff)).body).toEqual({ count: 0, results: [] });
  });
});

describe('CRUD', () => {
  it('creates with defaults, reads, patches and deletes', async () => {
    const created = await call('POST', `${DASHBOARDS}/`, admin, { name: '  Suivi  ' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Suivi', owner: adminId, is_default: false, refresh_seconds: 240, layout: { columns: 12, row_height: 80 }, widgets: [] });
    const id = created.body.id as string;
    expect((await call('GET', `${DASHBOARDS}/${id}/`, admin)).body).toEqual(created.body);

    const patched = await call('PATCH', `${DASHBOARDS}/${id}/`, admin, { name: 'Suivi quotidien', refresh_seconds: 5, widgets: WIDGETS, layout: { row_height: 60 } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Suivi quotidien', refresh_seconds: 5, layout: { columns: 12, row_height: 60 } });
    expect(patched.body.widgets).toHaveLength(WIDGETS.length);
    const success = patched.body.widgets[1];
    expect(success).toEqual({ ...WIDGETS[1], filters: { period: '7d', from: null, to: null, city: null, specialty: null }, refresh_seconds: 45 });
    expect(patched.body.widgets[4].refresh_seconds).toBe(120);
    expect(patched.body.updated_at > created.body.updated_at).toBe(true);

    // A dashboard read back and sent back unchanged is accepted as it is (the stored form of the
    // filters included: period all, a custom window).
    const custom = { id: 'custom', type: 'bar', title: 'Fenêtre', source: { endpoint: 'geography', key: 'top_cities' }, filters: { from: '2026-11-01', to: '2026-11-15' }, position: position(0, 12, 12, 3) };
    const withCustom = (await call('PATCH', `${DASHBOARDS}/${id}/`, admin, { widgets: [...patched.body.widgets, custom] })).body as Dashboard;
    expect(withCustom.widgets.at(-1)!.filters).toEqual({ period: 'custom', from: '2026-11-01T00:00:00.000Z', to: '2026-11-16T00:00:00.000Z', city: null, specialty: null });
    const { id: _id, owner: _owner, created_at: _created, updated_at: _updated, ...editable } = withCustom;
    const resent = await call('PATCH', `${DASHBOARDS}/${id}/`, admin, editable);
    expect(resent.status, JSON.stringify(resent.body)).toBe(200);
    expect(resent.body.widgets).toEqual(withCustom.widgets);

    // A widget without an id gets one; the list is replaced as a whole.
    const replaced = await call('PATCH', `${DASHBOARDS}/${id}/`, admin, { widgets: [{ type: 'metric', title: 'Total', source: { endpoint: 'overview', key: 'total_users' }, position: position(0, 0) }] });
    expect(replaced.body.widgets).toHaveLength(1);
    expect(replaced.body.widgets[0].id).toMatch(/^[0-9a-f-]{36}$/);

    expect((await call('DELETE', `${DASHBOARDS}/${id}/`, admin)).status).toBe(204);
    expect((await call('GET', `${DASHBOARDS}/${id}/`, admin)).status).toBe(404);
    expect((await call('DELETE', `${DASHBOARDS}/${id}/`, admin)).status).toBe(404);
  });

  it('keeps one default dashboard per owner', async () => {
    const made = await call('POST', `${DASHBOARDS}/`, admin, { name: 'Nouveau défaut', is_default: true });
    const list = (await call('GET', `${DASHBOARDS}/`, admin)).body.results as Dashboard[];
    expect(list.filter((dashboard) => dashboard.is_default).map((dashboard) => dashboard.id)).toEqual([made.body.id]);
    await call('DELETE', `${DASHBOARDS}/${made.body.id}/`, admin);
  });

  it('describes the keys a widget may read, from the response schemas', async () => {
    const sources = await call('GET', `${DASHBOARDS}/sources/`, admin);
    expect(sources.status).toBe(200);
    expect(sources.body.widget_types).toEqual(['metric', 'line', 'bar', 'pie', 'area', 'radar', 'table', 'map']);
    const requests = sources.body.endpoints.find((endpoint: { endpoint: string }) => endpoint.endpoint === 'requests');
    expect(requests.keys).toContainEqual({ key: 'success_rate', kind: 'number' });
    expect(requests.keys).toContainEqual({ key: 'by_status', kind: 'map' });
    expect(requests.keys.map((key: { key: string }) => key.key)).not.toContain('calculation_info');
    const kpis = sources.body.endpoints.find((endpoint: { endpoint: string }) => endpoint.endpoint === 'kpis');
    expect(kpis.keys).toContainEqual({ key: 'business.cac.value', kind: 'number' });
  });
});

const widget = (overrides: Record<string, unknown>) => ({ type: 'metric', title: 'W', source: { endpoint: 'requests', key: 'total' }, position: position(0, 0), ...overrides });

/** [what, body, the field the 400 must name] */
const BAD_BODIES: Array<[string, unknown, string]> = [
  ['an array body', [{ name: 'x' }], 'body'],
  ['no name', { widgets: [] }, 'name'],
  ['a blank name', { name: '  ' }, 'name'],
  ['a name of 201 characters', { name: 'x'.repeat(201) }, 'name'],
  ['an unknown field', { name: 'x', colour: 'red' }, 'colour'],
  ['a generated field (owner)', { name: 'x', owner: 1 }, 'owner'],
  ['is_default as a string', { name: 'x', is_default: 'yes' }, 'is_default'],
  ['a refresh of 4 s', { name: 'x', refresh_seconds: 4 }, 'refresh_seconds'],
  ['a refresh of 2.5 s', { name: 'x', refresh_seconds: 2.5 }, 'refresh_seconds'],
  ['a grid of 16 columns', { name: 'x', layout: { columns: 16 } }, 'layout.columns'],
  ['a row height of 5 px', { name: 'x', layout: { row_height: 5 } }, 'layout.row_height'],
  ['widgets not a list', { name: 'x', widgets: {} }, 'widgets'],
  ['an unknown widget type', { name: 'x', widgets: [widget({ type: 'gauge' })] }, 'widgets[0].type'],
  ['no widget type', { name: 'x', widgets: [widget({ type: undefined })] }, 'widgets[0].type'],
  ['an unknown endpoint', { name: 'x', widgets: [widget({ source: { endpoint: 'global_statistics', key: 'overview' } })] }, 'widgets[0].source.endpoint'],
  ['an unknown key', { name: 'x', widgets: [widget({ source: { endpoint: 'requests', key: 'totl' } })] }, 'widgets[0].source.key'],
  ['a key of another section', { name: 'x', widgets: [widget({ source: { endpoint: 'requests', key: 'total_revenue' } })] }, 'widgets[0].source.key'],
  ['a key under a number', { name: 'x', widgets: [widget({ source: { endpoint: 'requests', key: 'total.value' } })] }, 'widgets[0].source.key'],
  ['calculation_info as a key', { name: 'x', widgets: [widget({ source: { endpoint: 'requests', key: 'calculation_info.cached' } })] }, 'widgets[0].source.key'],
  ['a list index that is a name', { name: 'x', widgets: [widget({ type: 'table', source: { endpoint: 'technicians', key: 'top_technicians.first' } })] }, 'widgets[0].source.key'],
  ['a metric of a map', { name: 'x', widgets: [widget({ source: { endpoint: 'requests', key: 'by_status' } })] }, 'widgets[0].source.key'],
  ['a chart of a number', { name: 'x', widgets: [widget({ type: 'line', source: { endpoint: 'requests', key: 'total' } })] }, 'widgets[0].source.key'],
  ['an unknown source field', { name: 'x', widgets: [widget({ source: { endpoint: 'requests', key: 'total', period: '7d' } })] }, 'widgets[0].source.period'],
  ['an unknown period', { name: 'x', widgets: [widget({ filters: { period: '90d' } })] }, 'widgets[0].filters.period'],
  ['period with from', { name: 'x', widgets: [widget({ filters: { period: '7d', from: '2026-01-01' } })] }, 'widgets[0].filters.period'],
  ['a bad date', { name: 'x', widgets: [widget({ filters: { from: '2026-02-30' } })] }, 'widgets[0].filters.from'],
  ['an unknown filter', { name: 'x', widgets: [widget({ filters: { region: 'Kayes' } })] }, 'widgets[0].filters.region'],
  ['a filter on real_time_stats', { name: 'x', widgets: [widget({ source: { endpoint: 'real_time_stats', key: 'last_24h.revenue' }, filters: { city: 'Bamako' } })] }, 'widgets[0].filters.city'],
  ['a widget refresh of 1 s', { name: 'x', widgets: [widget({ refresh_seconds: 1 })] }, 'widgets[0].refresh_seconds'],
  ['no position', { name: 'x', widgets: [widget({ position: undefined })] }, 'widgets[0].position'],
  ['x past the grid', { name: 'x', widgets: [widget({ position: position(12, 0, 1, 1) })] }, 'widgets[0].position.x'],
  ['x + w past the grid', { name: 'x', widgets: [widget({ position: position(10, 0, 3, 1) })] }, 'widgets[0].position.w'],
  ['a negative y', { name: 'x', widgets: [widget({ position: position(0, -1) })] }, 'widgets[0].position.y'],
  ['a zero height', { name: 'x', widgets: [widget({ position: position(0, 0, 2, 0) })] }, 'widgets[0].position.h'],
  ['a fractional x', { name: 'x', widgets: [widget({ position: position(0.5, 0) })] }, 'widgets[0].position.x'],
  ['overlapping widgets', { name: 'x', widgets: [widget({}), widget({ position: position(2, 1) })] }, 'widgets[1].position'],
  ['two widgets with one id', { name: 'x', widgets: [widget({ id: 'a' }), widget({ id: 'a', position: position(6, 0) })] }, 'widgets[1].id'],
  ['a widget id with a slash', { name: 'x', widgets: [widget({ id: 'a/b' })] }, 'widgets[0].id'],
  ['a blank title', { name: 'x', widgets: [widget({ title: '' })] }, 'widgets[0].title'],
];

describe('validation', () => {
  it.each(BAD_BODIES)('POST with %s is a 400 naming the field, nothing saved', async (_what, body, field) => {
    const before = (await call('GET', `${DASHBOARDS}/`, admin)).body.count;
    const answer = await call('POST', `${DASHBOARDS}/`, admin, body);
    expect(answer.status).toBe(400);
    expect(answer.body.field).toBe(field);
    expect(answer.body.detail).toContain(field === 'body' ? '' : field);
    expect((await call('GET', `${DASHBOARDS}/`, admin)).body.count).toBe(before);
  });

  it('a bad PATCH changes nothing', async () => {
    const created = (await call('POST', `${DASHBOARDS}/`, admin, { name: 'Intact', widgets: [widget({ id: 'kept' })] })).body as Dashboard;
    for (const [, body, field] of BAD_BODIES.filter(([, body]) => !Array.isArray(body) && (body as Record<string, unknown>).name !== undefined)) {
      const { name: _name, ...patch } = body as Record<string, unknown>;
      if (Object.keys(patch).length === 0) continue;
      const answer = await call('PATCH', `${DASHBOARDS}/${created.id}/`, admin, patch);
      expect(answer.status, field).toBe(400);
      expect(answer.body.field).toBe(field);
    }
    expect((await call('GET', `${DASHBOARDS}/${created.id}/`, admin)).body).toEqual(created);
    await call('DELETE', `${DASHBOARDS}/${created.id}/`, admin);
  });

  it('refuses a form body, unknown query parameters and malformed ids', async () => {
    const form = await fetch(`${runtime.url}${DASHBOARDS}/`, { method: 'POST', headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'name=x' });
    expect(form.status).toBe(415);
    expect((await call('GET', `${DASHBOARDS}/?colour=red`, admin)).status).toBe(400);
    expect((await call('GET', `${DASHBOARDS}/?owner=${adminId}`, staff)).body.field ?? 'owner').toBe('owner');
    expect((await call('GET', `${DASHBOARDS}/not-a-uuid/`, admin)).status).toBe(404);
    expect((await call('GET', `${DASHBOARDS}/`, 'not-a-token')).status).toBe(401);
  });
});

describe('ownership', () => {
  it('another user gets 404 on every route; an administrator sees and changes it', async () => {
    const mine = (await call('POST', `${DASHBOARDS}/`, admin, { name: 'Privé', widgets: [widget({})] })).body as Dashboard;
    for (const [method, path, body] of [
      ['GET', `${DASHBOARDS}/${mine.id}/`, undefined],
      ['PATCH', `${DASHBOARDS}/${mine.id}/`, { name: 'volé' }],
      ['PATCH', `${DASHBOARDS}/${mine.id}/`, { refresh_seconds: 1 }],
      ['DELETE', `${DASHBOARDS}/${mine.id}/`, undefined],
      ['GET', `${DASHBOARDS}/${mine.id}/data/`, undefined],
      ['POST', `${DASHBOARDS}/${mine.id}/export/?type=pdf`, undefined],
    ] as const) {
      expect((await call(method, path, staff, body)).status, `${method} ${path}`).toBe(404);
    }
    expect((await call('GET', `${DASHBOARDS}/`, staff)).body.results.map((d: Dashboard) => d.id)).not.toContain(mine.id);
    expect((await call('GET', `${DASHBOARDS}/?owner=${adminId}`, staff)).status).toBe(400);
    expect((await call('GET', `${DASHBOARDS}/${mine.id}/`, admin)).body.name).toBe('Privé');

    const theirs = (await call('POST', `${DASHBOARDS}/`, staff, { name: 'Le mien' })).body as Dashboard;
    expect((await call('GET', `${DASHBOARDS}/${theirs.id}/`, secondAdmin)).status).toBe(200);
    const renamed = await call('PATCH', `${DASHBOARDS}/${theirs.id}/`, secondAdmin, { name: 'Revu' });
    expect(renamed.body).toMatchObject({ name: 'Revu', owner: staffId });
    expect((await call('GET', `${DASHBOARDS}/?owner=${staffId}`, secondAdmin)).body.results.map((d: Dashboard) => d.id)).toEqual([theirs.id]);
    await call('DELETE', `${DASHBOARDS}/${mine.id}/`, admin);
    await call('DELETE', `${DASHBOARDS}/${theirs.id}/`, staff);
  });
});

describe('data', () => {
  let dashboard: Dashboard;

  beforeAll(async () => {
    dashboard = (await call('POST', `${DASHBOARDS}/`, admin, { name: 'Données', widgets: WIDGETS })).body as Dashboard;
  });

  it('gives every widget the value at its key of the section endpoint with the same filters', async () => {
    const data = await call('GET', `${DASHBOARDS}/${dashboard.id}/data/`, admin);
    expect(data.status).toBe(200);
    const body = data.body as DashboardData;
    expect(body.dashboard_id).toBe(dashboard.id);
    expect(body.dashboard_updated_at).toBe(dashboard.updated_at);
    expect(body.partial).toBe(false);
    expect(body.data_as_of).toBe(runtime.ingest.freshness().dataAsOf);
    expect(body.widgets.map((widget) => widget.id)).toEqual(WIDGETS.map((widget) => widget.id));
    const value = (id: string) => body.widgets.find((widget) => widget.id === id)!.value;

    const requests = (await call('GET', `${STATISTICS}/requests/`, admin)).body;
    expect(value('total')).toBe(requests.total);
    expect(value('by-status')).toEqual(requests.by_status);
    // Each figure's unit, as the reports show it; none for what is not a section's figure.
    const format = (id: string) => body.widgets.find((widget) => widget.id === id)!.format;
    expect([format('total'), format('success'), format('logins'), format('by-status'), format('conversion'), format('new-24h')]).toEqual([
      'integer',
      'percent',
      'integer',
      null,
      null,
      null,
    ]);
    expect(value('success')).toBe((await call('GET', `${STATISTICS}/requests/?period=7d`, admin)).body.success_rate);
    expect(value('methods')).toEqual((await call('GET', `${STATISTICS}/financial/?period=30d&city=Bamako`, admin)).body.payment_methods);
    expect(value('daily')).toEqual((await call('GET', `${STATISTICS}/trends/`, admin)).body.daily);
    expect(value('logins')).toBe((await call('GET', `${STATISTICS}/security/`, admin)).body.failed_logins);
    expect(value('conversion')).toBe((await call('GET', `${STATISTICS}/kpis/`, admin)).body.business.conversion_rate);
    expect(value('new-24h')).toBe((await call('GET', `${STATISTICS}/real_time_stats/`, admin)).body.last_24h.new_requests);
    expect(value('top-tech')).toEqual((await call('GET', `${STATISTICS}/technicians/`, admin)).body.top_technicians[0]);
    expect(value('total')).toBeGreaterThan(0);
  });

  it('whose values the plain-SQL oracle on Postgres gives too, for the same filters and instant', async () => {
    const data = (await call('GET', `${DASHBOARDS}/${dashboard.id}/data/`, admin)).body as DashboardData;
    const cases: Array<[id: string, section: Section, query: string, key: string]> = [
      ['total', 'requests', '', 'total'],
      ['by-status', 'requests', '', 'by_status'],
      ['success', 'requests', 'period=7d', 'success_rate'],
      ['methods', 'financial', 'period=30d&city=Bamako', 'payment_methods'],
      ['daily', 'trends', '', 'daily'],
      ['logins', 'security', '', 'failed_logins'],
    ];
    for (const [id, section, query, key] of cases) {
      // The section's cached answer is the one the widget read: its instant is the widget's.
      const served = (await call('GET', `${STATISTICS}/${section}/?${query}`, admin)).body;
      const params = new URLSearchParams(query);
      const oracle = await sectionOnPostgres(db.pool, section, {
        period: (params.get('period') ?? 'all') as Period,
        now: new Date(served.calculation_info.last_calculation),
        city: params.get('city'),
      });
      expect(data.widgets.find((widget) => widget.id === id)!.value, id).toEqual((oracle as unknown as Record<string, unknown>)[key]);
    }
  });

  it('pushes on room dashboard:<id> the widgets a committed row moved, and only those', async () => {
    const socket = await connected(statisticsSocket(runtime.url, admin));
    sockets.push(socket);
    const room = `dashboard:${dashboard.id}`;
    const initial = nextEvent(socket, 'stats:update', (update) => update.room === room, 20_000, 'initial dashboard payload');
    expect(await subscribe(socket, room)).toEqual({ ok: true });
    const first = (await initial).data as DashboardData;
    expect(first.partial).toBe(false);
    const before = first.widgets.find((widget) => widget.id === 'total')!.value as number;

    const moved = nextEvent(socket, 'stats:update', (update) => update.room === room && (update.data as DashboardData).partial, 30_000, 'partial dashboard push');
    await insertRequest();
    const update = await moved;
    const pushed = update.data as DashboardData;
    const ids = pushed.widgets.map((widget) => widget.id);
    expect(ids).toContain('total');
    expect(pushed.widgets.find((widget) => widget.id === 'total')!.value).toBe(before + 1);
    // A new pending request moves neither the security figures nor the technicians' ranking.
    expect(ids).not.toContain('logins');
    expect(ids).not.toContain('top-tech');
    expect(update.data_as_of).not.toBeNull();
    expect(update.data_as_of! >= first.data_as_of!).toBe(true);

    // A change to the dashboard itself reaches the screens watching it at once: the new widget's
    // value, and the dashboard's new updated_at (a screen with an older copy reads it again).
    const changed = nextEvent(socket, 'stats:update', (u) => u.room === room && (u.data as DashboardData).widgets.some((widget) => widget.id === 'added'), 30_000, 'push after a PATCH');
    const patched = await call('PATCH', `${DASHBOARDS}/${dashboard.id}/`, admin, {
      widgets: [...dashboard.widgets, { id: 'added', type: 'metric', title: 'Techniciens', source: { endpoint: 'technicians', key: 'total' }, position: position(0, 20) }],
    });
    expect(patched.status).toBe(200);
    const afterPatch = (await changed).data as DashboardData;
    expect(afterPatch.dashboard_updated_at).toBe(patched.body.updated_at);
    expect(afterPatch.widgets.find((widget) => widget.id === 'added')!.value).toBe((await call('GET', `${STATISTICS}/technicians/`, admin)).body.total);
    dashboard = patched.body as Dashboard;
  });

  it('admits only the owner and administrators to the room', async () => {
    const other = await connected(statisticsSocket(runtime.url, staff));
    sockets.push(other);
    expect(await subscribe(other, `dashboard:${dashboard.id}`)).toEqual({ ok: false, error: `unknown dashboard ${dashboard.id}` });
    expect((await subscribe(other, 'dashboard:not-a-uuid')).ok).toBe(false);
    const second = await connected(statisticsSocket(runtime.url, secondAdmin));
    sockets.push(second);
    expect(await subscribe(second, `dashboard:${dashboard.id}`)).toEqual({ ok: true });
  });

  it('exports what it shows as a workbook, through the exports module', async () => {
    expect((await call('POST', `${DASHBOARDS}/${dashboard.id}/export/?type=json`, admin)).status).toBe(400);
    expect((await call('POST', `${DASHBOARDS}/${dashboard.id}/export/`, admin)).status).toBe(400);
    const accepted = await call('POST', `${DASHBOARDS}/${dashboard.id}/export/?type=excel`, admin);
    expect(accepted.status).toBe(202);
    const exportId = accepted.body.export_id as string;
    let job: any;
    for (let i = 0; i < 120; i++) {
      job = (await call('GET', `${STATISTICS}/exports/${exportId}/`, admin)).body;
      if (job.status === 'completed' || job.status === 'failed') break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(job.status, job.error).toBe('completed');
    expect(job.dashboard).toEqual({ id: dashboard.id, name: 'Données' });
    expect(job.sections).toEqual(['requests', 'financial', 'technicians', 'security', 'trends']);
    const file = await fetch(job.download_url.startsWith('http') ? job.download_url : `${runtime.url}${job.download_url}`);
    expect(file.status).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(Buffer.from(await file.arrayBuffer()) as never);
    // A summary, the metric widgets' figures together, then one sheet per other widget.
    const names = workbook.worksheets.map((sheet) => sheet.name);
    expect(names.length).toBe(2 + WIDGETS.filter((widget) => widget.type !== 'metric').length);
    expect(names[1]).toBe('Indicateurs');
    // The figure of the "Demandes" widget is the data endpoint's number, beside its label.
    const data = (await call('GET', `${DASHBOARDS}/${dashboard.id}/data/`, admin)).body as DashboardData;
    const total = data.widgets.find((widget) => widget.id === 'total')!.value;
    const rows: unknown[][] = [];
    workbook.worksheets[1]!.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
    expect(rows).toContainEqual(['Demandes (Demandes · Toute la période)', total]);
    const statusSheet = workbook.worksheets.find((sheet) => sheet.name.startsWith('Par statut'))!;
    const statusRows: unknown[][] = [];
    statusSheet.eachRow((row) => statusRows.push((row.values as unknown[]).slice(1)));
    for (const [status, count] of Object.entries(data.widgets.find((widget) => widget.id === 'by-status')!.value as Record<string, number>)) {
      // By its French name, as the widget shows it on the page.
      expect(statusRows).toContainEqual([statusLabel(status), count]);
    }
    // Another user cannot see the job (exports belong to their creator).
    expect((await call('GET', `${STATISTICS}/exports/${exportId}/`, staff)).status).toBe(404);
  });
});

describe('audit log', () => {
  it('records creations, changes and deletions of dashboards', async () => {
    const created = (await call('POST', `${DASHBOARDS}/`, admin, { name: 'Audité' })).body as Dashboard;
    await call('PATCH', `${DASHBOARDS}/${created.id}/`, admin, { name: 'Audité 2' });
    await call('DELETE', `${DASHBOARDS}/${created.id}/`, admin);
    const entries = (await call('GET', `${STATISTICS}/audit-log/?page_size=500`, admin)).body.results as Array<{ action: string; target_id: string; user_id: number; detail: Record<string, unknown> }>;
    const ours = entries.filter((entry) => entry.target_id === created.id).reverse();
    expect(ours.map((entry) => entry.action)).toEqual(['dashboard.created', 'dashboard.updated', 'dashboard.deleted']);
    expect(ours.every((entry) => entry.user_id === adminId)).toBe(true);
    expect(ours[1]!.detail).toMatchObject({ fields: ['name'] });
  });
});

describe('state in Postgres', () => {
  it('the same CRUD, default and validation with STATE_DATABASE_URL', async () => {
    // One embedded ClickHouse per process: the first runtime goes first.
    for (const socket of sockets.splice(0)) socket.disconnect();
    await runtime.destroy();
    runtime = undefined as unknown as TestRuntime;
    const stateDb = await createTestDatabase({ schema: false });
    const operational = await createTestDatabase();
    await seedDemoData(operational.pool, { requests: 50, seed: 4 });
    const { rows } = await operational.pool.query<{ id: string }>("SELECT id FROM users_user WHERE user_type = 'admin' AND is_active ORDER BY id LIMIT 1");
    const token = signAccessToken(Number(rows[0]!.id), TEST_JWT_SECRET, 600);
    const pgRuntime = await startTestRuntime(operational, { STATE_DATABASE_URL: stateDb.url });
    try {
      const request = async (method: string, path: string, body?: unknown) => {
        const response = await fetch(`${pgRuntime.url}${path}`, {
          method,
          headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await response.text();
        return { status: response.status, body: text ? JSON.parse(text) : null };
      };
      expect((await request('GET', `${DASHBOARDS}/`)).body.count).toBe(1);
      const created = await request('POST', `${DASHBOARDS}/`, { name: 'PG', is_default: true, widgets: WIDGETS.slice(0, 3) });
      expect(created.status).toBe(201);
      expect((await request('PATCH', `${DASHBOARDS}/${created.body.id}/`, { widgets: [widget({}), widget({ position: position(1, 1) })] })).status).toBe(400);
      const list = (await request('GET', `${DASHBOARDS}/`)).body.results as Dashboard[];
      expect(list.map((dashboard) => [dashboard.name, dashboard.is_default])).toEqual([
        ["Vue d'ensemble", false],
        ['PG', true],
      ]);
      expect(list[1]!.widgets).toEqual(created.body.widgets);
      const stored = await stateDb.pool.query('SELECT owner_id, name FROM dashboards ORDER BY created_at');
      expect(stored.rows.map((row) => row.name)).toEqual(["Vue d'ensemble", 'PG']);
    } finally {
      await pgRuntime.destroy();
      await operational.drop();
      await stateDb.drop();
    }
  }, 180_000);
});
