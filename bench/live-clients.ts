// Socket.IO clients of the live benchmark, in a child process (child_process.fork) so that the
// clients' work never runs on the API's event loop and their clocks are not delayed by it. The
// parent asks it to open `count` sockets on one room and later for what they received:
//   values   for the first socket, every update's arrival time and the number at `valuePath`
//   ticks    for every socket, per update (identified by the value at `keyPath`): how many
//            sockets received it, first and last arrival
// Times are epoch milliseconds (performance.timeOrigin + now()), comparable across processes.
import { io, type Socket } from 'socket.io-client';
import { epochMs } from './report.js';

export interface ConnectJob {
  url: string;
  tokens: string[];
  count: number;
  room: string;
  valuePath: string | null;
  keyPath: string | null;
}

export interface TickArrivals {
  key: string;
  received: number;
  first: number;
  last: number;
}

export type ClientsRequest = { type: 'connect'; job: ConnectJob } | { type: 'report' } | { type: 'close' };
export type ClientsReply =
  | { type: 'connected'; sockets: number; failures: number; ms: number; errors: string[] }
  | { type: 'report'; values: Array<{ at: number; value: number }>; ticks: TickArrivals[] }
  | { type: 'closed' }
  | { type: 'failed'; error: string };

function at(data: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), data);
}

const sockets: Socket[] = [];
const values: Array<{ at: number; value: number }> = [];
const ticks = new Map<string, TickArrivals>();

async function connect(job: ConnectJob): Promise<ClientsReply> {
  const started = epochMs();
  const errors: string[] = [];
  let failures = 0;
  // In waves, as screens come online; each socket on its own connection (forceNew).
  const WAVE = 250;
  for (let offset = 0; offset < job.count; offset += WAVE) {
    const wave = Array.from({ length: Math.min(WAVE, job.count - offset) }, (_, i) => {
      const index = offset + i;
      const socket = io(`${job.url}/statistics`, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token: job.tokens[index % job.tokens.length] } });
      socket.on('stats:update', (update: { room: string; data: unknown }) => {
        const now = epochMs();
        if (index === 0 && job.valuePath) values.push({ at: now, value: Number(at(update.data, job.valuePath)) });
        if (job.keyPath) {
          const key = String(at(update.data, job.keyPath));
          const entry = ticks.get(key);
          if (entry) {
            entry.received++;
            entry.last = Math.max(entry.last, now);
          } else {
            ticks.set(key, { key, received: 1, first: now, last: now });
          }
        }
      });
      return new Promise<void>((resolve) => {
        socket.once('connect', () => {
          socket.timeout(30_000).emit('subscribe', { room: job.room }, (error: Error | null, reply: { ok: boolean; error?: string }) => {
            if (error || !reply.ok) {
              failures++;
              if (errors.length < 5) errors.push(error?.message ?? reply.error ?? 'subscribe refused');
            }
            resolve();
          });
        });
        socket.once('connect_error', (error: Error) => {
          failures++;
          if (errors.length < 5) errors.push(error.message);
          resolve();
        });
      }).then(() => {
        sockets.push(socket);
      });
    });
    await Promise.all(wave);
  }
  return { type: 'connected', sockets: sockets.filter((socket) => socket.connected).length, failures, ms: epochMs() - started, errors };
}

function serve(): void {
  const send = (reply: ClientsReply): void => {
    process.send!(reply);
  };
  process.on('message', (message: ClientsRequest) => {
    void (async () => {
      try {
        if (message.type === 'connect') send(await connect(message.job));
        else if (message.type === 'report') send({ type: 'report', values: values.splice(0), ticks: [...ticks.values()] });
        else {
          for (const socket of sockets) socket.disconnect();
          sockets.length = 0;
          ticks.clear();
          send({ type: 'closed' });
        }
      } catch (error) {
        send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
}

if (process.send) serve();
