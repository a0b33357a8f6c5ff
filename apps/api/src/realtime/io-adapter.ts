// The Socket.IO server behind the gateways: connection-state recovery, and with REDIS_URL the Redis
// Streams adapter, so that several API processes share rooms (an alert raised by one reaches the
// sockets of all) and a client that reconnects to another process still gets what it missed.
// Streams rather than @socket.io/redis-adapter: the Pub/Sub adapter cannot recover connection state
// and loses packets while Redis reconnects; the Streams adapter does both (socket.io docs).
import { Logger, type INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createClient } from '@keyv/redis';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { Server, ServerOptions } from 'socket.io';
import type { AppConfig } from '../../../../libs/config/src/config.js';
import { REDIS_OPERATION_TIMEOUT_MS, REDIS_SOCKET, redisLocation } from '../cache/cache-backend.js';
import type { CorsPolicy } from '../security/http-security.js';
import { errorMessage } from '../../../../libs/errors/src/error-message.js';

export interface RealtimeAdapter {
  kind: 'redis-streams' | 'memory';
  /** Redis host:port (no credentials), when shared. */
  redis: string | null;
  /** Null when rooms are shared as configured; else why not (Redis not answering). */
  problem(): string | null;
  factory: ReturnType<typeof createAdapter> | null;
  close(): Promise<void>;
}

/** Injection token of the RealtimeAdapter chosen at boot (for /health). */
export const REALTIME_ADAPTER = Symbol('REALTIME_ADAPTER');

/** Prefix of our Redis stream and session keys (the Redis may be shared with other applications). */
const STREAM_NAME = 'depanneteliman:realtime';

/**
 * With REDIS_URL: the shared adapter. A Redis that does not answer does not stop the API (as for
 * the cache, a Redis outage degrades, it does not stop the statistics): the client keeps
 * reconnecting, /health says degraded meanwhile, and what must cross processes (alerts) waits in
 * node-redis's queue until Redis answers; nothing is lost. Payloads for this process's own sockets
 * never go through Redis. Without REDIS_URL: rooms live in this process.
 */
export async function openRealtimeAdapter(config: AppConfig): Promise<RealtimeAdapter> {
  if (!config.redisUrl) return { kind: 'memory', redis: null, problem: () => null, factory: null, close: async () => undefined };
  const logger = new Logger('statistics.realtime');
  const location = redisLocation(config.redisUrl);
  const client = createClient({ url: config.redisUrl, socket: REDIS_SOCKET });
  let lastError = '';
  client.on('error', (error: Error) => {
    // node-redis reconnects by itself; say it once per distinct failure, not on every retry.
    if (error.message !== lastError) logger.warn({ message: 'realtime redis error', redis: location, error: error.message });
    lastError = error.message;
  });
  client.on('ready', () => {
    if (lastError) logger.log({ message: 'realtime redis available: rooms shared across processes', redis: location });
    lastError = '';
  });
  // Not awaited: it resolves when Redis answers, however long that takes; commands queue meanwhile.
  const connected = client.connect().catch((error: unknown) => {
    logger.error({ message: 'realtime redis connection given up', redis: location, error: errorMessage(error) });
  });
  await Promise.race([connected, new Promise((resolve) => setTimeout(resolve, REDIS_OPERATION_TIMEOUT_MS).unref())]);
  if (!client.isReady) {
    logger.error({ message: 'REDIS_URL does not answer yet: live rooms are shared with the other API processes once it does', redis: location });
  }
  const factory = createAdapter(client, { streamName: STREAM_NAME, sessionKeyPrefix: `${STREAM_NAME}:session:`, maxLen: 100_000 });
  return {
    kind: 'redis-streams',
    redis: location,
    problem: () => (client.isReady ? null : `redis ${location} not answering${lastError ? `: ${lastError}` : ''}; events for other API processes wait until it does`),
    factory,
    async close() {
      // Gracefully first: a command in flight gets its reply (the adapter persists a disconnecting
      // socket's session without awaiting it, and a destroy would reject it unhandled); a Redis
      // that does not answer is waited for no longer than any other Redis call.
      if (client.isReady) {
        const graceful = client.close().then(
          () => undefined,
          (error: unknown) => logger.warn({ message: 'realtime redis did not close cleanly', error: errorMessage(error) }),
        );
        await Promise.race([graceful, new Promise((resolve) => setTimeout(resolve, REDIS_OPERATION_TIMEOUT_MS).unref())]);
      }
      if (client.isOpen) client.destroy();
    },
  };
}

export class StatisticsIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly settings: { adapter: RealtimeAdapter; recoverySeconds: number; cors?: CorsPolicy },
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const { adapter, recoverySeconds } = this.settings;
    return super.createIOServer(port, {
      ...options,
      // CORS_ORIGINS, as for HTTP (security/http-security.ts), whatever the gateway's decorator says.
      ...(this.settings.cors ? { cors: this.settings.cors } : {}),
      ...(adapter.factory ? { adapter: adapter.factory } : {}),
      ...(recoverySeconds > 0
        ? { connectionStateRecovery: { maxDisconnectionDuration: recoverySeconds * 1000, skipMiddlewares: false } }
        : {}),
    } as ServerOptions) as Server;
  }
}
