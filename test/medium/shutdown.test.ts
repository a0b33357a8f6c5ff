// Medium test of stopping `npm start` the way a terminal does: the built entry point runs in its
// own process group with the embedded demo (Postgres, simulator, chdb) on a throwaway data
// directory; Ctrl-C is SIGINT to the whole group. Every stop must exit 0 within the deadline with
// no unhandled error, leave no process behind (embedded Postgres included) and let the next start
// resume on the same data; a second Ctrl-C forces a non-zero exit at once.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, chmodSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromRoot } from '../../libs/config/src/paths.js';

const MAIN = fromRoot('dist', 'apps', 'service', 'src', 'main.js');
const SHUTDOWN_TIMEOUT_SECONDS = 20;

let dataRoot: string;
let env: NodeJS.ProcessEnv;

interface Started {
  child: ChildProcess;
  output: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; seconds: number }>;
  stoppedAt: () => number;
  markStop: () => void;
  url: string;
  postmasterPid: number;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Processes whose process group is `pgid` (from /proc/<pid>/stat, field 5). */
function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we listed
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid) members.push(Number(entry));
  }
  return members;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function start(overrides: NodeJS.ProcessEnv = {}): Promise<Started> {
  const child = spawn(process.execPath, [MAIN], { cwd: fromRoot(), env: { ...env, ...overrides }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  let stoppedAt = 0;
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; seconds: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, seconds: (Date.now() - stoppedAt) / 1000 })),
  );
  const deadline = Date.now() + 90_000;
  while (!/statistics are live/.test(output) || !/Try: curl/.test(output)) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the service exited before it was live:\n${output}`);
    if (Date.now() > deadline) {
      process.kill(-child.pid!, 'SIGKILL');
      throw new Error(`the service was not live within 90 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const url = /API\s+(http:\/\/\S+?)\/depannage/.exec(output)![1]!;
  const postmasterPid = Number(readFileSync(join(dataRoot, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  return { child, output: () => output, exit, stoppedAt: () => stoppedAt, markStop: () => (stoppedAt = Date.now()), url, postmasterPid };
}

/** The checks every clean stop must pass. */
async function expectCleanStop(started: Started): Promise<string> {
  const { code, signal, seconds } = await started.exit;
  const output = started.output();
  expect({ code, signal }, output).toEqual({ code: 0, signal: null });
  expect(seconds).toBeLessThan(SHUTDOWN_TIMEOUT_SECONDS);
  expect(output).not.toMatch(/Unhandled|uncaught/i);
  expect(output, 'no stack trace').not.toMatch(/^\s+at\s/m);
  // Each step of the fixed order was logged: the service (HTTP first, its ingest before the engine),
  // then the demo's simulator and database, the embedded Postgres last.
  const steps = [...output.matchAll(/stopped: (.+?) \(\d+ ms\)/g)].map((match) => match[1]);
  expect(steps.indexOf('HTTP server, sockets and workers')).toBeGreaterThanOrEqual(0);
  expect(steps.indexOf('HTTP server, sockets and workers')).toBeLessThan(steps.indexOf('ingest'));
  expect(steps.indexOf('ingest')).toBeLessThan(steps.indexOf('ClickHouse'));
  expect(steps.slice(-5)).toEqual(['operational database pool', 'state store', 'simulator', 'demo database pool', 'embedded Postgres']);
  expect(groupMembers(started.child.pid!)).toEqual([]);
  expect(alive(started.postmasterPid)).toBe(false);
  expect(existsSync(join(dataRoot, 'pg', 'postmaster.pid'))).toBe(false);
  return output;
}

/**
 * A client that sent half a request's headers and waits: the HTTP server's close waits for it
 * (up to Node's headersTimeout), which holds the first shutdown step open.
 */
function halfRequest(url: string): Promise<Socket> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

async function waitFor(started: Started, pattern: RegExp): Promise<void> {
  for (let waited = 0; !pattern.test(started.output()); waited += 20) {
    if (waited > 10_000) throw new Error(`${pattern} not seen:\n${started.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function expectForcedStop(started: Started, withinSeconds: number): Promise<string> {
  const { code, signal, seconds } = await started.exit;
  const output = started.output();
  expect(code === 0 && signal === null, output).toBe(false);
  expect(seconds).toBeLessThan(withinSeconds);
  expect(output).not.toMatch(/Unhandled/);
  for (let waited = 0; alive(started.postmasterPid) && waited < 10_000; waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(alive(started.postmasterPid)).toBe(false);
  expect(groupMembers(started.child.pid!)).toEqual([]);
  return output;
}

async function statusWith(url: string, token: string): Promise<number> {
  const response = await fetch(`${url}/depannage/api/statistics/global_statistics/?period=7d`, { headers: { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  return response.status;
}

beforeAll(async () => {
  // Type errors elsewhere in a shared tree do not stop tsc from emitting; what matters here is the entry point.
  spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: fromRoot(), stdio: 'ignore' });
  expect(existsSync(MAIN)).toBe(true);
  // Under /var/tmp, world-enterable: as root the embedded Postgres runs as the postgres user.
  dataRoot = mkdtempSync('/var/tmp/stat-shutdown-');
  chmodSync(dataRoot, 0o755);
  const { DATABASE_URL: _database, CLICKHOUSE_URL: _clickhouse, ...inherited } = process.env;
  env = {
    ...inherited,
    DEMO_DATA_DIR: join(dataRoot, 'pg'),
    CLICKHOUSE_DATA_DIR: join(dataRoot, 'clickhouse'),
    STATE_SQLITE_PATH: join(dataRoot, 'state.sqlite'),
    EXPORT_DIR: join(dataRoot, 'exports'),
    DEMO_REQUESTS: '2000',
    DEMO_SIMULATOR_RATE: '20',
    PORT: '0',
    DEMO_POSTGRES_PORT: String(await freePort()),
    SHUTDOWN_TIMEOUT_SECONDS: String(SHUTDOWN_TIMEOUT_SECONDS),
    LOG_LEVEL: 'info',
    LOG_FORMAT: '',
    JWT_SECRET: '',
  };
}, 240_000);

afterAll(() => {
  if (dataRoot) rmSync(dataRoot, { recursive: true, force: true });
});

describe('stopping npm start like a terminal does', () => {
  let firstToken = '';

  it('Ctrl-C on a fresh demo: exit 0, steps in order, nothing left; the token is in data/demo-token (0600)', async () => {
    const started = await start();
    const tokenFile = join(dataRoot, 'demo-token');
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataRoot, 'demo-jwt-secret')).mode & 0o777).toBe(0o600);
    firstToken = readFileSync(tokenFile, 'utf8').trim();
    expect(started.output()).toContain(firstToken);
    // The banner comes after the statistics are live, and the per-route start-up lines are DEBUG only.
    expect(started.output().indexOf('statistics are live')).toBeLessThan(started.output().indexOf('Admin bearer token'));
    expect(started.output()).not.toMatch(/RouterExplorer|InstanceLoader|embedded-postgres: .*LOG:|evaluation requested by ingest|FastifyWarning|DeprecationWarning/);
    expect(await statusWith(started.url, firstToken)).toBe(200);
    started.markStop();
    process.kill(-started.child.pid!, 'SIGINT');
    await expectCleanStop(started);
  });

  it('Ctrl-C twice more on restarts of the same data: each resumes (no new seed), the first token still works', async () => {
    for (let round = 0; round < 2; round++) {
      const started = await start();
      expect(started.output()).not.toContain('seeding the demo database');
      expect(await statusWith(started.url, firstToken)).toBe(200);
      started.markStop();
      process.kill(-started.child.pid!, 'SIGINT');
      await expectCleanStop(started);
    }
  });

  it('SIGTERM (a supervisor, to the process alone) stops it the same way, a client with half a request cut after the grace', async () => {
    const started = await start();
    const client = await halfRequest(started.url);
    started.markStop();
    process.kill(started.child.pid!, 'SIGTERM');
    const output = await expectCleanStop(started);
    expect(output).toContain('SIGTERM received, stopping');
    expect(output).toContain('HTTP connections still open after 5 s of shutdown: closing them');
    client.destroy();
  });

  it('a second Ctrl-C while a stop waits forces: non-zero at once, the embedded Postgres stopped too', async () => {
    const started = await start();
    const client = await halfRequest(started.url);
    started.markStop();
    process.kill(-started.child.pid!, 'SIGINT');
    await waitFor(started, /SIGINT received, stopping/);
    process.kill(-started.child.pid!, 'SIGINT');
    const output = await expectForcedStop(started, 5);
    expect(output).toContain('forced exit: second SIGINT while stopping (was stopping: HTTP server, sockets and workers)');
    client.destroy();
  });

  it('a stop past SHUTDOWN_TIMEOUT_SECONDS is forced and names the step; the next start recovers', async () => {
    const started = await start({ SHUTDOWN_TIMEOUT_SECONDS: '3' });
    const client = await halfRequest(started.url);
    started.markStop();
    process.kill(-started.child.pid!, 'SIGINT');
    const output = await expectForcedStop(started, 8);
    expect(output).toContain('shutdown did not finish within 3 s (SHUTDOWN_TIMEOUT_SECONDS); still stopping: HTTP server, sockets and workers');
    client.destroy();

    const again = await start();
    expect(await statusWith(again.url, firstToken)).toBe(200);
    again.markStop();
    process.kill(-again.child.pid!, 'SIGINT');
    await expectCleanStop(again);
  });
});
