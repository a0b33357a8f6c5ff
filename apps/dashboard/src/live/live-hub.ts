// The page's one Socket.IO connection to the /statistics namespace (docs/realtime.md): it joins the
// rooms the open view needs (section:<name>, realtime, alerts…), joins them again after a
// reconnection, and hands each `stats:update` to the views of that room. Its state drives the
// connection indicator; while it is not live the views poll instead (use-live.ts).
import { io, type Socket } from 'socket.io-client';
import type { Alert } from '../../../../libs/metrics/src/alerts.js';
import type { ExportFinished, ExportProgress } from '../../../../libs/metrics/src/exports.js';
import type { ClientToServerEvents, ConnectRefusal, ServerToClientEvents, SessionEnd, StatsUpdate } from '../../../api/src/realtime/protocol.js';

export type LiveState = 'connecting' | 'live' | 'offline';

type UpdateHandler = (update: StatsUpdate) => void;

/** An export job's news in its room `export:<id>`: progress while it runs, then the end. */
export type ExportEvent = { event: 'progress'; progress: ExportProgress } | { event: 'finished'; finished: ExportFinished };

export class LiveHub {
  private readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  private readonly rooms = new Map<string, Set<UpdateHandler>>();
  private readonly stateListeners = new Set<(state: LiveState) => void>();
  private readonly alertListeners = new Set<(alert: Alert) => void>();
  private readonly exportListeners = new Set<(news: ExportEvent) => void>();
  private currentState: LiveState = 'connecting';
  private lastError: string | null = null;

  /** `onAccessLost`: the server refused or ended the session (expired token, user demoted…). */
  constructor(token: string, onAccessLost: (reason: string) => void) {
    this.socket = io('/statistics', {
      auth: (callback) => callback({ token }),
      // Long-polling first would cost a round of HTTP requests per reconnection; the API speaks WebSocket.
      transports: ['websocket', 'polling'],
      reconnectionDelayMax: 10_000,
    });
    this.socket.on('connect', () => {
      this.lastError = null;
      this.setState('live');
      // A recovered session keeps its rooms; a new one must join again. Joining twice is harmless.
      for (const room of this.rooms.keys()) this.join(room);
    });
    this.socket.on('disconnect', (reason) => {
      this.setState('offline');
      // The server closed it (session:end, or a kick): socket.io does not retry by itself then.
      if (reason === 'io server disconnect') this.lastError = 'session fermée par le serveur';
    });
    this.socket.on('connect_error', (error) => {
      const refusal = (error as Error & { data?: ConnectRefusal }).data;
      if (refusal?.code === 'token_not_valid' || refusal?.code === 'permission_denied' || refusal?.code === 'not_authenticated') {
        onAccessLost(refusal.detail || error.message);
        return;
      }
      this.lastError = error.message;
      this.setState('offline');
    });
    this.socket.on('session:end', (end: SessionEnd) => onAccessLost(end.detail));
    this.socket.on('stats:update', (update) => {
      for (const handler of this.rooms.get(update.room) ?? []) handler(update);
    });
    this.socket.on('alert', (alert) => {
      for (const listener of this.alertListeners) listener(alert);
    });
    this.socket.on('export:progress', (progress) => {
      for (const listener of this.exportListeners) listener({ event: 'progress', progress });
    });
    this.socket.on('export:finished', (finished) => {
      for (const listener of this.exportListeners) listener({ event: 'finished', finished });
    });
  }

  get state(): LiveState {
    return this.currentState;
  }

  /** Why the socket is not live, when it said so. */
  get error(): string | null {
    return this.lastError;
  }

  onState(listener: (state: LiveState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  onAlert(listener: (alert: Alert) => void): () => void {
    this.alertListeners.add(listener);
    return () => this.alertListeners.delete(listener);
  }

  /** Export jobs' events, of the `export:<id>` rooms this page joined (filter by export_id). */
  onExport(listener: (news: ExportEvent) => void): () => void {
    this.exportListeners.add(listener);
    return () => this.exportListeners.delete(listener);
  }

  /** Receives the room's payloads from now on (the current one first); returns the way out. */
  subscribe(room: string, handler: UpdateHandler): () => void {
    let handlers = this.rooms.get(room);
    if (!handlers) {
      handlers = new Set();
      this.rooms.set(room, handlers);
      if (this.socket.connected) this.join(room);
    }
    handlers.add(handler);
    return () => {
      handlers.delete(handler);
      if (handlers.size > 0) return;
      this.rooms.delete(room);
      if (this.socket.connected) {
        this.socket.emit('unsubscribe', { room }, (reply) => {
          if (!reply.ok) console.warn(`unsubscribe ${room}: ${reply.error}`);
        });
      }
    };
  }

  close(): void {
    this.socket.removeAllListeners();
    this.socket.disconnect();
  }

  private join(room: string): void {
    this.socket.emit('subscribe', { room }, (reply) => {
      // A refused room is a programming error of this page (an unknown name): said in the console.
      if (!reply.ok) console.error(`subscribe ${room}: ${reply.error}`);
    });
  }

  private setState(state: LiveState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    for (const listener of this.stateListeners) listener(state);
  }
}
