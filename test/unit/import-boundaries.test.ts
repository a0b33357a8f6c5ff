// Who may import whom (README "How it works"): the libraries import no application; the ingest
// worker and the demo do not import the API; the web app takes values only from libs/metrics (the
// shared vocabularies: alert metrics, export types…) and types from elsewhere; the API imports
// neither the ingest nor the demo: the process entry (apps/service) composes the API, the ingest
// and the demo, and the API knows the ingest only through libs/ingest-feed.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromRoot } from '../../libs/config/src/paths.js';

const ROOT = fromRoot();

function sourceFiles(directory: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(directory)) {
    const path = join(directory, name);
    if (name === 'node_modules' || name === 'dist') continue;
    if (statSync(path).isDirectory()) files.push(...sourceFiles(path));
    else if (/\.(ts|tsx)$/.test(name) && !name.endsWith('.d.ts')) files.push(path);
  }
  return files;
}

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

/** Every relative import of every source file under `top`, as paths from the repository root. */
function importsOf(top: string): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(join(ROOT, top))) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^;]*?from\s+'(\.[^']+)'/gm)) {
      const target = relative(ROOT, resolve(dirname(file), match[3]!)).replace(/\.js$/, '.ts');
      edges.push({ from: relative(ROOT, file), to: target, typeOnly: Boolean(match[2]) });
    }
  }
  return edges;
}

describe('import boundaries', () => {
  it('libraries import no application', () => {
    const bad = importsOf('libs').filter((edge) => edge.to.startsWith('apps/'));
    expect(bad.map((edge) => `${edge.from} -> ${edge.to}`)).toEqual([]);
  });

  it('the ingest and the demo do not import the API', () => {
    const bad = [...importsOf('apps/ingest'), ...importsOf('apps/demo')].filter((edge) => edge.to.startsWith('apps/api/'));
    expect(bad.map((edge) => `${edge.from} -> ${edge.to}`)).toEqual([]);
  });

  it('the web app takes values only from libs/metrics, and only types from the rest of the repository', () => {
    const bad = importsOf('apps/dashboard/src').filter(
      (edge) => !edge.to.startsWith('apps/dashboard/') && !edge.to.startsWith('libs/metrics/src/') && !edge.typeOnly,
    );
    expect(bad.map((edge) => `${edge.from} -> ${edge.to}`)).toEqual([]);
  });

  it('the API imports neither the ingest nor the demo (apps/service composes them; the API sees the ingest through libs/ingest-feed)', () => {
    const reaches = importsOf('apps/api/src')
      .filter((edge) => edge.to.startsWith('apps/ingest/') || edge.to.startsWith('apps/demo/'))
      .map((edge) => `${edge.from} -> ${edge.to}`);
    expect(reaches).toEqual([]);
  });

});
