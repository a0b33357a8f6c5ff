// Chooses and opens the store behind the statistics cache, once at boot: the Redis of REDIS_URL,
// else the machine's Redis on 127.0.0.1:6379 if it answers, else process memory; nothing at all
// with CACHE_ENABLED=false. Also keeps the Redis failure state that the cache service logs and
// /health reports: a cache outage must be visible, never silently turned into misses.
import { Logger } from '@nestjs/common';
import KeyvRedis, { createClient, Keyv } from '@keyv/redis';
import type { AppConfig } from '../../../../libs/config/src/config.js';
import { errorMessage } from '../../../../libs/errors/src/error-message.js';

export type CacheBackendKind = 'redis' | 'memory' | 'disabled';
export type RedisClient = ReturnType<typeof createClient>;

/** Probed when REDIS_URL is unset (the embedded default): used if it answers, else memory. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const PROBE_TIMEOUT_MS = 300;
/**
 * Longest a request waits for Redis. A cache slower than this is worth less than computing in
 * ClickHouse (~0.1–1 s), and a hung Redis must not hang the API.
 */
export const REDIS_OPERATION_TIMEOUT_MS = 500;
/** Socket settings of the service's Redis clients (cache, realtime): a returning Redis is noticed within 2 s. */
export const REDIS_SOCKET = { connectTimeout: 1_000, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2_000) };

/** One warning per interval at most while Redis stays down; the count of the others is logged. */
const WARNING_INTERVAL_MS = 10_000;

export class RedisTimeoutError extends Error {
  constructor(operation: string) {
    super(`redis ${operation} took longer than ${REDIS_OPERATION_TIMEOUT_MS} ms`);
    this.name = 'RedisTimeoutError';
  }
}

/** Rejects after REDIS_OPERATION_TIMEOUT_MS; the Redis command itself is abandoned, not awaited. */
export async function withRedisTimeout<T>(operation: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisTimeoutError(operation)), REDIS_OPERATION_TIMEOUT_MS);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** host:port of a Redis URL: what logs and /health may show (never the user or password). */
export function redisLocation(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.hostname}:${parsed.port || '6379'}${parsed.pathname.length > 1 ? parsed.pathname : ''}`;
}

/** Redis availability as the cache sees it, with rate-limited `statistics.cache` warnings. */
export class RedisFailures {
  private readonly logger = new Logger('statistics.cache');
  private failing = false;
  private lastError: string | null = null;
  private lastWarningAt = 0;
  private suppressed = 0;

  constructor(private readonly location: string) {}

  failure(operation: string, error: unknown): void {
    this.failing = true;
    this.lastError = errorMessage(error);
    const now = Date.now();
    if (now - this.lastWarningAt < WARNING_INTERVAL_MS) {
      this.suppressed++;
      return;
    }
    this.logger.warn({
      message: 'redis unavailable: statistics computed in ClickHouse, not cached',
      redis: this.location,
      operation,
      error: this.lastError,
      suppressed_since_last_warning: this.suppressed,
    });
    this.lastWarningAt = now;
    this.suppressed = 0;
  }

  success(): void {
    if (!this.failing) return;
    this.failing = false;
    this.logger.log({ message: 'redis available again: caching resumed', redis: this.location, last_error: this.lastError });
  }

  get ok(): boolean {
    return !this.failing;
  }

  get error(): string | null {
    return this.failing ? this.lastError : null;
  }
}

export interface CacheBackend {
  kind: CacheBackendKind;
  /** True when REDIS_URL names the Redis: its outage is a fault, not a missing optional. */
  configured: boolean;
  /** Redis location without credentials; null for memory and disabled. */
  location: string | null;
  /** The store handed to @nestjs/cache-manager; null when the cache is disabled. */
  keyv: Keyv | null;
  /** Raw client for what cache-manager has no verb for (versions hash, SCAN for a purge). */
  redis: RedisClient | null;
  /** The Map behind the in-memory store (purge counts and deletes our keys in it). */
  memory: Map<string, unknown> | null;
  failures: RedisFailures | null;
  close(): Promise<void>;
}

/** True when a Redis answers PING at `url` within PROBE_TIMEOUT_MS. */
export async function redisAnswers(url: string): Promise<boolean> {
  const client = createClient({ url, socket: { connectTimeout: PROBE_TIMEOUT_MS, reconnectStrategy: false } });
  // Without a listener an 'error' event would crash the process; the outcome is the return value.
  client.on('error', () => undefined);
  try {
    await withRedisTimeout('probe', client.connect().then(() => client.ping()));
    return true;
  } catch {
    return false;
  } finally {
    if (client.isOpen) client.destroy();
  }
}

export async function openCacheBackend(config: AppConfig): Promise<CacheBackend> {
  const logger = new Logger('statistics.cache');
  const none = { keyv: null, redis: null, memory: null, failures: null, location: null, close: async () => undefined };
  if (!config.cacheEnabled) {
    logger.log({ message: 'statistics cache disabled (CACHE_ENABLED=false)' });
    return { kind: 'disabled', configured: false, ...none };
  }
  const configured = config.redisUrl !== undefined;
  const url = config.redisUrl ?? ((await redisAnswers(DEFAULT_REDIS_URL)) ? DEFAULT_REDIS_URL : undefined);
  if (url === undefined) {
    logger.log({ message: `statistics cache in process memory: REDIS_URL unset and no Redis at ${DEFAULT_REDIS_URL}` });
    const memory = new Map<string, unknown>();
    const keyv = new Keyv({ store: memory, useKeyPrefix: false, throwOnErrors: true });
    keyv.namespace = undefined;
    return { ...none, kind: 'memory', configured: false, keyv, memory };
  }

  const location = redisLocation(url);
  const failures = new RedisFailures(location);
  const redis: RedisClient = createClient({
    url,
    // Fail a command at once while disconnected instead of queueing it until Redis returns: a
    // request then computes from ClickHouse instead of hanging.
    disableOfflineQueue: true,
    socket: REDIS_SOCKET,
  });
  redis.on('error', (error: unknown) => failures.failure('connection', error));
  redis.on('ready', () => failures.success());
  // Not awaited: an unreachable REDIS_URL must not stop the start; the client keeps reconnecting
  // and the cache is degraded (health says so) until it succeeds.
  redis.connect().catch((error: unknown) => failures.failure('connect', error));
  if (!configured) {
    // The probe just succeeded: give the connection a moment so the first requests are cached.
    await withRedisTimeout('connect', new Promise<void>((resolve) => redis.once('ready', resolve))).catch((error: unknown) =>
      failures.failure('connect', error),
    );
  }
  // Errors must reach the caller (cache-manager reports them as events, the service logs them),
  // hence throwOnErrors on both layers; keys are used as given (no namespace prefix): our keys
  // carry their own prefix.
  const store = new KeyvRedis(redis, { throwOnConnectError: true, throwOnErrors: true });
  const keyv = new Keyv({ store, useKeyPrefix: false, throwOnErrors: true });
  keyv.namespace = undefined;
  // Keyv re-emits store errors; the operations that failed are reported by the service.
  keyv.on('error', () => undefined);
  logger.log({ message: 'statistics cache in redis', redis: location, source: configured ? 'REDIS_URL' : 'probe of the default' });
  return {
    kind: 'redis',
    configured,
    location,
    keyv,
    redis,
    memory: null,
    failures,
    // destroy, not close: close waits for pending commands, which never end while Redis is down.
    close: async () => {
      if (redis.isOpen) redis.destroy();
    },
  };
}
