// The web dashboard's actions in Debian's Chromium against the service booted in-process on a test
// database: alerts (a rule refused then created in the form, the alert it raises arriving as a
// toast, acknowledged from the page and so in the API, the rule switched off and deleted), exports
// (a tab's Excel and JSON files downloaded with that tab's section and the page's filters, listed
// on the exports page), custom dashboards (created, widgets added from the API's catalogue, one
// dragged and one resized, their places read back from the API and kept after a reload, renamed,
// exported, deleted); no console error. Screenshots in test-artifacts/dashboard-actions/.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoData } from '../../apps/demo/src/seed.js';
import { signAccessToken } from '../../libs/access-token/src/sign.js';
import { AlertsService } from '../../apps/api/src/alerts/alerts.service.js';
import type { Alert, AlertRule } from '../../libs/metrics/src/alerts.js';
import type { Dashboard } from '../../libs/metrics/src/dashboards.js';
import type { ExportJobView } from '../../libs/metrics/src/exports.js';
import { artifactsDir, ensureDashboardBuilt, launchChromium, openPage, signIn } from '../factories/browser.js';
import { createTestDatabase, type TestDatabase } from '../factories/databases.js';
import { startTestRuntime, TEST_JWT_SECRET, type TestRuntime } from '../factories/runtime.js';

const API = '/depannage/api/statistics';

/** The page's own globals, as far as the functions run inside it by page.evaluate use them. */
declare const document: {
  querySelector(selector: string): { getBoundingClientRect(): { left: number; top: number; width: number; height: number } } | null;
  documentElement: { scrollWidth: number };
};

