// The web dashboard in a real browser for tests: the front-end built if its sources changed (the
// same script as `npm start`), Debian's Chromium driven by playwright-core, and a directory for the
// screenshots a run keeps (test-artifacts/, not committed).
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
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
