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
import { redisLocation, withRedisTimeout } from '../cache/cache-backend.js';

export interface RealtimeAdapter {
  kind: 'redis-streams' | 'memory';
  /** Redis host:port (no credentials), when shared. */
  redis: string | null;
  factory: ReturnType<typeof createAdapter> | null;
  close(): Promise<void>;
}

/** Prefix of our Redis stream and session keys (the Redis may be shared with other applications). */
const STREAM_NAME = 'depanneteliman:realtime';

/**
 * With REDIS_URL: the shared adapter, or a boot error if that Redis does not answer (a replica that
 * silently kept its rooms to itself would drop alerts for everyone connected elsewhere). Without:
 * rooms live in this process.
 */
export async function openRealtimeAdapter(config: AppConfig): Promise<RealtimeAdapter> {
  if (!config.redisUrl) return { kind: 'memory', redis: null, factory: null, close: async () => undefined };
  const logger = new Logger('statistics.realtime');
  const location = redisLocation(config.redisUrl);
  const client = createClient({ url: config.redisUrl });
  let lastError = '';
  client.on('error', (error: Error) => {
    // node-redis reconnects by itself; say it once per distinct failure, not on every retry.
    if (error.message !== lastError) logger.warn({ message: 'realtime redis error', redis: location, error: error.message });
    lastError = error.message;
  });
  client.on('ready', () => {
    if (lastError) logger.log({ message: 'realtime redis available again', redis: location });
    lastError = '';
  });
  try {
    await withRedisTimeout('connect', client.connect());
  } catch (error) {
    client.destroy();
    throw new Error(`REDIS_URL (${location}) does not answer; the realtime rooms cannot be shared: ${error instanceof Error ? error.message : String(error)}`);
  }
  const factory = createAdapter(client, { streamName: STREAM_NAME, sessionKeyPrefix: `${STREAM_NAME}:session:`, maxLen: 100_000 });
  return {
    kind: 'redis-streams',
    redis: location,
    factory,
    async close() {
      client.destroy();
    },
  };
}

export class StatisticsIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly settings: { adapter: RealtimeAdapter; recoverySeconds: number },
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const { adapter, recoverySeconds } = this.settings;
    return super.createIOServer(port, {
      ...options,
      ...(adapter.factory ? { adapter: adapter.factory } : {}),
      ...(recoverySeconds > 0
        ? { connectionStateRecovery: { maxDisconnectionDuration: recoverySeconds * 1000, skipMiddlewares: false } }
        : {}),
    } as ServerOptions) as Server;
  }
}
