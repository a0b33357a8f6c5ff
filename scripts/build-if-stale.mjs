// `npm start` without a rebuild of what is built: each part is compiled only when one of its source
// files or build settings is newer than its last successful build, recorded by a stamp file:
//   - the API (tsc, incremental): apps/ (but the web dashboard), libs/, bench/ → dist/.build-stamp
//   - the web dashboard (tsc --noEmit, then Vite): apps/dashboard/ and the API types it imports →
//     dist/dashboard/.build-stamp (Vite empties dist/dashboard first, so a stale stamp never stays).
// A failed build leaves no stamp, so the next start compiles again and shows the errors.
// `--only=api` / `--only=dashboard` builds one part (the browser tests build the dashboard).
// Plain JavaScript: it runs before anything is compiled.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const node = (script, ...args) => [process.execPath, [join(root, 'node_modules', ...script.split('/')), ...args]];
const SETTINGS = ['package.json', 'package-lock.json'];
const DASHBOARD_DIR = join(root, 'dist', 'dashboard');
// Vite writes here, then the result replaces dist/dashboard in two renames: a server running (or a
// second build running) never sees the directory emptied half-way through a build.
const DASHBOARD_STAGING = join(root, 'dist', `.dashboard-build-${process.pid}`);

const PARTS = [
  {
    name: 'api',
    label: 'tsc, incremental',
    stamp: join(root, 'dist', '.build-stamp'),
    sources: ['apps', 'libs', 'bench'],
    skip: [join(root, 'apps', 'dashboard')],
    extensions: ['.ts'],
    settings: ['tsconfig.json', 'tsconfig.build.json', ...SETTINGS],
    steps: [node('typescript/bin/tsc', '-p', join(root, 'tsconfig.build.json'))],
  },
  {
    name: 'dashboard',
    label: 'web dashboard: tsc --noEmit, vite build',
    stamp: join(DASHBOARD_DIR, '.build-stamp'),
    // The dashboard imports the API's types (libs/metrics, the realtime protocol): a change there is checked again.
    sources: ['apps/dashboard', 'libs/metrics/src', 'apps/api/src/realtime/protocol.ts'],
    skip: [],
    extensions: ['.ts', '.tsx', '.css', '.html', '.json'],
    settings: SETTINGS,
    steps: [
      node('typescript/bin/tsc', '-p', join(root, 'apps', 'dashboard', 'tsconfig.json')),
      node('vite/bin/vite.js', 'build', '--config', join(root, 'apps', 'dashboard', 'vite.config.ts'), '--outDir', DASHBOARD_STAGING, '--emptyOutDir'),
    ],
    install: installDashboard,
  },
];

/**
 * Puts the staged build in place of dist/dashboard. The previous build's assets are kept beside the
 * new ones (content-hashed names never collide): a page loaded before the rebuild still finds its
 * scripts. Older ones go with the previous directory.
 */
function installDashboard() {
  const previousAssets = join(DASHBOARD_DIR, 'assets');
  if (existsSync(previousAssets)) cpSync(previousAssets, join(DASHBOARD_STAGING, 'assets'), { recursive: true, force: false, errorOnExist: false });
  const retired = join(root, 'dist', `.dashboard-old-${process.pid}`);
  if (existsSync(DASHBOARD_DIR)) renameSync(DASHBOARD_DIR, retired);
  renameSync(DASHBOARD_STAGING, DASHBOARD_DIR);
  rmSync(retired, { recursive: true, force: true });
}

function newestSource(part) {
  let newest = 0;
  const visit = (path) => {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat || part.skip.includes(path)) return;
    if (!stat.isDirectory()) {
      if (part.extensions.some((extension) => path.endsWith(extension))) newest = Math.max(newest, stat.mtimeMs);
      return;
    }
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      if (entry.name !== 'node_modules') visit(join(path, entry.name));
    }
  };
  for (const source of part.sources) visit(join(root, source));
  for (const file of part.settings) newest = Math.max(newest, statSync(join(root, file), { throwIfNoEntry: false })?.mtimeMs ?? 0);
  return newest;
}

const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
if (only !== undefined && !PARTS.some((part) => part.name === only)) {
  process.stderr.write(`--only=${only}: not a part (${PARTS.map((part) => part.name).join(', ')})\n`);
  process.exit(2);
}

for (const part of PARTS) {
  if (only !== undefined && part.name !== only) continue;
  const built = statSync(part.stamp, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  if (built > newestSource(part)) continue;
  process.stderr.write(`building (${part.label})…\n`);
  const started = Date.now();
  for (const [command, args] of part.steps) {
    // NODE_ENV=production whatever the caller's (vitest sets 'test'): Vite would otherwise bundle React's development build.
    const run = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
    if (run.status !== 0) {
      rmSync(DASHBOARD_STAGING, { recursive: true, force: true });
      process.stderr.write(`build failed (${part.name}: ${args[0]} exit ${run.status ?? run.signal})\n`);
      process.exit(1);
    }
  }
  part.install?.();
  writeFileSync(part.stamp, `${new Date(started).toISOString()}\n`);
  // Dated when the build began: a file saved while it ran is newer, and is compiled next time.
  utimesSync(part.stamp, started / 1000, started / 1000);
  process.stderr.write(`built ${part.name} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