let db: TestDatabase;
let runtime: TestRuntime;
let browser: Browser;
let adminId: number;
let adminToken: string;
let shots: string;
const consoleErrors: string[] = [];
/** The 400s this test asks for on purpose (a refused form): the browser logs each as an error line. */
let refusalsAsked = 0;

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(runtime.url + path, {
    method,
    headers: { Authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : JSON.parse(text) };
}

async function apiGet(path: string): Promise<any> {
  const answer = await api('GET', path);
  expect(answer.status, path).toBe(200);
  return answer.body;
}

/** A signed-in page at `path` (laptop width unless told), recording console errors for the last check. */
async function openSignedIn(path: string, viewport = { width: 1366, height: 900 }): Promise<{ context: BrowserContext; page: Page }> {
  const { context, page } = await openPage(browser, (line) => consoleErrors.push(`${path}: ${line}`), { viewport, acceptDownloads: true });
  await page.goto(runtime.url + path);
  await signIn(page, adminToken);
  await expect.poll(() => page.getByTestId('live-state').getAttribute('data-state'), { timeout: 60_000 }).toBe('live');
  return { context, page };
}

/**
 * Sends `form` with its button `submit`, expecting the API's 400 on `field` (counted as a refusal
 * asked on purpose): the message the page shows beside that field.
 */
async function refusedField(form: Locator, submit: string, field: string): Promise<string> {
  await form.getByRole('button', { name: submit }).click();
  refusalsAsked++;
  const error = form.locator(`[data-field="${field}"] .field-error`);
  await error.waitFor({ timeout: 30_000 });
  return (await error.textContent()) ?? '';
}

beforeAll(async () => {
  await ensureDashboardBuilt();
  shots = artifactsDir('dashboard-actions');
  db = await createTestDatabase();
  await seedDemoData(db.pool, { requests: 400, seed: 21 });
  runtime = await startTestRuntime(db, {
    ENGINE_QUEUE_TIMEOUT_SECONDS: '120',
    // Only the rule this test creates raises: the defaults' thresholds out of reach, evaluations on demand.
    REQUEST_THRESHOLD: '100000000',
    REVENUE_THRESHOLD: '100000000000',
    FAILURE_RATE_THRESHOLD: '100',
    ALERT_EVALUATION_SECONDS: '3600',
  });
  const admin = await db.pool.query<{ id: string }>("SELECT id FROM users_user WHERE user_type = 'admin' AND is_active ORDER BY id LIMIT 1");
  adminId = Number(admin.rows[0]!.id);
  adminToken = signAccessToken(adminId, TEST_JWT_SECRET, 3600);
  browser = await launchChromium();
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await runtime?.destroy();
  await db?.drop();
});

describe('alerts page', () => {
  it('a rule refused then created in the form raises an alert shown as a toast; acknowledged from the page, it is in the API; the rule switched off and deleted', async () => {
    const { context, page } = await openSignedIn('/tableau/alertes');
    await page.getByRole('heading', { name: 'Alertes', exact: true }).waitFor();
    const rulesBefore = (await apiGet(`${API}/alert-rules/`)).count as number;
    await expect.poll(() => page.locator('[data-testid="alert-rules"] tbody tr').count(), { timeout: 30_000 }).toBe(rulesBefore);

    // A negative threshold: the API's 400 names `threshold`, shown next to that field; nothing saved.
    await page.getByRole('button', { name: 'Nouvelle règle' }).click();
    const form = page.getByRole('form', { name: 'Nouvelle règle d\'alerte' });
    await form.getByLabel('Nom').fill('Test navigateur : demandes');
    await form.getByLabel('Comparaison').selectOption('gte');
    await form.getByLabel('Seuil').fill('-5');
    await form.getByLabel('Fenêtre').selectOption('30d');
    await form.getByLabel('Gravité').selectOption('critical');
    expect(await refusedField(form, 'Créer la règle', 'threshold')).toMatch(/threshold/);
    expect(await form.getByLabel('Seuil').getAttribute('aria-invalid')).toBe('true');
    expect((await apiGet(`${API}/alert-rules/`)).count).toBe(rulesBefore);
    await page.screenshot({ path: join(shots, '01-alert-rule-refused.png'), fullPage: true });

    // Corrected: created, listed, in the API as typed.
    await form.getByLabel('Seuil').fill('0');
    await form.getByRole('button', { name: 'Créer la règle' }).click();
    await expect.poll(() => page.locator('[data-testid="alert-rules"] tbody tr').count(), { timeout: 30_000 }).toBe(rulesBefore + 1);
    const rule = ((await apiGet(`${API}/alert-rules/`)).results as AlertRule[]).find((candidate) => candidate.name === 'Test navigateur : demandes')!;
    expect(rule).toMatchObject({ kind: 'threshold', metric: 'requests', comparison: 'gte', threshold: 0, window: '30d', severity: 'critical', enabled: true });

    // Raised while the page is open: a toast, then the alert in the list.
    const alerts = runtime.app.get(AlertsService, { strict: false });
    await alerts.evaluate('threshold');
    await expect.poll(async () => (await apiGet(`${API}/alerts/?status=open&rule=${rule.id}`)).count, { timeout: 30_000 }).toBe(1);
    const [raised] = (await apiGet(`${API}/alerts/?status=open&rule=${rule.id}`)).results as Alert[];
    const toast = page.locator(`[data-testid="alert-toast"][data-alert-id="${raised!.id}"]`);
    await toast.waitFor({ timeout: 30_000 });
    expect(await toast.textContent()).toContain('Critique');
    await page.screenshot({ path: join(shots, '02-alert-raised.png'), fullPage: true });
    // The toast closes by its button (it would cover the rules table's right-hand column).
    await toast.getByRole('button', { name: 'Fermer la notification' }).click();
    await expect.poll(() => toast.count(), { timeout: 10_000 }).toBe(0);
    const item = page.locator(`li[data-alert-id="${raised!.id}"]`);
    await item.waitFor({ timeout: 30_000 });
    expect(await item.getAttribute('data-status')).toBe('open');
    const unresolved = async (): Promise<number> =>
      (await apiGet(`${API}/alerts/?status=open&page_size=500`)).count + (await apiGet(`${API}/alerts/?status=acknowledged&page_size=500`)).count;
    await expect.poll(() => page.getByTestId('alert-badge').getAttribute('data-count'), { timeout: 30_000 }).toBe(String(await unresolved()));

    // Acknowledged from the page: the API records it, by this admin.
    await item.getByRole('button', { name: 'Prendre en compte' }).click();
    await expect.poll(async () => ((await apiGet(`${API}/alerts/?status=acknowledged&rule=${rule.id}`)).results as Alert[]).map((alert) => alert.id), { timeout: 30_000 }).toEqual([raised!.id]);
    const [acknowledged] = (await apiGet(`${API}/alerts/?status=acknowledged&rule=${rule.id}`)).results as Alert[];
    expect(acknowledged!.acknowledged_by).toBe(adminId);
    await expect.poll(() => item.getAttribute('data-status'), { timeout: 30_000 }).toBe('acknowledged');
    expect(await item.getByRole('button', { name: 'Prendre en compte' }).count()).toBe(0);

    // A tablet in portrait: the page fits the screen (wide tables scroll in their own box).
    await page.setViewportSize({ width: 768, height: 1024 });
    await page.waitForTimeout(400);
    await page.screenshot({ path: join(shots, '02b-alerts-tablet.png'), fullPage: true });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(768);
    await page.setViewportSize({ width: 1366, height: 900 });

    // Switched off, then deleted, from the rules table.
    const row = page.locator(`tr[data-rule-id="${rule.id}"]`);
    // The box shows the API's state: it changes once the PATCH is answered, so a click, then the API.
    await row.getByRole('checkbox').click();
    await expect.poll(async () => (await apiGet(`${API}/alert-rules/${rule.id}`)).enabled, { timeout: 30_000 }).toBe(false);
    await expect.poll(() => row.getByRole('checkbox').isChecked(), { timeout: 30_000 }).toBe(false);
    await row.getByRole('button', { name: /Supprimer la règle/ }).click();
    await row.getByRole('button', { name: 'Confirmer la suppression' }).click();
    await expect.poll(async () => (await api('GET', `${API}/alert-rules/${rule.id}`)).status, { timeout: 30_000 }).toBe(404);
    await expect.poll(() => row.count(), { timeout: 30_000 }).toBe(0);
    await context.close();
  });
});

describe('exports', () => {
  it('a tab\'s Excel and JSON buttons download files of that tab\'s section with the page\'s filters; the exports page lists them', async () => {
    const { context, page } = await openSignedIn('/tableau/financier?period=7d');
    const bar = page.getByRole('group', { name: 'Exporter l\'onglet Financier' });

    const [excel] = await Promise.all([page.waitForEvent('download', { timeout: 180_000 }), bar.getByRole('button', { name: 'Exporter l\'onglet Financier en Excel' }).click()]);
    expect(excel.suggestedFilename()).toMatch(/^statistiques_depanneteliman_.*7d.*\.xlsx$/);
    const workbook = await readFile((await excel.path())!);
    expect(workbook.subarray(0, 4).toString('latin1')).toBe('PK\u0003\u0004');
    expect(workbook.length).toBeGreaterThan(2000);
    await expect.poll(() => bar.getByTestId('export-job').getAttribute('data-status'), { timeout: 30_000 }).toBe('completed');
    expect(await bar.getByRole('link', { name: /Télécharger/ }).count()).toBe(1);

    const [json] = await Promise.all([page.waitForEvent('download', { timeout: 180_000 }), bar.getByRole('button', { name: 'Exporter l\'onglet Financier en JSON' }).click()]);
    const report = JSON.parse(await readFile((await json.path())!, 'utf8'));
    expect(Object.keys(report.sections)).toEqual(['financial']);
    expect(report.filters).toMatchObject({ period: '7d', city: null, specialty: null });
    // The file's figures are the API's for the same filters and data_as_of.
    const financial = await apiGet(`${API}/financial/?period=7d`);
    expect(report.sections.financial.total_revenue).toBe(financial.total_revenue);

    const jobs = (await apiGet(`${API}/exports/`)).results as ExportJobView[];
    expect(jobs.slice(0, 2).map((job) => [job.type, job.status, job.sections, job.filters.period])).toEqual([
      ['json', 'completed', ['financial'], '7d'],
      ['excel', 'completed', ['financial'], '7d'],
    ]);

    await page.getByRole('link', { name: 'Exports et rapports' }).click();
    await page.locator('[data-testid="past-exports"]').waitFor({ timeout: 30_000 });
    for (const job of jobs.slice(0, 2)) expect(await page.locator(`tr[data-export-id="${job.export_id}"]`).textContent()).toContain('Financier');
    await page.getByRole('heading', { name: 'Rapports programmés', exact: true }).waitFor();

    // A report schedule: a cron every minute is refused beside « Quand »; every Monday is created.
    await page.getByRole('button', { name: 'Nouveau rapport programmé' }).click();
    const form = page.getByRole('form', { name: 'Nouveau rapport programmé' });
    await form.getByLabel('Nom (objet du courriel)').fill('Hebdo navigateur');
    await form.getByLabel('Quand (cron à 5 champs)').fill('* * * * *');
    await form.getByLabel('Format').selectOption('csv');
    await form.getByLabel('Webhook (URL http/https, facultatif)').fill('https://ops.example.ml/hooks/reports');
    expect(await refusedField(form, 'Créer le rapport', 'cron')).toMatch(/cron/);
    expect((await apiGet(`${API}/report-schedules/`)).count).toBe(0);
    await form.getByLabel('Quand (cron à 5 champs)').fill('0 8 * * 1');
    await form.getByRole('button', { name: 'Créer le rapport' }).click();
    await expect.poll(async () => (await apiGet(`${API}/report-schedules/`)).count, { timeout: 30_000 }).toBe(1);
    const [schedule] = (await apiGet(`${API}/report-schedules/`)).results;
    expect(schedule).toMatchObject({ name: 'Hebdo navigateur', cron: '0 8 * * 1', type: 'csv', period: '7d', webhook_url: 'https://ops.example.ml/hooks/reports', enabled: true });
    const scheduleRow = page.locator(`tr[data-schedule-id="${schedule.id}"]`);
    await scheduleRow.waitFor({ timeout: 30_000 });
    await scheduleRow.getByRole('checkbox').click();
    await expect.poll(async () => (await apiGet(`${API}/report-schedules/${schedule.id}/`)).enabled, { timeout: 30_000 }).toBe(false);
    await page.screenshot({ path: join(shots, '03-exports-page.png'), fullPage: true });
    await context.close();
  });
});

/** The place a widget is drawn at, in grid units, from its box and the grid's (12 columns, margins 10 px). */
async function drawnPosition(page: Page, widgetId: string, rowHeight: number): Promise<{ x: number; y: number; w: number; h: number }> {
  return page.evaluate(
    ({ id, row }) => {
      const grid = document.querySelector('.react-grid-layout')!.getBoundingClientRect();
      const box = document.querySelector(`[data-widget-id="${id}"]`)!.getBoundingClientRect();
      const margin = 10;
      const column = (grid.width - margin * 13) / 12;
      return {
        x: Math.round((box.left - grid.left - margin) / (column + margin)),
        y: Math.round((box.top - grid.top - margin) / (row + margin)),
        w: Math.round((box.width + margin) / (column + margin)),
        h: Math.round((box.height + margin) / (row + margin)),
      };
    },
    { id: widgetId, row: rowHeight },
  );
}

describe('custom dashboards', () => {
  it('created, widgets added from the catalogue, dragged and resized: the places are the API\'s and stay after a reload; renamed, exported, deleted', async () => {
    const { context, page } = await openSignedIn('/tableau/mes-tableaux');
    // The API's first list gives the guide's overview as the default dashboard, opened first.
    await page.locator('[data-dashboard-id] .react-grid-layout').waitFor({ timeout: 60_000 });
    await expect.poll(() => page.locator('.widget-metric').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    // Figures in their unit, as on the tabs and in the exports: revenue in FCFA, the rating out of 5.
    await expect.poll(() => page.locator('[data-widget-id="total-revenue"] .widget-metric').textContent(), { timeout: 60_000 }).toMatch(/^[\d\s\u202f\u00a0]+(,\d+)?\u00a0FCFA$/);
    expect(await page.locator('[data-widget-id="avg-rating"] .widget-metric').textContent()).toMatch(/\/\s?5$/);
    await page.waitForTimeout(800);
    await page.screenshot({ path: join(shots, '04-default-dashboard.png'), fullPage: true });

    const defaultPath = new URL(page.url()).pathname;
    expect(defaultPath).toMatch(/^\/tableau\/mes-tableaux\/[0-9a-f-]{36}$/);
    await page.getByRole('button', { name: 'Nouveau tableau' }).click();
    await page.getByLabel('Nom du tableau').fill('Suivi navigateur');
    await page.getByRole('button', { name: 'Créer', exact: true }).click();
    await expect.poll(() => new URL(page.url()).pathname, { timeout: 30_000 }).not.toBe(defaultPath);
    expect(new URL(page.url()).pathname).toMatch(/^\/tableau\/mes-tableaux\/[0-9a-f-]{36}$/);
    const dashboardId = new URL(page.url()).pathname.split('/').pop()!;
    expect((await apiGet(`${API}/dashboards/${dashboardId}/`)).name).toBe('Suivi navigateur');

    // A figure from the catalogue: requests › total, equal to the section endpoint.
    await page.getByRole('button', { name: 'Ajouter un widget' }).click();
    let editor = page.getByRole('form', { name: 'Nouveau widget' });
    await editor.getByLabel('Titre').fill('Demandes totales');
    await editor.getByLabel('Type').selectOption('metric');
    await editor.getByLabel('Source (statistiques)').selectOption('requests');
    await editor.getByLabel('Valeur', { exact: true }).selectOption('total');
    await editor.getByRole('button', { name: 'Ajouter le widget' }).click();
    await expect.poll(async () => (await apiGet(`${API}/dashboards/${dashboardId}/`)).widgets.length, { timeout: 30_000 }).toBe(1);
    const requests = await apiGet(`${API}/requests/`);
    await expect.poll(() => page.locator('[data-widget-value]').first().getAttribute('data-widget-value'), { timeout: 60_000 }).toBe(String(requests.total));

    // A key the answer does not have: the API's 400 beside the typed path; nothing saved.
    await page.getByRole('button', { name: 'Ajouter un widget' }).click();
    editor = page.getByRole('form', { name: 'Nouveau widget' });
    await editor.getByLabel('Titre').fill('Par statut');
    await editor.getByLabel('Type').selectOption('pie');
    await editor.getByLabel('Source (statistiques)').selectOption('requests');
    await editor.getByLabel('Ou chemin précis (facultatif)').fill('by_statut');
    expect(await refusedField(editor, 'Ajouter le widget', 'customKey')).toMatch(/by_statut/);
    expect((await apiGet(`${API}/dashboards/${dashboardId}/`)).widgets.length).toBe(1);
    await editor.getByLabel('Ou chemin précis (facultatif)').fill('');
    await editor.getByLabel('Valeur', { exact: true }).selectOption('by_status');
    await editor.getByRole('button', { name: 'Ajouter le widget' }).click();
    await expect.poll(async () => (await apiGet(`${API}/dashboards/${dashboardId}/`)).widgets.length, { timeout: 30_000 }).toBe(2);
    await page.locator('[data-widget-id] canvas').first().waitFor({ timeout: 60_000 });

    const created = (await apiGet(`${API}/dashboards/${dashboardId}/`)) as Dashboard;
    const [figure, pie] = created.widgets;
    expect(figure!.position).toEqual({ x: 0, y: 0, w: 4, h: 3 });
    expect(pie!.position).toEqual({ x: 0, y: 3, w: 4, h: 3 });
    const rowHeight = created.layout.row_height;

    // Drag the figure by its title six columns to the right.
    const gridBox = (await page.locator('.react-grid-layout').boundingBox())!;
    const columnStep = (gridBox.width - 10 * 13) / 12 + 10;
    const title = (await page.locator(`[data-widget-id="${figure!.id}"] .widget-title`).boundingBox())!;
    await page.mouse.move(title.x + 20, title.y + title.height / 2);
    await page.mouse.down();
    for (let step = 1; step <= 12; step++) await page.mouse.move(title.x + 20 + (step * 6 * columnStep) / 12, title.y + title.height / 2);
    await page.mouse.up();
    await expect.poll(async () => ((await apiGet(`${API}/dashboards/${dashboardId}/`)) as Dashboard).widgets.find((widget) => widget.id === figure!.id)!.position.x, { timeout: 30_000 }).toBe(6);

    // Resize the pie by its corner: two columns wider, two rows taller.
    const handle = page.locator(`[data-widget-id="${pie!.id}"] .react-resizable-handle-se`);
    // The pie has moved up to the top row (vertical compaction), with a CSS transition: grab its
    // corner once it stands still (a corner read mid-move is missed on a loaded machine).
    await expect.poll(() => page.locator(`[data-widget-id="${pie!.id}"]`).getAttribute('data-position'), { timeout: 30_000 }).toBe('0,0,4,3');
    let corner = (await handle.boundingBox())!;
    for (let settled = 0; settled < 3; ) {
      await page.waitForTimeout(100);
      const next = (await handle.boundingBox())!;
      settled = next.x === corner.x && next.y === corner.y ? settled + 1 : 0;
      corner = next;
    }
    await page.mouse.move(corner.x + corner.width / 2, corner.y + corner.height / 2);
    await page.mouse.down();
    for (let step = 1; step <= 10; step++) {
      await page.mouse.move(corner.x + corner.width / 2 + (step * 2 * columnStep) / 10, corner.y + corner.height / 2 + (step * 2 * (rowHeight + 10)) / 10);
    }
    await page.mouse.up();
    await expect.poll(async () => ((await apiGet(`${API}/dashboards/${dashboardId}/`)) as Dashboard).widgets.find((widget) => widget.id === pie!.id)!.position, { timeout: 30_000 }).toMatchObject({ w: 6, h: 5 });
    await expect.poll(() => page.getByTestId('layout-state').getAttribute('data-state'), { timeout: 30_000 }).toBe('saved');

    const saved = (await apiGet(`${API}/dashboards/${dashboardId}/`)) as Dashboard;
    const savedPositions = Object.fromEntries(saved.widgets.map((widget) => [widget.id, widget.position]));
    // The figure kept its column; the pie, alone in the first columns, moved up to the top row.
    expect(savedPositions[figure!.id]).toMatchObject({ x: 6, w: 4, h: 3 });
    expect(savedPositions[pie!.id]).toMatchObject({ x: 0, w: 6, h: 5 });
    for (const widget of saved.widgets) expect(await drawnPosition(page, widget.id, rowHeight)).toEqual(widget.position);

    // After a reload the page draws the API's places.
    await page.reload();
    await page.locator(`[data-widget-id="${pie!.id}"] canvas`).waitFor({ timeout: 60_000 });
    for (const widget of saved.widgets) {
      expect(await page.locator(`[data-widget-id="${widget.id}"]`).getAttribute('data-position')).toBe(`${widget.position.x},${widget.position.y},${widget.position.w},${widget.position.h}`);
      expect(await drawnPosition(page, widget.id, rowHeight)).toEqual(widget.position);
    }
    await page.waitForTimeout(800);
    await page.screenshot({ path: join(shots, '05-custom-dashboard.png'), fullPage: true });

    // Renamed.
    await page.getByRole('button', { name: 'Renommer' }).click();
    await page.getByLabel('Nouveau nom').fill('Suivi renommé');
    await page.getByRole('button', { name: 'Enregistrer le nom' }).click();
    await expect.poll(async () => (await apiGet(`${API}/dashboards/${dashboardId}/`)).name, { timeout: 30_000 }).toBe('Suivi renommé');
    await page.getByRole('heading', { name: 'Suivi renommé' }).waitFor();

    // Exported as a workbook through the API's dashboard export.
    const bar = page.getByRole('group', { name: /Exporter le tableau/ });
    const [excel] = await Promise.all([page.waitForEvent('download', { timeout: 180_000 }), bar.getByRole('button', { name: /en Excel$/ }).click()]);
    const workbook = await readFile((await excel.path())!);
    expect(workbook.subarray(0, 4).toString('latin1')).toBe('PK\u0003\u0004');
    const [json] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), bar.getByRole('button', { name: /en JSON$/ }).click()]);
    const values = JSON.parse(await readFile((await json.path())!, 'utf8'));
    expect(values.data.widgets.find((widget: { id: string }) => widget.id === figure!.id).value).toBe(requests.total);

    // A tablet in portrait: the grid still fits the screen.
    await page.setViewportSize({ width: 768, height: 1024 });
    await page.waitForTimeout(600);
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(scrollWidth).toBeLessThanOrEqual(768);
    await page.screenshot({ path: join(shots, '06-custom-dashboard-tablet.png'), fullPage: true });
    await page.setViewportSize({ width: 1366, height: 900 });

    // Deleted.
    await page.getByRole('button', { name: 'Supprimer le tableau' }).click();
    await page.getByRole('button', { name: 'Confirmer la suppression du tableau' }).click();
    await expect.poll(async () => (await api('GET', `${API}/dashboards/${dashboardId}/`)).status, { timeout: 30_000 }).toBe(404);
    await context.close();
  });
});

describe('console', () => {
  it('no page logged an error but the browser\'s lines for the refusals asked on purpose', () => {
    const refusals = consoleErrors.filter((error) => /status of 400 \(Bad Request\)$/.test(error));
    expect(refusals).toHaveLength(refusalsAsked);
    expect(consoleErrors.filter((error) => !refusals.includes(error))).toEqual([]);
  });
});
