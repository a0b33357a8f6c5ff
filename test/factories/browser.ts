// The web dashboard in a real browser for tests: the front-end built if its sources changed (the
// same script as `npm start`), Debian's Chromium driven by playwright-core, and a directory for the
// screenshots a run keeps (test-artifacts/, not committed).
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { fromRoot } from '../../libs/config/src/paths.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Builds apps/dashboard into dist/dashboard unless its build is newer than its sources. */
export function ensureDashboardBuilt(): void {
  const build = spawnSync(process.execPath, [fromRoot('scripts', 'build-if-stale.mjs'), '--only=dashboard'], {
    cwd: fromRoot(),
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (build.status !== 0) throw new Error(`dashboard build failed (exit ${build.status ?? build.signal}):\n${build.stdout}\n${build.stderr}`);
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
