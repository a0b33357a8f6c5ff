// The soak's clients, in a child process (child_process.fork) so that their work and memory stay
// out of the service's process: `sockets` Socket.IO screens, each subscribed to one section room
// and every other one also to `realtime`, and dashboard HTTP requests at a fixed rate whatever the
// answers' speed (open loop: a slow service meets the same arrivals, as with real screens).
// The parent asks for the figures since its last question (latency percentiles are computed here,
// so the service's process never holds the raw samples), and finally stops everything.
import { io, type Socket } from 'socket.io-client';
import { percentile } from './report.js';

export interface ClientsJob {
  url: string;
  tokens: string[];
  sockets: number;
  /** Rooms `section:<name>` handed out in turn; every other socket also joins `realtime`. */
  sectionRooms: string[];
  requestsPerSecond: number;
  /** API paths (with their query) requested in turn. */
  paths: string[];
  timeoutMs: number;
  /** Sent as `Cache-Control: max-stale=N` (answers up to N s old accepted); null = fresh answers only. */
  maxStaleSeconds: number | null;
}

/** What happened since the previous sample. */
export interface ClientsSample {
  requests: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  /** Answers other than 200. */
  non2xx: number;
  timeouts: number;
  /** Connection refused, reset...: no HTTP answer at all. */
  networkErrors: number;
  /** Arrivals not sent because `maxInFlight` requests were already waiting. */
  dropped: number;
  inFlight: number;
  pushes: number;
  disconnects: number;
  connected: number;
  statuses: Record<string, number>;
  /** Answers other than 200 by path (query included). */
  failedPaths: Record<string, number>;
}

export type ClientsRequest = { type: 'start'; job: ClientsJob } | { type: 'sample' } | { type: 'stop' };
export type ClientsReply =
  | { type: 'started'; connected: number; failures: number; ms: number; errors: string[] }
  | { type: 'sample'; sample: ClientsSample }
  | { type: 'stopped'; requests: number; latencyP50Ms: number; latencyP99Ms: number; pushesByRoom: Record<string, number> }
  | { type: 'failed'; error: string };

// Beyond this many unanswered requests the service is not keeping up; more would only measure
// this process's queue. Arrivals above it are counted as dropped.
const MAX_IN_FLIGHT = 1000;

const sockets: Socket[] = [];
const pushesByRoom: Record<string, number> = {};
let pushes = 0;
let disconnects = 0;
let window = newWindow();
// The whole run's latencies, for the final percentiles (a few hundred thousand numbers).
const allLatencies: number[] = [];
let inFlight = 0;
let driver: NodeJS.Timeout | null = null;
const pending = new Set<Promise<void>>();

/** What one sampling window counts (the sample's counters, with the window's raw latencies). */
type Window = Pick<ClientsSample, 'non2xx' | 'timeouts' | 'networkErrors' | 'dropped' | 'statuses' | 'failedPaths'> & { latencies: number[] };

function newWindow(): Window {
  return { latencies: [], non2xx: 0, timeouts: 0, networkErrors: 0, dropped: 0, statuses: {}, failedPaths: {} };
}

async function connectSockets(job: ClientsJob): Promise<ClientsReply> {
  const started = performance.now();
  const errors: string[] = [];
  let failures = 0;
  const WAVE = 100;
  for (let offset = 0; offset < job.sockets; offset += WAVE) {
    const wave = Array.from({ length: Math.min(WAVE, job.sockets - offset) }, (_, i) => {
      const index = offset + i;
      const rooms = [job.sectionRooms[index % job.sectionRooms.length]!, ...(index % 2 === 0 ? ['realtime'] : [])];
      // Reconnects by itself, as a screen would; every drop is counted.
      const socket = io(`${job.url}/statistics`, { transports: ['websocket'], forceNew: true, reconnection: true, auth: { token: job.tokens[index % job.tokens.length] } });
      socket.on('stats:update', (update: { room: string }) => {
        pushes++;
        pushesByRoom[update.room] = (pushesByRoom[update.room] ?? 0) + 1;
      });
      socket.on('disconnect', () => disconnects++);
      sockets.push(socket);
      return new Promise<void>((resolve) => {
        socket.once('connect', () => {
          void Promise.all(rooms.map((room) => socket.timeout(30_000).emitWithAck('subscribe', { room }) as Promise<{ ok: boolean; error?: string }>))
            .then((replies) => {
              for (const reply of replies) {
                if (reply.ok) continue;
                failures++;
                if (errors.length < 5) errors.push(reply.error ?? 'subscribe refused');
              }
            })
            .catch((error: Error) => {
              failures++;
              if (errors.length < 5) errors.push(error.message);
            })
            .finally(resolve);
        });
        socket.once('connect_error', (error: Error) => {
          failures++;
          if (errors.length < 5) errors.push(error.message);
          resolve();
        });
      });
    });
    await Promise.all(wave);
  }
  return { type: 'started', connected: sockets.filter((socket) => socket.connected).length, failures, ms: performance.now() - started, errors };
}

