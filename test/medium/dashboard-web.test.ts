/// <reference lib="dom" />
// (The callbacks given to page.evaluate run in the browser: DOM types for them.)
// The web dashboard (apps/dashboard) in Debian's Chromium against the service booted in-process on a
// test database: served at / and /tableau/… without shadowing the API; login; each of the guide's 8
// tabs shows the API's numbers (figure by figure, in French format); a period change shows that
// period's numbers; a row committed in Postgres appears on the open page without reload; no console
// error. Screenshots of every tab go to test-artifacts/dashboard/ (not committed).
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoData } from '../../apps/demo/src/seed.js';
import { Simulator } from '../../apps/demo/src/simulator.js';
import { signAccessToken } from '../../libs/access-token/src/sign.js';
import { formatValue, type ValueKind } from '../../apps/dashboard/src/format/fr.js';
import { artifactsDir, ensureDashboardBuilt, launchChromium, openPage as openBrowserPage, signIn } from '../factories/browser.js';
import { createTestDatabase, type TestDatabase } from '../factories/databases.js';
import { startTestRuntime, TEST_JWT_SECRET, type TestRuntime } from '../factories/runtime.js';

const API = '/depannage/api/statistics';

let db: TestDatabase;
let runtime: TestRuntime;
let browser: Browser;
let adminToken: string;
let clientToken: string;
let shots: string;

async function api(path: string, token = adminToken): Promise<any> {
  const response = await fetch(runtime.url + path, { headers: { Authorization: `Bearer ${token}` } });
  expect(response.status, `${path}`).toBe(200);
  return response.json();
}

/** A fresh browser page that records console errors and failed page errors. */
async function openPage(viewport?: { width: number; height: number }): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const errors: string[] = [];
  return { ...(await openBrowserPage(browser, (line) => errors.push(line), viewport ? { viewport } : {})), errors };
}

beforeAll(async () => {
  await ensureDashboardBuilt();
  shots = artifactsDir('dashboard');
  db = await createTestDatabase();
  await seedDemoData(db.pool, { requests: 1500, seed: 12 });
  // Moderated reviews, so the satisfaction figures are not all zero.
  await db.pool.query(`UPDATE depannage_review SET moderation_status = 'approved' WHERE id % 2 = 0`);
  // The machine running the tests is shared: a request may wait longer than the default 10 s for
  // the one-query-at-a-time embedded engine, which is not what this test is about.
  runtime = await startTestRuntime(db, { ENGINE_QUEUE_TIMEOUT_SECONDS: '120' });
  const admin = await db.pool.query<{ id: string }>("SELECT id FROM users_user WHERE user_type = 'admin' AND is_active ORDER BY id LIMIT 1");
  adminToken = signAccessToken(Number(admin.rows[0]!.id), TEST_JWT_SECRET, 3600);
  const client = await db.pool.query<{ id: string }>("SELECT id FROM users_user WHERE user_type = 'client' AND is_active AND NOT is_staff ORDER BY id LIMIT 1");
  clientToken = signAccessToken(Number(client.rows[0]!.id), TEST_JWT_SECRET, 3600);
  browser = await launchChromium();
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await runtime?.destroy();
  await db?.drop();
});

describe('served by the API', () => {
  it('the page at / and /tableau/…, assets cached for good; the API, docs and health untouched', async () => {
    for (const path of ['/', '/tableau/demandes', '/tableau/geographie?period=7d']) {
      const response = await fetch(runtime.url + path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toMatch(/^text\/html/);
      expect(await response.text(), path).toContain('<div id="root">');
    }
    const page = await (await fetch(runtime.url + '/')).text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(page)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(runtime.url + script);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');

    const unknownApi = await fetch(runtime.url + `${API}/no-such-section/`, { headers: { Accept: 'text/html', Authorization: `Bearer ${adminToken}` } });
    expect(unknownApi.status).toBe(404);
    expect(unknownApi.headers.get('content-type')).toMatch(/json/);
    expect((await fetch(runtime.url + '/health/live')).headers.get('content-type')).toMatch(/json/);
    expect((await fetch(runtime.url + '/docs-json')).headers.get('content-type')).toMatch(/json/);
    expect((await fetch(runtime.url + '/socket.io/?EIO=4&transport=polling')).status).toBe(200);
    expect((await fetch(runtime.url + '/nowhere')).status).toBe(404);
  });
});

describe('login', () => {
  it('a refused token goes back to the form with a message; a non-admin is told why; an admin enters', async () => {
    const { context, page, errors } = await openPage();
    await page.goto(runtime.url + '/');
    await expect.poll(() => page.getByLabel('Jeton d\'accès').isVisible()).toBe(true);
    // No demo account with DATABASE_URL: no one-click sign-in offered.
    expect(await page.getByRole('button', { name: 'Connexion démo' }).count()).toBe(0);

    await signIn(page, 'not-a-token');
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 30_000 }).toMatch(/Jeton refusé/);
    await signIn(page, clientToken);
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 30_000 }).toMatch(/pas administrateur/);
    await signIn(page, adminToken);
    await page.getByRole('tab', { name: 'Vue d\'ensemble' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/tableau/vue-d-ensemble');
    // The token lives in session storage, never in the address.
    expect(page.url()).not.toContain(adminToken.slice(0, 20));
    expect(await page.evaluate(() => Object.values(sessionStorage))).toContain(adminToken);
    // The browser's 401/403 lines for the refused tokens are the only console errors.
    expect(errors.filter((error) => !/status of 40[13]/.test(error))).toEqual([]);
    await context.close();
  });
});

