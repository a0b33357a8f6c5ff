import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { fromRoot } from '../../libs/config/src/paths.js';

interface LockedPackage {
  version?: string;
  engines?: { node?: string } | string[];
  dev?: boolean;
}

const manifest = JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(fromRoot('package-lock.json'), 'utf8')) as {
  packages: Record<string, LockedPackage>;
};

/** The oldest Node the project says it runs on (package.json `engines.node`). */
const oldestNode = semver.minVersion(manifest.engines.node)!;

describe('the dependency set', () => {
  it('runs on the oldest Node the project declares: no locked package asks for a newer one', () => {
    const tooNew = Object.entries(lock.packages)
      .filter(([path, pkg]) => path !== '' && !Array.isArray(pkg.engines) && pkg.engines?.node)
      .filter(([, pkg]) => {
        const wanted = (pkg.engines as { node: string }).node;
        return semver.validRange(wanted) !== null && !semver.satisfies(oldestNode, wanted);
      })
      .map(([path, pkg]) => `${path.replace(/^.*node_modules\//, '')}@${pkg.version} wants node ${(pkg.engines as { node: string }).node}`);
    expect(tooNew).toEqual([]);
  });

  it('declares a Node version the machine running the tests satisfies', () => {
    expect(semver.satisfies(process.versions.node, manifest.engines.node)).toBe(true);
  });
});
