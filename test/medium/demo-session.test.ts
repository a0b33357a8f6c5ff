// "Connexion démo" (POST /depannage/api/statistics/demo-session/): the embedded demo hands its
// administrator token to a client on this machine, and to a browser only from a page of its own
// origin; from another address it is a 403; with a real operational database (DATABASE_URL) the
// route is a 404 and the login form is told not to offer it.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type DemoRuntime } from '../../apps/service/src/demo-runtime.js';
import { loadConfig } from '../../libs/config/src/config.js';
import { createTestDatabase, type TestDatabase } from '../factories/databases.js';
import { freePort } from '../factories/redis.js';
import { startTestRuntime, type TestRuntime } from '../factories/runtime.js';
import { ensureDashboardBuilt, launchChromium } from '../factories/browser.js';

const PATH = '/depannage/api/statistics/demo-session/';

/** An address of this machine that is not loopback (the route must refuse it). */
function externalAddress(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) if (!address.internal && address.family === 'IPv4') return address.address;
  }
  return undefined;
}

describe('embedded demo', () => {
  let dataRoot: string;
  let demo: DemoRuntime;
  let port: number;

  beforeAll(async () => {
    // Under /var/tmp, world-enterable: as root the embedded Postgres runs as the postgres user.
    dataRoot = mkdtempSync('/var/tmp/stat-demo-session-');
    chmodSync(dataRoot, 0o755);
    const config = loadConfig({
      DEMO_DATA_DIR: join(dataRoot, 'pg'),
      CLICKHOUSE_DATA_DIR: join(dataRoot, 'clickhouse'),
      STATE_SQLITE_PATH: join(dataRoot, 'state.sqlite'),
      EXPORT_DIR: join(dataRoot, 'exports'),
      DEMO_REQUESTS: '300',
      DEMO_SIMULATOR_RATE: '0',
      DEMO_POSTGRES_PORT: String(await freePort()),
      // Every interface: the same server is reached through loopback and through the machine's address.
      HOST: '0.0.0.0',
      PORT: '0',
    });
    demo = await startDemo(config, { logger: false });
    await demo.ready;
    port = (demo.app.getHttpServer().address() as { port: number }).port;
  }, 300_000);

  afterAll(async () => {
    await demo?.close();
    if (dataRoot) rmSync(dataRoot, { recursive: true, force: true });
  });

  it('offers it to this machine, and the token it gives is an administrator\'s', async () => {
    const availability = await fetch(`http://127.0.0.1:${port}${PATH}`);
    expect(availability.status).toBe(200);
    expect(await availability.json()).toEqual({ available: true });

    const response = await fetch(`http://127.0.0.1:${port}${PATH}`, { method: 'POST' });
    expect(response.status).toBe(200);
    const session = (await response.json()) as { access: string; user_id: number; expires_at: string };
    expect(Date.parse(session.expires_at) - Date.now()).toBeGreaterThan(11 * 3600_000);
    const stats = await fetch(`http://127.0.0.1:${port}/depannage/api/statistics/real_time_stats/`, { headers: { Authorization: `Bearer ${session.access}` } });
    expect(stats.status).toBe(200);
    const admin = await demo.operationalDb.query<{ user_type: string }>('SELECT user_type FROM users_user WHERE id = $1', [session.user_id]);
    expect(admin.rows[0]?.user_type).toBe('admin');
  });

  it('a page of this origin gets it; a page of another site gets a 403', async () => {
    const own = await fetch(`http://127.0.0.1:${port}${PATH}`, { method: 'POST', headers: { Origin: `http://127.0.0.1:${port}` } });
    expect(own.status).toBe(200);
    const foreign = await fetch(`http://127.0.0.1:${port}${PATH}`, { method: 'POST', headers: { Origin: 'http://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(JSON.stringify(await foreign.json())).not.toMatch(/eyJ/); // no token in the refusal
  });

  it('from another address of the machine (not loopback): not offered, 403', async () => {
    const address = externalAddress();
    expect(address, 'this test needs a non-loopback IPv4 interface').toBeDefined();
    const availability = await fetch(`http://${address}:${port}${PATH}`);
    expect(await availability.json()).toEqual({ available: false });
    const response = await fetch(`http://${address}:${port}${PATH}`, { method: 'POST' });
    expect(response.status).toBe(403);
    expect(JSON.stringify(await response.json())).not.toMatch(/eyJ/);
  });

  it('in the browser, « Connexion démo » opens the dashboard in one click', async () => {
    await ensureDashboardBuilt();
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.getByRole('button', { name: 'Connexion démo' }).click();
      await page.getByRole('tab', { name: 'Vue d\'ensemble' }).waitFor({ timeout: 60_000 });
      await page.locator('[data-metric="overview.total_requests"]').waitFor({ timeout: 60_000 });
      expect(Number(await page.locator('[data-metric="overview.total_requests"]').getAttribute('data-value'))).toBeGreaterThanOrEqual(300);
      expect(page.url()).not.toMatch(/eyJ/);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 600_000);

  it('a parameter or another method is refused', async () => {
    expect((await fetch(`http://127.0.0.1:${port}${PATH}?user=1`, { method: 'POST' })).status).toBe(400);
    expect((await fetch(`http://127.0.0.1:${port}${PATH}`, { method: 'DELETE' })).status).toBe(405);
  });
});

describe('with DATABASE_URL (a real operational database)', () => {
  let db: TestDatabase;
  let runtime: TestRuntime;

  beforeAll(async () => {
    db = await createTestDatabase();
    runtime = await startTestRuntime(db);
  });

  afterAll(async () => {
    await runtime?.destroy();
    await db?.drop();
  });

  it('is not offered, and the route is a 404 even from loopback', async () => {
    expect(await (await fetch(runtime.url + PATH)).json()).toEqual({ available: false });
    const response = await fetch(runtime.url + PATH, { method: 'POST' });
    expect(response.status).toBe(404);
    expect(JSON.stringify(await response.json())).not.toMatch(/eyJ/);
  });
});