const TABS = [
  { slug: 'vue-d-ensemble', label: 'Vue d\'ensemble', sections: ['overview', 'advanced'], realTime: true },
  { slug: 'demandes', label: 'Demandes', sections: ['requests', 'specialties'] },
  { slug: 'financier', label: 'Financier', sections: ['financial'] },
  { slug: 'satisfaction', label: 'Satisfaction', sections: ['satisfaction', 'trends'] },
  { slug: 'techniciens', label: 'Techniciens', sections: ['technicians'] },
  { slug: 'tendances', label: 'Tendances', sections: ['trends'] },
  { slug: 'securite', label: 'Sécurité', sections: ['security'] },
  { slug: 'geographie', label: 'Géographie', sections: ['geography'] },
] as const;

interface ShownFigure {
  metric: string;
  value: string;
  kind: ValueKind;
  text: string;
}

/** Every figure the open tab shows (data-metric), once none is still loading. */
async function shownFigures(page: Page): Promise<ShownFigure[]> {
  await page.waitForFunction(() => document.querySelectorAll('#panel [aria-busy="true"]').length === 0 && document.querySelectorAll('#panel [data-metric]').length > 0, undefined, { timeout: 120_000 });
  return page.$$eval('#panel [data-metric]', (elements) =>
    elements.map((element) => ({
      metric: element.getAttribute('data-metric')!,
      value: element.getAttribute('data-value')!,
      kind: element.getAttribute('data-kind') as ValueKind,
      text: (element.querySelector('.kpi-value') ?? element).textContent!,
    })),
  );
}

/** The value at "<section>.<path…>" of the API's answers. */
function valueAt(answers: Record<string, any>, metric: string): number {
  const [root, ...path] = metric.split('.');
  let value = answers[root!];
  for (const key of path) value = value?.[key];
  expect(typeof value, `${metric} in the API answer`).toBe('number');
  return value as number;
}

/** The API's answers for a tab with a query string: the same calls the page makes. */
async function answersFor(tab: (typeof TABS)[number], query: string): Promise<Record<string, any>> {
  const answers: Record<string, any> = {};
  for (const section of tab.sections) answers[section] = await api(`${API}/${section}/${query ? `?${query}` : ''}`);
  if ('realTime' in tab) answers.real_time_stats = await api(`${API}/real_time_stats/`);
  return answers;
}

function expectFiguresEqual(figures: ShownFigure[], answers: Record<string, any>, label: string): void {
  for (const figure of figures) {
    const expected = valueAt(answers, figure.metric);
    expect(Number(figure.value), `${label} ${figure.metric}`).toBe(expected);
    expect(figure.text, `${label} ${figure.metric} in French`).toBe(formatValue(expected, figure.kind));
  }
}

