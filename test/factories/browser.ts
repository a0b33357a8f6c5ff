// The web dashboard in a real browser for tests: the front-end built if its sources changed (the
// same script as `npm start`), Debian's Chromium driven by playwright-core, and a directory for the
// screenshots a run keeps (test-artifacts/, not committed).
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { fromRoot } from '../../libs/config/src/paths.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Builds apps/dashboard into dist/dashboard unless its build is newer than its sources. Not spawnSync:
 * a build blocking the test worker's event loop for a minute times out vitest's own messages.
 */
export function ensureDashboardBuilt(): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [fromRoot('scripts', 'build-if-stale.mjs'), '--only=dashboard'],
      { cwd: fromRoot(), timeout: 600_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => (error ? reject(new Error(`dashboard build failed: ${error.message}\n${stdout}\n${stderr}`)) : resolve()),
    );
  });
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** test-artifacts/<name>/, created; kept after the run for a person to look at. */
export function artifactsDir(name: string): string {
  const dir = fromRoot('test-artifacts', name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * A page in a new browser context as a French admin's laptop has it (fr-FR, UTC, 1366×900 unless
 * told); every console error and uncaught exception of the page goes to `onError` (a test ends by
 * checking there were none).
 */
export async function openPage(
  browser: Browser,
  onError: (line: string) => void,
  options: { viewport?: { width: number; height: number }; acceptDownloads?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1366, height: 900 },
    locale: 'fr-FR',
    timezoneId: 'UTC',
    acceptDownloads: options.acceptDownloads ?? false,
  });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') onError(message.text());
  });
  page.on('pageerror', (error) => onError(error.stack ?? error.message));
  return { context, page };
}

/** The login form filled with `token` and sent (the page shows the form: a fresh session). */
export async function signIn(page: Page, token: string): Promise<void> {
  // Generous: on a shared test machine under load the first paint of a fresh page can take a while.
  await page.getByLabel('Jeton d\'accès').fill(token, { timeout: 120_000 });
  await page.getByRole('button', { name: 'Se connecter' }).click();
}

