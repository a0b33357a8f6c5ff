// A crowd of keep-alive HTTP clients in one child process (raw sockets, one request at a time per
// connection, like wrk -t1), timing each request from its write to the last byte of its answer.
// Why not wrk: the probes an orchestrator sends open a new connection each time, and a new
// connection is where a saturated Node server is slow (it accepts one per loop iteration: see
// apps/api/src/http/loop-turns.ts); this client times such requests from connect, and runs each
// crowd in its own process so that two crowds can run at once on this 2-core machine.
import { fork } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

export interface CrowdOptions {
  connections: number;
  seconds: number;
  headers?: Record<string, string>;
  /** A request slower than this counts as a timeout; its connection is replaced. */
  timeoutMs?: number;
  /** A new connection for every request (Connection: close), timed from connect: as orchestrators probe. */
  fresh?: boolean;
  /** Pause of each client between an answer and its next request (a probe's period). */
  pauseMs?: number;
}

export interface CrowdResult {
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  non2xx: number;
  timeouts: number;
  errors: number;
}

/** Runs the crowd in a child process (its own event loop and core share) and returns its figures. */
export function crowd(url: string, options: CrowdOptions): Promise<CrowdResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--crowd-worker', JSON.stringify({ url, ...options })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: CrowdResult | undefined;
    child.once('message', (message) => (result = message as CrowdResult));
    child.once('error', reject);
    child.once('exit', (code) => (result && code === 0 ? resolve(result) : reject(new Error(`crowd client exited with ${code} and no result`))));
  });
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const HEADER_END = Buffer.from('\r\n\r\n');

async function runWorker(url: string, options: CrowdOptions): Promise<CrowdResult> {
  const target = new URL(url);
  const extra = Object.entries(options.headers ?? {}).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  const connection = options.fresh ? 'Connection: close\r\n' : '';
  const request = Buffer.from(`GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\n${connection}${extra}\r\n`);
  const timeoutMs = options.timeoutMs ?? 30_000;
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  let non2xx = 0;
  let timeouts = 0;
  let errors = 0;
  const started = performance.now();
  const end = started + options.seconds * 1000;

  /** Sockets closed on purpose (the end, a timeout): their close is not an error. */
  const replaced = new WeakSet<Socket>();
  const record = (ms: number): void => {
    if (count === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[count++] = ms;
  };

  /** One client's loop: request, read the whole answer, pause, again until the end (reconnects after a fault). */
  const client = (): Promise<void> =>
    new Promise((done) => {
      let socket: Socket | undefined;
      let buffered: Buffer = Buffer.alloc(0);
      let startedAt = 0;
      let timer: NodeJS.Timeout | undefined;
      const retire = (): void => {
        if (!socket) return;
        replaced.add(socket);
        socket.destroy();
        socket = undefined;
      };
      const next = (): void => {
        if (options.fresh) retire();
        if (performance.now() >= end) {
          retire();
          return done();
        }
        buffered = Buffer.alloc(0);
        // With a fresh connection the clock starts at connect: a server that is slow to accept shows.
        startedAt = performance.now();
        timer = setTimeout(() => {
          timeouts += 1;
          retire();
          next();
        }, timeoutMs);
        if (socket) socket.write(request);
        else open();
      };
      const open = (): void => {
        const current = connect({ host: target.hostname, port: Number(target.port || 80), noDelay: true });
        socket = current;
        current.once('connect', () => current.write(request));
        current.on('data', (chunk: Buffer) => {
          buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
          const headerEnd = buffered.indexOf(HEADER_END);
          if (headerEnd < 0) return;
          const head = buffered.subarray(0, headerEnd).toString('latin1');
          const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
          if (!length) throw new Error(`crowd client: an answer without Content-Length (chunked answers are not read):\n${head}`);
          if (buffered.length < headerEnd + 4 + Number(length[1])) return;
          clearTimeout(timer);
          record(performance.now() - startedAt);
          const status = Number(head.slice(9, 12));
          if (status < 200 || status >= 400) non2xx += 1;
          if (options.fresh) retire(); // before the pause: the server closes its side at once
          if (options.pauseMs) setTimeout(next, options.pauseMs);
          else next();
        });
        // A refused or dropped connection (or one the server closed) is an error; another replaces it.
        current.on('error', () => undefined);
        current.once('close', () => {
          if (replaced.has(current)) return;
          clearTimeout(timer);
          errors += 1;
          socket = undefined;
          setTimeout(next, 10);
        });
      };
      next();
    });

  await Promise.all(Array.from({ length: options.connections }, client));
  const elapsed = (performance.now() - started) / 1000;
  const sorted = latencies.slice(0, count).sort();
  return {
    requests: count,
    requestsPerSecond: count / elapsed,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    maxMs: count > 0 ? sorted[count - 1]! : Number.NaN,
    non2xx,
    timeouts,
    errors,
  };
}

if (process.argv[2] === '--crowd-worker') {
  const { url, ...options } = JSON.parse(process.argv[3]!) as CrowdOptions & { url: string };
  runWorker(url, options).then(
    (result) => process.send!(result, () => process.exit(0)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
