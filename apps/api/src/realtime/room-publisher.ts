// The live rooms' pushes on this process: each room's payload computed once however many sockets
// wait for it (one computation at a time per room), pushed on every refresh tick and, when the
// ingest applies a change to a table the room reads, in the next round of change-driven pushes (all
// rooms a change moved push together, at most once per push interval: they then share figures).
// A push that would change no number is skipped; a failed computation pushes nothing.
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AppConfig } from '../../../../libs/config/src/config.js';
import { withEngineContext } from '../../../../libs/clickhouse/src/admission.js';
import { errorMessage } from '../../../../libs/errors/src/error-message.js';
import { APP_CONFIG } from '../tokens.js';
import type { StatsUpdate } from './protocol.js';
import { RoomDirectory, type RoomPayload, type RoomSource } from './room-directory.js';
import type { StatisticsNamespace, StatisticsSocket } from './socket-sessions.js';

/**
 * The share of the engine's time the rooms' change-driven pushes may take together. Under constant
 * writes every room's numbers move every second, and recomputing every room every second can take
 * the whole engine: bench soak (200 changes/s, 200 000 requests, 11 rooms at ~0.5 s each) measured
 * live rooms and ingest taking all of it and the dashboards' requests no turn at all (503s). The push
 * interval stretches instead, to Σ(each room's computation time) ÷ this share: live screens then
 * move every few seconds rather than the rest of the service stopping.
 */
const LIVE_ENGINE_SHARE = 0.5;

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

/** The publisher's part of the realtime status. */
export interface PublisherStatus {
  rooms: number;
  pushes: number;
  push_failures: number;
  computations: number;
  last_tick_at: string | null;
  /** The interval between two change-driven pushes of a room now (REALTIME_MIN_PUSH_MS, longer when computing the rooms costs more than their share of the engine). */
  push_interval_ms: number;
}

@Injectable()
export class RoomPublisher {
  private readonly logger = new Logger('statistics.realtime');
  private namespace!: StatisticsNamespace;
  private readonly active = new Map<string, ActiveRoom>();
  private readonly counters = { pushes: 0, push_failures: 0, computations: 0 };
  private lastTickAt: string | null = null;
  /** The next round of change-driven pushes (request()), and when it may start. */
  private roundTimer: NodeJS.Timeout | null = null;
  private nextRoundAt = 0;

  constructor(
    @Inject(RoomDirectory) private readonly directory: RoomDirectory,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The namespace the rooms live in (the gateway's, once Socket.IO made it). */
  attach(namespace: StatisticsNamespace): void {
    this.namespace = namespace;
  }

  close(): void {
    if (this.roundTimer) clearTimeout(this.roundTimer);
    this.active.clear();
  }

  /** Pushes the room's payload now on this process (its owner says it changed), e.g. the alerts list. */
  refresh(room: string): void {
    const state = this.active.get(room);
    if (state) this.invalidate(room, state);
  }

  /** The ingest applied a batch touching `tables`: every room reading one of them pushes in the next round. */
  changed(tables: readonly string[]): void {
    for (const [room, state] of this.active) {
      if (state.source.tables.some((table) => tables.includes(table))) this.invalidate(room, state);
    }
  }

  /** The refresh tick: every room that asks for it pushes its whole payload now. */
  tick(): void {
    this.lastTickAt = new Date().toISOString();
    for (const [room, state] of this.active) if (state.source.tick) this.request(room, 'tick');
  }

  status(): PublisherStatus {
    return { rooms: this.active.size, ...this.counters, last_tick_at: this.lastTickAt, push_interval_ms: Math.round(this.pushIntervalMs()) };
  }

  /** The room's current payload to one socket (a new subscriber, a recovered session). */
  async sendCurrent(socket: StatisticsSocket, room: string): Promise<void> {
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

  /** The room's payload may have moved: the next push computes it again, and is requested. */
  private invalidate(room: string, state: ActiveRoom): void {
    state.changes++;
    this.request(room, 'change');
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

  /** The interval between two change-driven pushes of a room: REALTIME_MIN_PUSH_MS, or what keeps all rooms' computations within their share of the engine. */
  private pushIntervalMs(): number {
    let costMs = 0;
    for (const state of this.active.values()) costMs += state.costMs;
    return Math.max(this.config.realtimeMinPushMs, costMs / LIVE_ENGINE_SHARE);
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

function fingerprintOf(data: unknown, volatile: readonly string[]): string {
  if (data === null || typeof data !== 'object' || volatile.length === 0) return JSON.stringify(data);
  const stable: Record<string, unknown> = { ...(data as Record<string, unknown>) };
  for (const key of volatile) delete stable[key];
  return JSON.stringify(stable);
}