describe('the 8 tabs', () => {
  let context: BrowserContext;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    ({ context, page, errors } = await openPage());
    await page.goto(runtime.url + '/');
    await signIn(page, adminToken);
    await page.getByRole('tab', { name: 'Vue d\'ensemble' }).waitFor();
  });

  afterAll(async () => {
    await context?.close();
  });

  for (const tab of TABS) {
    it(`${tab.label}: every figure equals the API's, its charts are drawn`, async () => {
      await page.getByRole('tab', { name: tab.label, exact: true }).click();
      expect(new URL(page.url()).pathname).toBe(`/tableau/${tab.slug}`);
      expect(await page.getByRole('tab', { selected: true }).textContent()).toBe(tab.label);
      const figures = await shownFigures(page);
      expect(figures.length, `${tab.label}: figures shown`).toBeGreaterThan(0);
      expectFiguresEqual(figures, await answersFor(tab, ''), tab.label);
      // Each chart has its canvas drawn at a real size.
      const charts = await page.$$eval('#panel [data-chart] canvas', (canvases) => canvases.map((canvas) => [(canvas as HTMLCanvasElement).width, (canvas as HTMLCanvasElement).height]));
      expect(charts.length, `${tab.label}: charts`).toBeGreaterThan(0);
      for (const [width, height] of charts) expect(width! * height!).toBeGreaterThan(10_000);
      // Charts settle (animations) before the picture.
      await page.waitForTimeout(1200);
      await page.screenshot({ path: join(shots, `${String(TABS.indexOf(tab) + 1).padStart(2, '0')}-${tab.slug}.png`), fullPage: true });
      expect(errors).toEqual([]);
    });
  }

  it('changing the period shows that period\'s numbers, kept in the address; a custom range too', async () => {
    const tab = TABS[1];
    await page.getByRole('tab', { name: tab.label, exact: true }).click();
    const before = await shownFigures(page);
    expectFiguresEqual(before, await answersFor(tab, ''), 'all');
    await page.getByRole('button', { name: '7 jours' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('period'), { timeout: 10_000 }).toBe('7d');
    const answers7d = await answersFor(tab, 'period=7d');
    expect(answers7d.requests.total, 'the seed has requests older than 7 days').toBeLessThan(Number(before.find((figure) => figure.metric === 'requests.total')!.value));
    await expect.poll(async () => (await shownFigures(page)).find((figure) => figure.metric === 'requests.total')?.value, { timeout: 60_000 }).toBe(String(answers7d.requests.total));
    expectFiguresEqual(await shownFigures(page), answers7d, '7d');
    expect(await page.getByRole('button', { name: '7 jours' }).getAttribute('aria-pressed')).toBe('true');

    const from = new Date(Date.now() - 20 * 86_400_000).toISOString().slice(0, 10);
    const to = new Date(Date.now() - 5 * 86_400_000).toISOString().slice(0, 10);
    await page.getByLabel('Du', { exact: true }).fill(from);
    await page.getByLabel('au', { exact: true }).fill(to);
    await page.getByRole('button', { name: 'Appliquer' }).click();
    await expect.poll(() => new URL(page.url()).search, { timeout: 10_000 }).toBe(`?from=${from}&to=${to}`);
    const custom = await answersFor(tab, `from=${from}&to=${to}`);
    await expect.poll(async () => (await shownFigures(page)).find((figure) => figure.metric === 'requests.total')?.value, { timeout: 60_000 }).toBe(String(custom.requests.total));
    expectFiguresEqual(await shownFigures(page), custom, 'custom range');

    // A shared address opens the same view (a new page, the same query).
    await page.reload();
    await page.getByRole('tab', { name: tab.label, exact: true }).waitFor();
    expectFiguresEqual(await shownFigures(page), custom, 'after reload');
    await page.getByRole('button', { name: 'Tout' }).click();
    await expect.poll(() => new URL(page.url()).search, { timeout: 10_000 }).toBe('');
    expect(errors).toEqual([]);
  });
});

