// socket.io-client helpers for the realtime tests: typed sockets on namespace /statistics, and
// waiting for an event that satisfies a predicate (with a deadline that names what was awaited).
import { io, type Socket } from 'socket.io-client';
import type {
  ClientToServerEvents,
  ConnectRefusal,
  RoomReply,
  ServerToClientEvents,
  StatsUpdate,
} from '../../apps/api/src/realtime/protocol.js';
import { REALTIME_NAMESPACE } from '../../apps/api/src/realtime/protocol.js';

export type StatisticsClient = Socket<ServerToClientEvents, ClientToServerEvents>;

export function statisticsSocket(baseUrl: string, token: string | null, options: { header?: boolean } = {}): StatisticsClient {
  return io(baseUrl + REALTIME_NAMESPACE, {
    transports: ['websocket'],
    reconnection: true,
    reconnectionDelay: 100,
    reconnectionDelayMax: 500,
    forceNew: true,
    ...(token === null ? {} : options.header ? { extraHeaders: { Authorization: `Bearer ${token}` } } : { auth: { token } }),
  });
}

/** Connects, or rejects with the server's refusal (its `data`). */
export function connected(socket: StatisticsClient): Promise<StatisticsClient> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error: Error & { data?: ConnectRefusal }) => {
      socket.disconnect();
      reject(Object.assign(new Error(error.message), { data: error.data }));
    });
  });
}

export function subscribe(socket: StatisticsClient, room: string): Promise<RoomReply> {
  return socket.timeout(10_000).emitWithAck('subscribe', { room });
}

/** Every stats:update a socket received, per room, in order of arrival. */
export function recordUpdates(socket: StatisticsClient): Map<string, StatsUpdate[]> {
  const updates = new Map<string, StatsUpdate[]>();
  socket.on('stats:update', (update) => {
    const list = updates.get(update.room) ?? [];
    list.push(update);
    updates.set(update.room, list);
  });
  return updates;
}

/** Resolves with the first event `name` whose payload satisfies `accept`, within `ms`. */
export function nextEvent<E extends keyof ServerToClientEvents>(
  socket: StatisticsClient,
  name: E,
  accept: (payload: Parameters<ServerToClientEvents[E]>[0]) => boolean,
  ms: number,
  what: string,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  return new Promise((resolve, reject) => {
    const listener = (payload: Parameters<ServerToClientEvents[E]>[0]): void => {
      if (!accept(payload)) return;
      clearTimeout(timer);
      socket.off(name, listener as never);
      resolve(payload);
    };
    const timer = setTimeout(() => {
      socket.off(name, listener as never);
      reject(new Error(`no ${String(name)} within ${ms} ms: ${what}`));
    }, ms);
    socket.on(name, listener as never);
  });
}
