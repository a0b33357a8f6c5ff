// Refused credentials per client address: after AUTH_FAILURE_LIMIT 401s within a minute, the
// address's further refused credentials are answered 429 with Retry-After for the rest of that
// minute (valid ones still pass: admin.guard.ts). Counted in process memory, not in Redis: a valid
// token never touches this, so the cached dashboard path pays no round trip. With several replicas
// each counts its own share, so an address gets at most limit × replicas 401s a minute.
import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../../../../libs/config/src/config.js';
import { APP_CONFIG } from '../tokens.js';

const WINDOW_MS = 60_000;
/** Addresses tracked at once; beyond it the oldest windows are forgotten (memory stays bounded under a spray of addresses). */
const MAX_TRACKED = 100_000;

interface FailureWindow {
  startedAt: number;
  failures: number;
}

@Injectable()
export class AuthFailureLimiter {
  private readonly windows = new Map<string, FailureWindow>();
  private readonly limit: number;
  private refused = 0;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.limit = config.security.authFailureLimit;
  }

  /** Seconds until `client` may present a credential again; null when it may now. */
  retryAfterSeconds(client: string, now = Date.now()): number | null {
    if (this.windows.size === 0) return null;
    const window = this.windows.get(client);
    if (!window) return null;
    if (now - window.startedAt >= WINDOW_MS) {
      this.windows.delete(client);
      return null;
    }
    if (window.failures < this.limit) return null;
    this.refused += 1;
    return Math.max(1, Math.ceil((window.startedAt + WINDOW_MS - now) / 1000));
  }

  /** One more refused credential (401) from `client`. */
  recordFailure(client: string, now = Date.now()): void {
    const window = this.windows.get(client);
    if (window && now - window.startedAt < WINDOW_MS) {
      window.failures += 1;
      return;
    }
    this.windows.delete(client);
    if (this.windows.size >= MAX_TRACKED) this.forgetExpired(now);
    // Still full: the oldest entry goes (Map keeps insertion order).
    if (this.windows.size >= MAX_TRACKED) this.windows.delete(this.windows.keys().next().value!);
    this.windows.set(client, { startedAt: now, failures: 1 });
  }

  /** For /metrics: addresses being counted and requests refused with 429 so far. */
  status(): { tracked_clients: number; refused_requests: number } {
    return { tracked_clients: this.windows.size, refused_requests: this.refused };
  }

  private forgetExpired(now: number): void {
    for (const [client, window] of this.windows) if (now - window.startedAt >= WINDOW_MS) this.windows.delete(client);
  }
}
