// `npm start` without a rebuild of what is built: compiles (tsc, incremental) only when a source
// file or a build setting is newer than the last successful build, recorded by dist/.build-stamp.
// A failed build leaves no stamp, so the next start compiles again and shows the errors.
// Plain JavaScript: it runs before anything is compiled.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', '.build-stamp');
const SOURCE_DIRS = ['apps', 'libs', 'bench'];
const SETTINGS = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];

function newestSource() {
  let newest = 0;
  const visit = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') visit(path);
      } else if (entry.name.endsWith('.ts')) {
        newest = Math.max(newest, statSync(path).mtimeMs);
      }
    }
  };
  for (const dir of SOURCE_DIRS) visit(join(root, dir));
  for (const file of SETTINGS) newest = Math.max(newest, statSync(join(root, file), { throwIfNoEntry: false })?.mtimeMs ?? 0);
  return newest;
}

const built = statSync(stamp, { throwIfNoEntry: false })?.mtimeMs ?? 0;
if (built > newestSource()) process.exit(0);

process.stderr.write('building (tsc, incremental)…\n');
const started = Date.now();
const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], {
  cwd: root,
  stdio: 'inherit',
});
if (tsc.status !== 0) {
  process.stderr.write(`build failed (tsc exit ${tsc.status ?? tsc.signal})\n`);
  process.exit(1);
}
writeFileSync(stamp, `${new Date(started).toISOString()}\n`);
// Dated when the build began: a file saved while tsc ran is newer, and is compiled next time.
utimesSync(stamp, started / 1000, started / 1000);
process.stderr.write(`built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
