// The check that stops the embedded demo with a clear message when the user Postgres runs as
// cannot reach its binaries or data directory (a checkout under /root), instead of a bare
// `spawn … initdb EACCES`. Run as root it checks for `nobody` behind a 0700 directory, as another
// user for that user behind a 0000 directory of its own: the same refusal either way.
import { mkdirSync, mkdtempSync, chmodSync, rmSync, copyFileSync, statSync, chownSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertReachableBy, createDataDirectory, EmbeddedPostgresAccessError } from '../../apps/demo/src/embedded-postgres.js';

const isRoot = process.getuid?.() === 0;
const user = isRoot ? { name: 'nobody', uid: 65534, gid: 65534 } : { name: userInfo().username, uid: userInfo().uid, gid: userInfo().gid };
let root: string;
let privateDir: string;

beforeAll(() => {
  root = mkdtempSync('/var/tmp/stat-pg-access-');
  chmodSync(root, 0o755);
  privateDir = join(root, 'home');
  mkdirSync(join(privateDir, 'checkout', 'bin'), { recursive: true });
  copyFileSync('/bin/true', join(privateDir, 'checkout', 'bin', 'postgres'));
  chmodSync(join(privateDir, 'checkout', 'bin', 'postgres'), 0o755);
  mkdirSync(join(root, 'open', 'pg'), { recursive: true });
  chmodSync(join(root, 'open', 'pg'), 0o777);
  chmodSync(privateDir, isRoot ? 0o700 : 0o000);
});

afterAll(() => {
  chmodSync(privateDir, 0o755);
  rmSync(root, { recursive: true, force: true });
});

describe('the embedded Postgres user must reach the checkout and the data directory', () => {
  it('passes when both are reachable', () => {
    expect(() => assertReachableBy(user, ['/bin/sh'], join(root, 'open', 'pg'))).not.toThrow();
  });

  it('names the private directory and says to move the checkout when the binaries are behind it', () => {
    const check = (): void => assertReachableBy(user, [join(privateDir, 'checkout', 'bin', 'postgres')], join(root, 'open', 'pg'));
    expect(check).toThrow(EmbeddedPostgresAccessError);
    expect(check).toThrow(`${privateDir} is private (mode ${isRoot ? '0700' : '0000'})`);
    expect(check).toThrow(/Move the checkout/);
    expect(check).toThrow(new RegExp(`system user "${user.name}"`));
  });

  it('says to set DEMO_DATA_DIR when only the data directory is behind it', () => {
    const check = (): void => assertReachableBy(user, ['/bin/sh'], join(privateDir, 'checkout', 'data', 'postgres'));
    expect(check).toThrow(EmbeddedPostgresAccessError);
    expect(check).toThrow(/Set DEMO_DATA_DIR to a path that user can reach/);
    expect(check).toThrow(`${privateDir} is private`);
  });
});

describe('the data directory of a fresh checkout', () => {
  it('is created 0700 while the directories it creates above it stay enterable (./data was made private)', async () => {
    const previous = process.umask(0o022);
    try {
      const dataDir = join(root, 'fresh-checkout', 'data', 'postgres');
      await createDataDirectory(dataDir);
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      expect(statSync(join(root, 'fresh-checkout', 'data')).mode & 0o777).toBe(0o755);
      expect(statSync(join(root, 'fresh-checkout')).mode & 0o777).toBe(0o755);
      if (isRoot) chownSync(dataDir, user.uid, user.gid); // as the demo does before it checks
      expect(() => assertReachableBy(user, ['/bin/sh'], dataDir)).not.toThrow();
      await createDataDirectory(dataDir); // a second start finds it there
    } finally {
      process.umask(previous);
    }
  });
});
