// An alert's life in the store: raised (one per rule and key while its condition holds), updated
// while it lasts, acknowledged or resolved by an administrator, resolved when its condition clears;
// each step published (alert-notifier.ts). Administrators' actions wait their turn in the alert
// queue with the evaluations (each reads, then writes, alert state). Also the `alerts` socket room.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Alert, AlertRule } from '../../../../libs/metrics/src/alerts.js';
import type { IngestFeed } from '../../../../libs/ingest-feed/src/feed.js';
import { ConflictError, NotFoundError } from '../errors/domain-errors.js';
import { RoomDirectory, RoomRefused } from '../realtime/room-directory.js';
import { INGEST } from '../tokens.js';
import type { Finding } from './alert-findings.js';
import { AlertNotifier } from './alert-notifier.js';
import { AlertQueue } from './alert-queue.js';
import { AlertStore, publicAlert, type AlertQuery, type StoredAlert } from './alert-store.js';

/** 404: no alert with that id. */
export class AlertNotFound extends NotFoundError {}
/** 409: the alert's state forbids the action (e.g. acknowledging a resolved one). */
export class AlertConflict extends ConflictError {}

@Injectable()
export class AlertLifecycle {
  private readonly logger = new Logger('statistics.alerts');

  constructor(
    @Inject(AlertStore) readonly store: AlertStore,
    @Inject(AlertNotifier) private readonly notifier: AlertNotifier,
    @Inject(AlertQueue) private readonly queue: AlertQueue,
    @Inject(RoomDirectory) private readonly rooms: RoomDirectory,
    @Inject(INGEST) private readonly ingest: IngestFeed,
  ) {}

  /** The `alerts` socket room: the open alerts, newest first, pushed when one changes. */
  registerRoom(): void {
    this.rooms.register('alerts', (argument) => {
      if (argument !== null) throw new RoomRefused('the alerts room takes no argument');
      return {
        tables: [],
        tick: false,
        volatile: [],
        current: async () => {
          const open = [...(await this.store.unresolved()).values()].map(publicAlert).reverse();
          return { data: { open, count: open.length }, data_as_of: this.ingest.freshness().dataAsOf };
        },
      };
    });
  }

  /** A finding still breached: its alert gets the new measure and last_seen (unless another replica resolved it since). */
  async update(current: StoredAlert, finding: Finding, now: Date): Promise<boolean> {
    const latest = await this.stillUnresolved(current.id);
    if (!latest) return false;
    await this.store.save({ ...latest, ...measured(finding), last_seen: now.toISOString() });
    return true;
  }

  /** A finding no longer breached (or `finding` null: its rule is gone or disabled): its alert is resolved. */
  async clear(current: StoredAlert, finding: Finding | null, now: Date): Promise<boolean> {
    if (finding === null) {
      await this.close(current, null, now, {});
      return true;
    }
    const latest = await this.stillUnresolved(current.id);
    if (!latest) return false;
    await this.close(latest, null, now, { ...measured(finding), last_seen: now.toISOString() });
    return true;
  }

  /** The alert's latest version unless resolved: another replica may have acted on it since this round read it. */
  private async stillUnresolved(id: string): Promise<StoredAlert | null> {
    const latest = await this.store.get(id);
    return latest && latest.status !== 'resolved' ? latest : null;
  }

  async raise(rule: AlertRule, finding: Finding, now: Date): Promise<void> {
    const alert: StoredAlert = {
      id: randomUUID(),
      rule_id: rule.id,
      alert_key: finding.key,
      kind: rule.kind,
      metric: rule.metric,
      scope: finding.scope,
      severity: rule.severity,
      status: 'open',
      comparison: rule.comparison,
      threshold: rule.threshold,
      window: rule.window,
      first_seen: now.toISOString(),
      last_seen: now.toISOString(),
      acknowledged_by: null,
      acknowledged_at: null,
      resolved_at: null,
      resolved_by: null,
      ...measured(finding),
    };
    await this.store.save(alert);
    this.logger.warn({ message: 'alert raised', alert_id: alert.id, rule_id: rule.id, severity: alert.severity, detail: alert.message });
    this.notifier.publish('alert.raised', alert);
  }

  private async close(alert: StoredAlert, userId: number | null, now: Date, changes: Partial<StoredAlert>): Promise<StoredAlert> {
    const resolved: StoredAlert = { ...alert, ...changes, status: 'resolved', resolved_at: now.toISOString(), resolved_by: userId };
    await this.store.save(resolved);
    this.logger.log({ message: userId === null ? 'alert resolved: condition cleared' : 'alert resolved', alert_id: alert.id, rule_id: alert.rule_id, user_id: userId });
    this.notifier.publish('alert.resolved', resolved);
    return resolved;
  }

  list(query: AlertQuery): Promise<{ count: number; results: Alert[] }> {
    return this.store.list(query);
  }

  acknowledge(id: string, userId: number): Promise<Alert> {
    return this.queue.run(async () => {
      const alert = await this.actionable(id);
      if (alert.status === 'acknowledged') return publicAlert(alert);
      const acknowledged: StoredAlert = { ...alert, status: 'acknowledged', acknowledged_by: userId, acknowledged_at: new Date().toISOString() };
      await this.store.save(acknowledged);
      this.logger.log({ message: 'alert acknowledged', alert_id: id, user_id: userId });
      this.notifier.publish('alert.acknowledged', acknowledged);
      return publicAlert(acknowledged);
    });
  }

  resolve(id: string, userId: number): Promise<Alert> {
    return this.queue.run(async () => publicAlert(await this.close(await this.actionable(id), userId, new Date(), {})));
  }

  /** An alert an administrator may act on: it exists and is not resolved. */
  private async actionable(id: string): Promise<StoredAlert> {
    const alert = await this.store.get(id);
    if (!alert) throw new AlertNotFound(`no alert with id ${id}`);
    if (alert.status === 'resolved') throw new AlertConflict(`alert ${id} is already resolved`);
    return alert;
  }
}

/** The fields an evaluation refreshes on an alert. */
function measured(finding: Finding): Pick<StoredAlert, 'value' | 'expected' | 'expected_low' | 'expected_high' | 'message'> {
  return {
    value: finding.value,
    expected: finding.expected,
    expected_low: finding.expectedLow,
    expected_high: finding.expectedHigh,
    message: finding.message,
  };
}
