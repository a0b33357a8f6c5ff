// Locates the project root from compiled (dist/...) and source (.ts under vitest) code alike.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | undefined;

export function projectRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'clickhouse', 'migrations'))) {
      cachedRoot = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`project root not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

export function fromRoot(...parts: string[]): string {
  return resolve(projectRoot(), ...parts);
}
