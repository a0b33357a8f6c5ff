// The embedded demo's kept JWT secret and its token file: generated once, kept, renewed on reset,
// never readable by other users.
import { mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { demoCredentialsDir, loadOrCreateDemoSecret, writeDemoToken } from '../../apps/demo/src/demo-credentials.js';

let dir: string;

beforeEach(() => {
  dir = join(mkdtempSync(join(tmpdir(), 'stat-demo-credentials-')), 'data');
});

afterEach(() => {
  rmSync(join(dir, '..'), { recursive: true, force: true });
});

describe('demo credentials', () => {
  it('live beside the demo Postgres data directory (./data by default)', () => {
    expect(demoCredentialsDir('/srv/app/data/postgres')).toBe('/srv/app/data');
  });

  it('generates the secret once (0600) and reads the same one on the next start', async () => {
    const first = await loadOrCreateDemoSecret(dir);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(join(dir, 'demo-jwt-secret')).mode & 0o777).toBe(0o600);
    expect(await loadOrCreateDemoSecret(dir)).toBe(first);
  });

  it('renews the secret on a reset', async () => {
    const first = await loadOrCreateDemoSecret(dir);
    const renewed = await loadOrCreateDemoSecret(dir, { renew: true });
    expect(renewed).not.toBe(first);
    expect(await loadOrCreateDemoSecret(dir)).toBe(renewed);
  });

  it('refuses a secret file that holds something else, naming the file', async () => {
    await loadOrCreateDemoSecret(dir);
    writeFileSync(join(dir, 'demo-jwt-secret'), 'not a secret\n');
    await expect(loadOrCreateDemoSecret(dir)).rejects.toThrow(`${join(dir, 'demo-jwt-secret')} does not hold a demo secret`);
  });

  it('writes the token to demo-token with mode 0600, even over a file that was readable', async () => {
    await loadOrCreateDemoSecret(dir);
    writeFileSync(join(dir, 'demo-token'), 'old\n', { mode: 0o644 });
    const path = await writeDemoToken(dir, 'header.payload.signature');
    expect(path).toBe(join(dir, 'demo-token'));
    expect(readFileSync(path, 'utf8')).toBe('header.payload.signature\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});
