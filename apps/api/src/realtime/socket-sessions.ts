// Who is on the other end of each socket: the token checked at every connection (recovered ones
// included), the session ended when the token expires (session:end, then the close), and, at every
// refresh tick, the users re-checked in Django's table (deactivated or demoted: session:end).
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Namespace, Socket } from 'socket.io';
import { AccessAuthenticator, AccessRefused, isAdministrator } from '../auth/admin.guard.js';
import { errorMessage } from '../../../../libs/errors/src/error-message.js';
import type { ClientToServerEvents, ConnectRefusal, ServerToClientEvents, SessionEnd } from './protocol.js';
import type { RoomViewer } from './room-directory.js';

export interface SocketData {
  userId: number;
  user: RoomViewer;
  expiresAtMs: number;
  /** session:end was sent; the socket closes shortly. */
  ending?: boolean;
}

export type StatisticsNamespace = Namespace<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
export type StatisticsSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/** How long a socket told session:end stays open for the message to get through. */
const SESSION_END_GRACE_MS = 1000;
/** setTimeout's largest delay; a token valid longer is re-armed when this fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

@Injectable()
export class SocketSessions {
  private readonly logger = new Logger('statistics.realtime');
  private readonly expiries = new Map<string, NodeJS.Timeout>();

  constructor(@Inject(AccessAuthenticator) private readonly authenticator: AccessAuthenticator) {}

  /** Checks every connection's token before it is accepted (a refusal says why, with its code). */
  guard(namespace: StatisticsNamespace): void {
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

  /** A connected socket: its session ends when its token expires. */
  connected(namespace: StatisticsNamespace, socket: StatisticsSocket): void {
    const delay = socket.data.expiresAtMs - Date.now();
    const timer = setTimeout(
      () => {
        if (socket.data.expiresAtMs > Date.now()) return this.connected(namespace, socket);
        this.end(namespace, socket, { code: 'token_expired', detail: 'Token has expired: reconnect with a fresh token' });
      },
      Math.max(0, Math.min(delay, MAX_TIMER_MS)),
    );
    timer.unref();
    this.expiries.set(socket.id, timer);
  }

  disconnected(socket: StatisticsSocket): void {
    const timer = this.expiries.get(socket.id);
    if (timer) clearTimeout(timer);
    this.expiries.delete(socket.id);
  }

  /** A user deactivated or demoted in Django loses the live feed (at the next tick). */
  async revalidate(namespace: StatisticsNamespace): Promise<void> {
    const byUser = new Map<number, StatisticsSocket[]>();
    for (const socket of namespace.sockets.values()) {
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
        for (const socket of sockets) this.end(namespace, socket, { code: 'user_revoked', detail: error.detail });
      }
    }
  }

  close(): void {
    for (const timer of this.expiries.values()) clearTimeout(timer);
    this.expiries.clear();
  }

  private end(namespace: StatisticsNamespace, socket: StatisticsSocket, reason: SessionEnd): void {
    if (socket.data.ending) return;
    socket.data.ending = true;
    // No more data from now on; the reason, then the close a moment later, so that the reason is
    // read before the connection goes (the client may also close it first).
    for (const room of socket.rooms) if (room !== socket.id) void socket.leave(room);
    namespace.local.to(socket.id).emit('session:end', reason);
    setTimeout(() => socket.disconnect(true), SESSION_END_GRACE_MS).unref();
  }
}
