// The Socket.IO protocol of namespace /statistics: event names and payloads, typed once and shared
// by the gateway, the tests and any TypeScript client (docs/realtime.md describes it for others).
import type { Alert } from '../../../../libs/metrics/src/alerts.js';
import type { ExportFinished, ExportProgress } from '../../../../libs/metrics/src/exports.js';

export const REALTIME_NAMESPACE = '/statistics';

/**
 * Rooms a client may join: `realtime` (the real_time_stats payload), `section:<name>` (a section
 * endpoint's payload with default filters), `alerts`, `dashboard:<id>`, `export:<id>`.
 */
export type RoomName = string;

export interface RoomRequest {
  room: RoomName;
}

export type RoomReply = { ok: true } | { ok: false; error: string };

/** A room's current payload: sent right after a subscribe, on every tick, and when a number moves. */
export interface StatsUpdate {
  room: RoomName;
  data: unknown;
  /** Commit time of the last operational change the payload includes (null before any change). */
  data_as_of: string | null;
}

/** Why the server is about to close the connection. */
export interface SessionEnd {
  code: 'token_expired' | 'user_revoked';
  detail: string;
}

export interface ServerToClientEvents {
  'stats:update': (update: StatsUpdate) => void;
  alert: (alert: Alert) => void;
  /** Room `export:<id>`: the job's progress while it runs. */
  'export:progress': (progress: ExportProgress) => void;
  /** Room `export:<id>`: the job ended (completed or failed). */
  'export:finished': (finished: ExportFinished) => void;
  'session:end': (end: SessionEnd) => void;
}

export interface ClientToServerEvents {
  subscribe: (request: RoomRequest, ack: (reply: RoomReply) => void) => void;
  unsubscribe: (request: RoomRequest, ack: (reply: RoomReply) => void) => void;
}

/** The `data` of a refused connection's connect_error (its `message` is the detail). */
export interface ConnectRefusal {
  code: 'not_authenticated' | 'token_not_valid' | 'permission_denied' | 'too_many_failures';
  detail: string;
}