async function request(job: ClientsJob, path: string, token: string): Promise<void> {
  const started = performance.now();
  inFlight++;
  try {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
    if (job.maxStaleSeconds !== null) headers['Cache-Control'] = `max-stale=${job.maxStaleSeconds}`;
    const response = await fetch(job.url + path, { headers, signal: AbortSignal.timeout(job.timeoutMs) });
    await response.arrayBuffer();
    const ms = performance.now() - started;
    window.latencies.push(ms);
    allLatencies.push(ms);
    window.statuses[response.status] = (window.statuses[response.status] ?? 0) + 1;
    if (response.status !== 200) {
      window.non2xx++;
      const name = path.replace('/depannage/api/statistics/', '');
      window.failedPaths[name] = (window.failedPaths[name] ?? 0) + 1;
    }
  } catch (error) {
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) window.timeouts++;
    else window.networkErrors++;
  } finally {
    inFlight--;
  }
}

function startRequests(job: ClientsJob): void {
  const interval = 1000 / job.requestsPerSecond;
  const begun = performance.now();
  let sent = 0;
  // A 10 ms timer sends every arrival that is due, so the rate holds even when timers fire late.
  driver = setInterval(() => {
    const due = Math.floor((performance.now() - begun) / interval);
    for (; sent < due; sent++) {
      if (inFlight >= MAX_IN_FLIGHT) {
        window.dropped++;
        continue;
      }
      const work = request(job, job.paths[sent % job.paths.length]!, job.tokens[sent % job.tokens.length]!);
      pending.add(work);
      void work.finally(() => pending.delete(work));
    }
  }, 10);
}

function sample(): ClientsSample {
  const current = window;
  window = newWindow();
  const result: ClientsSample = {
    requests: current.latencies.length + current.timeouts + current.networkErrors,
    latencyP50Ms: percentile(current.latencies, 50),
    latencyP99Ms: percentile(current.latencies, 99),
    latencyMaxMs: current.latencies.length > 0 ? Math.max(...current.latencies) : Number.NaN,
    non2xx: current.non2xx,
    timeouts: current.timeouts,
    networkErrors: current.networkErrors,
    dropped: current.dropped,
    inFlight,
    pushes,
    disconnects,
    connected: sockets.filter((socket) => socket.connected).length,
    statuses: current.statuses,
    failedPaths: current.failedPaths,
  };
  pushes = 0;
  disconnects = 0;
  return result;
}

async function stop(): Promise<ClientsReply> {
  if (driver) clearInterval(driver);
  await Promise.all(pending);
  for (const socket of sockets) socket.disconnect();
  return {
    type: 'stopped',
    requests: allLatencies.length,
    latencyP50Ms: percentile(allLatencies, 50),
    latencyP99Ms: percentile(allLatencies, 99),
    pushesByRoom,
  };
}

function serve(): void {
  const send = (reply: ClientsReply): void => {
    process.send!(reply);
  };
  process.on('message', (message: ClientsRequest) => {
    void (async () => {
      try {
        if (message.type === 'start') {
          const reply = await connectSockets(message.job);
          startRequests(message.job);
          send(reply);
        } else if (message.type === 'sample') {
          send({ type: 'sample', sample: sample() });
        } else {
          send(await stop());
        }
      } catch (error) {
        send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
}

if (process.send) serve();
