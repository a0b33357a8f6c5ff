// The embedded demo's signing secret and admin token, kept beside its data directory: the secret
// survives restarts (a token printed by an earlier start keeps working while the data is kept),
// and the token is in a file a newcomer can `cat` after the banner scrolled away. Both 0600.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/** Where the demo keeps them: the directory that holds the demo Postgres data directory (./data by default). */
export function demoCredentialsDir(demoDataDir: string): string {
  return dirname(resolve(demoDataDir));
}

/**
 * The demo's JWT secret: read from `<dir>/demo-jwt-secret`, or generated once and stored there.
 * `renew` (a --reset start: new data, other users behind the same ids) replaces it, so tokens
 * signed for the old data set stop working.
 */
export async function loadOrCreateDemoSecret(dir: string, options: { renew?: boolean } = {}): Promise<string> {
  const path = join(dir, 'demo-jwt-secret');
  if (options.renew) await rm(path, { force: true });
  try {
    const stored = (await readFile(path, 'utf8')).trim();
    if (!/^[0-9a-f]{64}$/.test(stored)) {
      throw new Error(`${path} does not hold a demo secret (64 hex digits); delete it to have a new one generated`);
    }
    return stored;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dir, { recursive: true });
  const secret = randomBytes(32).toString('hex');
  // 'wx': two starts racing on a fresh directory must not each keep a different secret.
  try {
    await writeFile(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateDemoSecret(dir);
    throw error;
  }
  return secret;
}

/** Writes the demo admin token to `<dir>/demo-token` (mode 0600); returns the file's path. */
export async function writeDemoToken(dir: string, token: string): Promise<string> {
  const path = join(dir, 'demo-token');
  await mkdir(dir, { recursive: true });
  await writeFile(path, `${token}\n`, { mode: 0o600 });
  await chmod(path, 0o600); // writeFile's mode applies only when it creates the file
  return path;
}
