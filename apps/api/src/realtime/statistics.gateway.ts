// Namespace /statistics: authenticated sockets join rooms and receive each room's payload right
// after subscribing, on every REAL_TIME_REFRESH_SECONDS tick, and as soon as the ingest applies a
// change that moves one of its numbers (at most one push per room per second). Statistics payloads
// are computed by each process for its own sockets (`local`); alerts and other events are broadcast
// through the adapter to every process.
import { Inject, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import {
  Ack,
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
} from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import type { AppConfig } from '../../../../libs/config/src/config.js';
import type { Alert } from '../../../../libs/metrics/src/alerts.js';
import type { AppliedBatch, IngestFeed } from '../../../../libs/ingest-feed/src/feed.js';
import { withEngineContext } from '../../../../libs/clickhouse/src/admission.js';
import { AccessAuthenticator, AccessRefused, isAdministrator } from '../auth/admin.guard.js';
import { APP_CONFIG, INGEST } from '../tokens.js';
import {
  REALTIME_NAMESPACE,
  type ClientToServerEvents,
  type ConnectRefusal,
  type RoomReply,
  type ServerToClientEvents,
  type SessionEnd,
  type StatsUpdate,
} from './protocol.js';
import { REALTIME_ADAPTER, type RealtimeAdapter } from './io-adapter.js';
import { RoomDirectory, RoomRefused, type RoomPayload, type RoomSource, type RoomViewer } from './room-directory.js';
import { errorMessage } from '../../../../libs/errors/src/error-message.js';

interface SocketData {
  userId: number;
  user: RoomViewer;
  expiresAtMs: number;
  /** session:end was sent; the socket closes shortly. */
  ending?: boolean;
}

type StatisticsNamespace = Namespace<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type StatisticsSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/** At most one change-driven push per room per this many ms (the debounce). */
const MIN_PUSH_INTERVAL_MS = 1000;
/**
 * The share of the engine's time the rooms' change-driven pushes may take together. Under constant
 * writes every room's numbers move every second, and recomputing every room every second can take
 * the whole engine: bench soak (200 changes/s, 200 000 requests, 11 rooms at ~0.5 s each) measured
 * live rooms and ingest taking all of it and the dashboards' requests no turn at all (503s). The push
 * interval stretches instead, to Σ(each room's computation time) ÷ this share: live screens then
 * move every few seconds rather than the rest of the service stopping.
 */
const LIVE_ENGINE_SHARE = 0.5;
/** How long a socket told session:end stays open for the message to get through. */
const SESSION_END_GRACE_MS = 1000;
/** setTimeout's largest delay; a token valid longer is re-armed when this fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface ActiveRoom {
  source: RoomSource;
  /** The numbers last pushed (volatile keys removed), to skip pushes that would change nothing. */
  fingerprint: string | null;
  /** The data last pushed to the room, for sources that push only what moved (RoomSource.delta). */
  pushed: unknown;
  running: boolean;
  /** A push asked for (while one ran, or until the next round): 'tick' forces a send, 'change' sends if a number moved. */
  pending: 'tick' | 'change' | null;
  /** Bumped by every change to a table the room reads (or its owner's refresh). */
  changes: number;
  /** The last payload computed, and as of which change count. */
  latest: { payload: RoomPayload; changes: number; at: number } | null;
  /** The computation under way: subscribers arriving meanwhile share it instead of starting their own. */
  computing: { promise: Promise<RoomPayload>; changes: number } | null;
  /** The engine time computing the payload takes (ms, moving average of the recent computations). */
  costMs: number;
}

export interface RealtimeStatus {
  ok: boolean;
  /** How rooms are shared: 'redis-streams' across processes, 'memory' within this one. */
  adapter: RealtimeAdapter['kind'];
  error: string | null;
  sockets: number;
  rooms: number;
  pushes: number;
  push_failures: number;
  /** Room payloads computed (shared by every subscriber and push that needed the same one). */
  computations: number;
  /** When the last refresh tick began (ISO-8601), null before the first. */
  last_tick_at: string | null;
  /** The interval between two change-driven pushes of a room now (1 s, longer when computing the rooms costs more than their share of the engine). */
  push_interval_ms: number;
}