describe('live', () => {
  /** Commits one new request in the operational database, as the Django app would. */
  async function commitRequest(): Promise<void> {
    const simulator = new Simulator(db.pool, { ratePerSecond: 1, seed: Date.now() % 1000 });
    await simulator.transaction(async (tx) => {
      await simulator.actions.createRequest(tx, { status: 'pending' });
    });
  }

  async function shownTotal(page: Page): Promise<number> {
    const figure = (await shownFigures(page)).find((entry) => entry.metric === 'overview.total_requests');
    return Number(figure?.value);
  }

  it('a request committed in Postgres appears on the open page without reload, with its data_as_of; with a period too', async () => {
    const { context, page, errors } = await openPage();
    await page.goto(runtime.url + '/');
    await signIn(page, adminToken);
    await expect.poll(() => page.getByTestId('live-state').getAttribute('data-state'), { timeout: 30_000 }).toBe('live');
    const before = await shownTotal(page);
    const asOfBefore = await page.getByTestId('data-as-of').getAttribute('data-value');
    // Reloads would reset this mark: it must still be there at the end.
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

    await commitRequest();
    await expect.poll(() => shownTotal(page), { timeout: 60_000 }).toBe(before + 1);
    const overview = await api(`${API}/overview/`);
    expect(await shownTotal(page)).toBe(overview.total_requests);
    await expect.poll(() => page.getByTestId('data-as-of').getAttribute('data-value'), { timeout: 30_000 }).not.toBe(asOfBefore);
    expect(await page.getByTestId('data-as-of').textContent()).toMatch(/^Données au \d{1,2} \S+ \d{4} à \d{2}:\d{2}:\d{2} UTC$/);

    // Another period: the room's push (default filters) is a signal, the page asks for its own numbers.
    await page.getByRole('button', { name: '24 h' }).click();
    await expect.poll(async () => shownTotal(page), { timeout: 60_000 }).toBe((await api(`${API}/overview/?period=24h`)).total_requests);
    const before24h = await shownTotal(page);
    await commitRequest();
    await expect.poll(() => shownTotal(page), { timeout: 60_000 }).toBe(before24h + 1);
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe('keyboard, tablet, socket down', () => {
  it('the tabs are an ARIA tab list: arrows move between them and open them', async () => {
    const { context, page, errors } = await openPage();
    await page.goto(runtime.url + '/tableau/demandes?period=30d');
    await signIn(page, adminToken);
    const selected = page.getByRole('tab', { selected: true });
    await expect.poll(() => selected.textContent(), { timeout: 30_000 }).toBe('Demandes');
    await selected.focus();
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => new URL(page.url()).pathname).toBe('/tableau/financier');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Financier');
    // The filters go along.
    expect(new URL(page.url()).searchParams.get('period')).toBe('30d');
    await page.keyboard.press('End');
    await expect.poll(() => new URL(page.url()).pathname).toBe('/tableau/geographie');
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => new URL(page.url()).pathname).toBe('/tableau/vue-d-ensemble');
    // Every form control has a name a screen reader says.
    const unnamed = await page.$$eval('input, select, textarea, button', (controls) =>
      controls.filter((control) => !(control as HTMLElement).innerText?.trim() && !control.getAttribute('aria-label') && !(control as HTMLInputElement).labels?.length).length,
    );
    expect(unnamed).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('on a tablet (768 px, portrait) nothing runs off the side; screenshots', async () => {
    const { context, page, errors } = await openPage({ width: 768, height: 1024 });
    await page.goto(runtime.url + '/');
    await signIn(page, adminToken);
    await page.getByRole('tab', { selected: true }).waitFor({ timeout: 60_000 });
    for (const slug of ['vue-d-ensemble', 'geographie']) {
      await page.goto(runtime.url + `/tableau/${slug}`);
      await shownFigures(page);
      await page.waitForTimeout(1200);
      expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), slug).toBeLessThanOrEqual(0);
      await page.screenshot({ path: join(shots, `tablet-${slug}.png`), fullPage: true });
    }
    expect(errors).toEqual([]);
    await context.close();
  });

  it('with the socket refused, the indicator says so and the page polls: a committed row still appears', async () => {
    const { context, page, errors } = await openPage();
    // Every WebSocket of the page is closed at once, as a proxy without WebSocket support would.
    await page.routeWebSocket(/\/socket\.io\//, (socket) => socket.close());
    await page.goto(runtime.url + '/');
    await signIn(page, adminToken);
    await expect.poll(() => page.getByTestId('live-state').getAttribute('data-state'), { timeout: 30_000 }).toBe('offline');
    expect(await page.getByTestId('live-state').textContent()).toMatch(/Hors ligne/);
    const total = async (): Promise<number> => Number((await shownFigures(page)).find((entry) => entry.metric === 'overview.total_requests')?.value);
    const before = await total();
    const simulator = new Simulator(db.pool, { ratePerSecond: 1, seed: 77 });
    await simulator.transaction(async (tx) => {
      await simulator.actions.createRequest(tx, { status: 'pending' });
    });
    // POLL_SECONDS (30) plus the time to compute.
    await expect.poll(() => total(), { timeout: 90_000, interval: 2000 }).toBe(before + 1);
    // The browser reports the refused WebSocket itself; nothing else may be an error.
    expect(errors.filter((error) => !/WebSocket/.test(error))).toEqual([]);
    await context.close();
  }, 180_000);
});
