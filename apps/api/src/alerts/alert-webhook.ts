// Optional delivery of alert events to ALERT_WEBHOOK_URL: a JSON POST per event, in order, retried
// with exponential backoff on network errors, timeouts, 408, 429 and 5xx; other 4xx answers are
// permanent (retrying cannot fix them). With ALERT_WEBHOOK_SECRET the body is signed
// (X-DepanneTeliman-Signature: sha256=<hex HMAC of the body>), so the receiver can trust it.
import { createHmac } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { Alert } from '../../../../libs/metrics/src/alerts.js';
import { errorMessage } from '../../../../libs/errors/src/error-message.js';

export type AlertEvent = 'alert.raised' | 'alert.acknowledged' | 'alert.resolved';

export interface WebhookSettings {
  url: string | undefined;
  secret: string | undefined;
  maxAttempts: number;
  /** First retry delay; doubles each attempt, capped at 60 s. */
  backoffMs: number;
  timeoutMs: number;
}

export interface WebhookStatus {
  configured: boolean;
  delivered: number;
  failed: number;
  pending: number;
}

class PermanentFailure extends Error {}

/** Headers of a signed JSON POST (X-DepanneTeliman-Signature: sha256=<hex HMAC of the body>), shared by every webhook. */
export function webhookHeaders(body: string, secret: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'depanneteliman-statistics' };
  if (secret) headers['x-depanneteliman-signature'] = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  return headers;
}

/** 408, 429 and 5xx may pass later; any other failed answer will not. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

export class AlertWebhook {
  private readonly logger = new Logger('statistics.alerts');
  private readonly queue: Array<{ event: AlertEvent; alert: Alert }> = [];
  private draining: Promise<void> | null = null;
  private stopped = false;
  private readonly counters = { delivered: 0, failed: 0 };
  private wake: (() => void) | null = null;

  constructor(private readonly settings: WebhookSettings) {}

  deliver(event: AlertEvent, alert: Alert): void {
    if (!this.settings.url || this.stopped) return;
    this.queue.push({ event, alert });
    this.draining ??= this.drain().finally(() => {
      this.draining = null;
    });
  }

  status(): WebhookStatus {
    return { configured: Boolean(this.settings.url), ...this.counters, pending: this.queue.length };
  }

  /** Stops retrying; what is still queued is logged as undelivered. */
  async close(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.draining;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.stopped) {
      const next = this.queue[0]!;
      await this.send(next.event, next.alert);
      this.queue.shift();
    }
    if (this.queue.length > 0) {
      this.logger.error({ message: 'alert webhook: events not delivered at shutdown', count: this.queue.length });
      this.counters.failed += this.queue.length;
      this.queue.length = 0;
    }
  }

  private async send(event: AlertEvent, alert: Alert): Promise<void> {
    const body = JSON.stringify({ event, sent_at: new Date().toISOString(), alert });
    const headers = webhookHeaders(body, this.settings.secret);
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await fetch(this.settings.url!, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.settings.timeoutMs) });
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) {
          this.counters.delivered++;
          this.logger.log({ message: 'alert webhook delivered', event, alert_id: alert.id, attempt });
          return;
        }
        if (!isRetryableStatus(response.status)) throw new PermanentFailure(`HTTP ${response.status}`);
        throw new Error(`HTTP ${response.status}`);
      } catch (error) {
        const reason = errorMessage(error);
        if (error instanceof PermanentFailure || attempt >= this.settings.maxAttempts || this.stopped) {
          this.counters.failed++;
          this.logger.error({ message: 'alert webhook not delivered', event, alert_id: alert.id, attempts: attempt, error: reason });
          return;
        }
        const delay = Math.min(this.settings.backoffMs * 2 ** (attempt - 1), 60_000);
        this.logger.warn({ message: 'alert webhook failed, retrying', event, alert_id: alert.id, attempt, retry_in_ms: delay, error: reason });
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = null;
      }
    }
  }
}