// Its CORS comes from CORS_ORIGINS through StatisticsIoAdapter.
@WebSocketGateway({ namespace: REALTIME_NAMESPACE })
export class StatisticsGateway
  implements OnGatewayInit<StatisticsNamespace>, OnGatewayConnection<StatisticsSocket>, OnGatewayDisconnect<StatisticsSocket>, OnModuleInit, OnModuleDestroy
{
  @WebSocketServer() private namespace!: StatisticsNamespace;
  private readonly logger = new Logger('statistics.realtime');
  private readonly expiries = new Map<string, NodeJS.Timeout>();
  private readonly active = new Map<string, ActiveRoom>();
  private readonly counters = { pushes: 0, push_failures: 0, computations: 0 };
  private lastTickAt: string | null = null;
  /** The next round of change-driven pushes (request()), and when it may start. */
  private roundTimer: NodeJS.Timeout | null = null;
  private nextRoundAt = 0;
  private readonly onApplied = (batch: AppliedBatch): void => this.changed(batch.tables);
  /** Ends the subscription to the ingest feed's batches. */
  private stopListening: (() => void) | null = null;

  constructor(
    @Inject(RoomDirectory) private readonly directory: RoomDirectory,
    @Inject(AccessAuthenticator) private readonly authenticator: AccessAuthenticator,
    @Inject(INGEST) private readonly ingest: IngestFeed,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(SchedulerRegistry) private readonly scheduler: SchedulerRegistry,
    @Inject(REALTIME_ADAPTER) private readonly adapter: RealtimeAdapter,
  ) {}

  onModuleInit(): void {
    this.stopListening = this.ingest.onApplied(this.onApplied);
    this.scheduler.addInterval(
      'statistics.realtime.tick',
      setInterval(() => {
        this.tick().catch((error: unknown) =>
          this.logger.error({ message: 'refresh tick failed', error: errorMessage(error) }),
        );
      }, this.config.realTimeRefreshSeconds * 1000),
    );
  }

  onModuleDestroy(): void {
    this.stopListening?.();
    this.scheduler.deleteInterval('statistics.realtime.tick');
    for (const timer of this.expiries.values()) clearTimeout(timer);
    if (this.roundTimer) clearTimeout(this.roundTimer);
    this.expiries.clear();
    this.active.clear();
  }

  afterInit(namespace: StatisticsNamespace): void {
    // Runs on every connection, recovered ones included (skipMiddlewares: false): a token that
    // expired while the client was away does not come back.
    namespace.use((socket, next) => {
      this.authenticate(socket).then(
        () => next(),
        (error: unknown) => {
          if (!(error instanceof AccessRefused)) {
            this.logger.error({ message: 'socket authentication failed', error: errorMessage(error) });
          }
          const refusal: ConnectRefusal =
            error instanceof AccessRefused
              ? { code: error.code, detail: error.detail }
              : { code: 'not_authenticated', detail: 'authentication is unavailable, try again' };
          next(Object.assign(new Error(refusal.detail), { data: refusal }));
        },
      );
    });
  }

  private async authenticate(socket: StatisticsSocket): Promise<void> {
    const auth = socket.handshake.auth as Record<string, unknown> | undefined;
    const token = typeof auth?.token === 'string' ? auth.token.replace(/^Bearer\s+/i, '') : undefined;
    const session = token
      ? await this.authenticator.fromToken(token, isAdministrator, socket.handshake.address)
      : await this.authenticator.fromHeader(socket.handshake.headers.authorization, isAdministrator, socket.handshake.address);
    socket.data.userId = session.user.id;
    socket.data.user = session.user;
    socket.data.expiresAtMs = session.expiresAtMs;
  }

  handleConnection(socket: StatisticsSocket): void {
    this.armExpiry(socket);
    if (socket.recovered) {
      // Rooms came back with the session; stats are state, so each gets its current payload.
      for (const room of socket.rooms) {
        if (room === socket.id) continue;
        void this.sendCurrent(socket, room);
      }
    }
  }

  handleDisconnect(socket: StatisticsSocket): void {
    const timer = this.expiries.get(socket.id);
    if (timer) clearTimeout(timer);
    this.expiries.delete(socket.id);
  }

  private armExpiry(socket: StatisticsSocket): void {
    const delay = socket.data.expiresAtMs - Date.now();
    const timer = setTimeout(
      () => {
        if (socket.data.expiresAtMs > Date.now()) return this.armExpiry(socket);
        this.end(socket, { code: 'token_expired', detail: 'Token has expired: reconnect with a fresh token' });
      },
      Math.max(0, Math.min(delay, MAX_TIMER_MS)),
    );
    timer.unref();
    this.expiries.set(socket.id, timer);
  }

  private end(socket: StatisticsSocket, reason: SessionEnd): void {
    if (socket.data.ending) return;
    socket.data.ending = true;
    // No more data from now on; the reason, then the close a moment later, so that the reason is
    // read before the connection goes (the client may also close it first).
    for (const room of socket.rooms) if (room !== socket.id) void socket.leave(room);
    this.namespace.local.to(socket.id).emit('session:end', reason);
    setTimeout(() => socket.disconnect(true), SESSION_END_GRACE_MS).unref();
  }

  @SubscribeMessage('subscribe')
  async subscribe(@ConnectedSocket() socket: StatisticsSocket, @MessageBody() body: unknown, @Ack() ack: unknown): Promise<void> {
    const room = roomOf(body);
    try {
      const source = this.directory.resolve(room);
      await source.admit?.(socket.data.user);
    } catch (error) {
      if (error instanceof RoomRefused) return reply(ack, { ok: false, error: error.message });
      throw error;
    }
    await socket.join(room as string);
    reply(ack, { ok: true });
    await this.sendCurrent(socket, room as string);
  }

  @SubscribeMessage('unsubscribe')
  async unsubscribe(@ConnectedSocket() socket: StatisticsSocket, @MessageBody() body: unknown, @Ack() ack: unknown): Promise<void> {
    const room = roomOf(body);
    if (typeof room !== 'string' || room === socket.id || !socket.rooms.has(room)) {
      return reply(ack, { ok: false, error: `not subscribed to ${JSON.stringify(room)}` });
    }
    await socket.leave(room);
    reply(ack, { ok: true });
  }

  /** Sends `alert` to every socket in the alerts room, on every process sharing the adapter. */
  broadcastAlert(alert: Alert): void {
    this.namespace.to('alerts').emit('alert', alert);
  }

  /** Sends `event` to every socket in `room`, on every process sharing the adapter (e.g. export progress). */
  emitToRoom<E extends 'export:progress' | 'export:finished'>(room: string, event: E, ...args: Parameters<ServerToClientEvents[E]>): void {
    this.namespace?.to(room).emit(event, ...args);
  }

  /** Pushes the room's payload now on this process (its owner says it changed), e.g. the alerts list. */
  refresh(room: string): void {
    const state = this.active.get(room);
    if (state) this.invalidate(room, state);
  }

  /** The room's payload may have moved: the next push computes it again, and is requested. */
  private invalidate(room: string, state: ActiveRoom): void {
    state.changes++;
    this.request(room, 'change');
  }

  status(): RealtimeStatus {
    const problem = this.adapter.problem();
    return {
      ok: problem === null,
      adapter: this.adapter.kind,
      error: problem,
      sockets: this.namespace?.sockets.size ?? 0,
      rooms: this.active.size,
      ...this.counters,
      last_tick_at: this.lastTickAt,
      push_interval_ms: Math.round(this.pushIntervalMs()),
    };
  }

  private track(room: string, source: RoomSource): ActiveRoom {
    let state = this.active.get(room);
    if (!state) {
      state = { source, fingerprint: null, pushed: undefined, running: false, pending: null, changes: 0, latest: null, computing: null, costMs: 0 };
      this.active.set(room, state);
    }
    return state;
  }

  /**
   * The room's payload as of its latest change: the last one computed if nothing changed since and
   * it is younger than `maxAgeMs`, else the computation under way if it started after the latest
   * change, else a new one (after the one under way: one at a time per room). A thousand screens
   * subscribing at once cost one computation, not a thousand.
   */
  private payload(state: ActiveRoom, maxAgeMs: number): Promise<RoomPayload> {
    const { latest, computing } = state;
    if (latest && latest.changes === state.changes && Date.now() - latest.at < maxAgeMs) return Promise.resolve(latest.payload);
    if (computing && computing.changes === state.changes) return computing.promise;
    const changes = state.changes;
    const promise = (computing ? computing.promise.catch(() => undefined) : Promise.resolve())
      .then(async () => {
        this.counters.computations++;
        const account = { busyMs: 0 };
        try {
          // Live screens come first in the engine's queue; a payload not computed within a refresh
          // period is skipped (the next tick or change tries again).
          const context = { priority: 'live' as const, deadline: Date.now() + this.config.realTimeRefreshSeconds * 1000, account };
          return await withEngineContext(context, () => state.source.current());
        } finally {
          // Engine time only: the wait for a turn is what the others' work costs, not this room's.
          state.costMs = state.costMs === 0 ? account.busyMs : 0.7 * state.costMs + 0.3 * account.busyMs;
        }
      })
      .then((payload) => {
        if (!state.latest || state.latest.changes <= changes) state.latest = { payload, changes, at: Date.now() };
        return payload;
      });
    const entry = { promise, changes };
    state.computing = entry;
    promise.then(
      () => this.settled(state, entry),
      () => this.settled(state, entry),
    );
    return promise;
  }

  private settled(state: ActiveRoom, entry: ActiveRoom['computing']): void {
    if (state.computing === entry) state.computing = null;
  }

  private async sendCurrent(socket: StatisticsSocket, room: string): Promise<void> {
    let source: RoomSource;
    try {
      source = this.directory.resolve(room);
    } catch {
      return; // a recovered room this server no longer serves
    }
    const state = this.track(room, source);
    try {
      const payload = await this.payload(state, this.config.realTimeRefreshSeconds * 1000);
      // The first payload given in a room is the baseline of its first delta: every later subscriber
      // gets one at least as new (payloads are computed one at a time, in order).
      if (state.pushed === undefined) state.pushed = payload.data;
      // To this socket, from this process: `local` keeps Redis out of the path (with connection-state
      // recovery, socket.emit itself goes through the adapter, i.e. a round trip to Redis).
      if (socket.connected) this.namespace.local.to(socket.id).emit('stats:update', { room, data: payload.data, data_as_of: payload.data_as_of });
    } catch (error) {
      this.failed(room, error);
    }
  }

  private changed(tables: readonly string[]): void {
    for (const [room, state] of this.active) {
      if (state.source.tables.some((table) => tables.includes(table))) this.invalidate(room, state);
    }
  }

  private async tick(): Promise<void> {
    this.lastTickAt = new Date().toISOString();
    await this.revalidateUsers();
    for (const [room, state] of this.active) if (state.source.tick) this.request(room, 'tick');
  }

  /** A user deactivated or demoted in Django loses the live feed at the next tick. */
  private async revalidateUsers(): Promise<void> {
    const byUser = new Map<number, StatisticsSocket[]>();
    for (const socket of this.namespace.sockets.values()) {
      const list = byUser.get(socket.data.userId) ?? [];
      list.push(socket);
      byUser.set(socket.data.userId, list);
    }
    for (const [userId, sockets] of byUser) {
      try {
        await this.authenticator.current(userId, isAdministrator);
      } catch (error) {
        if (!(error instanceof AccessRefused)) {
          this.logger.warn({ message: 'could not re-check a connected user; keeping the sockets', user_id: userId, error: String(error) });
          continue;
        }
        for (const socket of sockets) this.end(socket, { code: 'user_revoked', detail: error.detail });
      }
    }
  }

  /**
   * A tick pushes now; a change joins the next round of change-driven pushes. Every room with a
   * change pending pushes in the same round, at most one round per push interval: their
   * computations then run together on the same data and share the figures they have in common
   * (statistics/compute.ts, Moment) instead of each querying them in its own turn.
   */
  private request(room: string, reason: 'tick' | 'change'): void {
    const state = this.active.get(room);
    if (!state) return;
    if (state.running) {
      if (state.pending !== 'tick') state.pending = reason;
      return;
    }
    if (reason === 'tick') {
      state.pending = null;
      void this.publish(room, state, 'tick');
      return;
    }
    if (state.pending !== 'tick') state.pending = 'change';
    this.scheduleRound();
  }

  private scheduleRound(): void {
    if (this.roundTimer) return;
    // At once after a quiet spell (the next macrotask: every room the same batch moved is in it).
    this.roundTimer = setTimeout(() => this.round(), Math.max(0, this.nextRoundAt - Date.now()));
  }

  private round(): void {
    this.roundTimer = null;
    this.nextRoundAt = Date.now() + this.pushIntervalMs();
    for (const [room, state] of this.active) {
      if (!state.pending || state.running) continue;
      const reason = state.pending;
      state.pending = null;
      void this.publish(room, state, reason);
    }
  }

  /** The interval between two change-driven pushes of a room: 1 s, or what keeps all rooms' computations within their share of the engine. */
  private pushIntervalMs(): number {
    let costMs = 0;
    for (const state of this.active.values()) costMs += state.costMs;
    return Math.max(MIN_PUSH_INTERVAL_MS, costMs / LIVE_ENGINE_SHARE);
  }

  private async publish(room: string, state: ActiveRoom, reason: 'tick' | 'change'): Promise<void> {
    if (!this.namespace.adapter.rooms.get(room)?.size) {
      // Nobody here listens any more.
      this.active.delete(room);
      return;
    }
    state.running = true;
    try {
      const payload = await this.payload(state, 0);
      const fingerprint = fingerprintOf(payload.data, state.source.volatile);
      if (reason === 'change' && fingerprint === state.fingerprint) return;
      state.fingerprint = fingerprint;
      // A tick sends everything (a screen resynchronises); a change, what moved when the source says.
      const delta = reason === 'change' && state.source.delta && state.pushed !== undefined;
      const data = delta ? state.source.delta!(state.pushed, payload.data) : payload.data;
      state.pushed = payload.data;
      const update: StatsUpdate = { room, data, data_as_of: payload.data_as_of };
      this.namespace.local.to(room).emit('stats:update', update);
      this.counters.pushes++;
    } catch (error) {
      this.failed(room, error);
    } finally {
      state.running = false;
      // Asked for while this one ran: a tick now, a change in the next round.
      if (state.pending === 'tick') this.request(room, 'tick');
      else if (state.pending) this.scheduleRound();
    }
  }

  private failed(room: string, error: unknown): void {
    // Nothing is pushed rather than a wrong number; the next tick or change tries again.
    this.counters.push_failures++;
    this.logger.warn({ message: 'live payload not computed', room, error: errorMessage(error) });
  }
}

function roomOf(body: unknown): unknown {
  return body !== null && typeof body === 'object' ? (body as { room?: unknown }).room : undefined;
}

function reply(ack: unknown, answer: RoomReply): void {
  if (typeof ack === 'function') (ack as (reply: RoomReply) => void)(answer);
}

function fingerprintOf(data: unknown, volatile: readonly string[]): string {
  if (data === null || typeof data !== 'object' || volatile.length === 0) return JSON.stringify(data);
  const stable: Record<string, unknown> = { ...(data as Record<string, unknown>) };
  for (const key of volatile) delete stable[key];
  return JSON.stringify(stable);
}
