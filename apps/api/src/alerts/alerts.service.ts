// The alert lifecycle. Evaluates the enabled rules (every ALERT_EVALUATION_SECONDS, and threshold
// rules also after ingest batches), raises one alert per rule and key while its condition holds
// (never a second while one is open), updates its value and last_seen while it lasts, resolves it
// when the condition clears, and honours each rule's cooldown before raising again for that key.
// Delivery: `alert` to the socket room `alerts` (every process), and the optional webhook.
// With several replicas only the holder of the `alerts.evaluator` lease evaluates.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { ClickHouse } from '../../../../libs/clickhouse/src/clickhouse.js';
import type { AppConfig } from '../../../../libs/config/src/config.js';
import type { Alert, AlertRule } from '../../../../libs/metrics/src/alerts.js';
import { EngineBusyError, withEngineContext } from '../../../../libs/clickhouse/src/admission.js';
import { releaseLease, tryAcquireLease } from '../../../../libs/state/src/leases.js';
import type { StateStore } from '../../../../libs/state/src/store.js';
import type { AppliedBatch, IngestFeed } from '../../../../libs/ingest-feed/src/feed.js';
import { RoomDirectory, RoomRefused } from '../realtime/room-directory.js';
import { StatisticsGateway } from '../realtime/statistics.gateway.js';
import { APP_CONFIG, CLICKHOUSE, INGEST, STATE_STORE } from '../tokens.js';
import { anomalyFindings, DataStarts, thresholdFindings, type Finding } from './alert-findings.js';
import { AlertRulesRepository } from './alert-rules.repository.js';
import { AlertStore, publicAlert, type AlertQuery, type StoredAlert } from './alert-store.js';
import { AlertWebhook, type AlertEvent } from './alert-webhook.js';
import { errorMessage } from '../../../../libs/errors/src/error-message.js';
import { ConflictError, NotFoundError } from '../errors/domain-errors.js';

/** 404: no alert with that id. */
export class AlertNotFound extends NotFoundError {}
/** 409: the alert's state forbids the action (e.g. acknowledging a resolved one). */
export class AlertConflict extends ConflictError {}

export interface EvaluationReport {
  evaluated: boolean;
  reason?: string;
  rules: number;
  raised: number;
  updated: number;
  resolved: number;
  failedRules: number;
}

const LEASE = 'alerts.evaluator';
/** Longest a queued evaluation or acknowledgement may hold the queue. */
const ROUND_LIMIT_MS = 60_000;
/** Longest shutdown waits for the round under way. */
const SHUTDOWN_WAIT_MS = 10_000;
/** An open alert whose value does not move gets a new last_seen at most this often. */
const LAST_SEEN_RESOLUTION_MS = 60_000;
/** After an ingest batch, threshold rules are re-evaluated at most this often. */
const BATCH_EVALUATION_GAP_MS = 1000;

@Injectable()
export class AlertsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('statistics.alerts');
  private readonly store: AlertStore;
  private readonly starts: DataStarts;
  readonly webhook: AlertWebhook;
  private readonly holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  /** Evaluations and acknowledgements run one at a time (each reads, then writes, alert state). */
  private chain: Promise<unknown> = Promise.resolve();
  private batchTimer: NodeJS.Timeout | null = null;
  private lastBatchEvaluation = 0;
  private stopped = false;
  private leader = false;
  /** What the round under way is doing (logged if it does not finish). */
  private step = 'idle';
  private lastEvaluation: { at: string; which: 'all' | 'threshold'; report: EvaluationReport } | null = null;
  /** Evaluation rounds finished by this process, for /metrics. */
  readonly evaluationRounds: Record<'all' | 'threshold', number> = { all: 0, threshold: 0 };
  /** Rounds queued behind the one under way and not started yet, by kind (evaluate() joins them). */
  private readonly queuedRounds: Partial<Record<'all' | 'threshold', Promise<EvaluationReport>>> = {};
  /** Rounds refused in a row by a saturated engine (the next one then runs first in line), and in all. */
  private refusedRounds = 0;
  refusedRoundsTotal = 0;
  private readonly onApplied = (batch: AppliedBatch): void => this.afterBatch(batch);
  /** Ends the subscription to the ingest feed's batches. */
  private stopListening: (() => void) | null = null;

  constructor(
    @Inject(CLICKHOUSE) private readonly clickhouse: ClickHouse,
    @Inject(INGEST) private readonly ingest: IngestFeed,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(STATE_STORE) private readonly state: StateStore,
    @Inject(AlertRulesRepository) private readonly rules: AlertRulesRepository,
    @Inject(StatisticsGateway) private readonly gateway: StatisticsGateway,
    @Inject(RoomDirectory) private readonly rooms: RoomDirectory,
    @Inject(SchedulerRegistry) private readonly scheduler: SchedulerRegistry,
  ) {
    this.store = new AlertStore(clickhouse);
    this.starts = new DataStarts(clickhouse);
    this.webhook = new AlertWebhook({
      url: config.alerting.webhookUrl,
      secret: config.alerting.webhookSecret,
      maxAttempts: config.alerting.webhookMaxAttempts,
      backoffMs: 1000,
      timeoutMs: 10_000,
    });
  }

  onModuleInit(): void {
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
    this.stopListening = this.ingest.onApplied(this.onApplied);
    this.scheduler.addInterval(
      'statistics.alerts.evaluate',
      setInterval(() => void this.evaluate('all').catch((error: unknown) => this.failed(error)), this.config.alerting.evaluationSeconds * 1000),
    );
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.stopListening?.();
    this.scheduler.deleteInterval('statistics.alerts.evaluate');
    if (this.batchTimer) clearTimeout(this.batchTimer);
    if (!(await settlesWithin(this.chain, SHUTDOWN_WAIT_MS))) this.logger.error({ message: 'stopping without waiting for the alert round under way', step: this.step });
    if (this.leader) await releaseLease(this.state, LEASE, this.holder).catch(() => undefined);
    await this.webhook.close();
  }

  private failed(error: unknown): void {
    // A busy engine is not a fault: said once per streak, in evaluate().
    if (error instanceof EngineBusyError) return;
    this.logger.error({ message: 'alert evaluation failed', error: errorMessage(error) });
  }

  private afterBatch(batch: AppliedBatch): void {
    if (this.stopped || this.batchTimer) return;
    const wait = Math.max(0, this.lastBatchEvaluation + BATCH_EVALUATION_GAP_MS - Date.now());
    this.batchTimer = setTimeout(() => {
      this.batchTimer = null;
      this.lastBatchEvaluation = Date.now();
      void this.evaluate('threshold').catch((error: unknown) => this.failed(error));
    }, wait);
    this.batchTimer.unref();
    this.logger.debug?.({ message: 'evaluation requested by ingest', tables: batch.tables });
  }

  /**
   * Runs `work` after the previous one. The queue waits for a round at most ROUND_LIMIT_MS: a
   * round that never settles (a query that hangs) must not silence every later evaluation and
   * block shutdown; it is logged with the step it was in, and left to finish on its own.
   */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work, work);
    this.chain = settlesWithin(run, ROUND_LIMIT_MS).then((settled) => {
      if (!settled) this.logger.error({ message: 'alert evaluation or action did not finish in time; the next ones go ahead', step: this.step, limit_ms: ROUND_LIMIT_MS });
    });
    return run;
  }

  /** One evaluation round; `threshold` evaluates only the threshold rules (cheap, after batches). */
  evaluate(which: 'all' | 'threshold' = 'all', now?: Date): Promise<EvaluationReport> {
    // A round of this kind (or of all rules) queued and not started yet reads data at least as new
    // as this call: joined rather than queued again. Under load rounds take longer than the batches
    // that ask for them take to arrive; without this the queue would grow by one round a second.
    const waiting = now === undefined ? (this.queuedRounds[which] ?? this.queuedRounds.all) : undefined;
    if (waiting) return waiting;
    const round: Promise<EvaluationReport> = this.serial(async () => {
      if (this.queuedRounds[which] === round) delete this.queuedRounds[which];
      // Background work: after live screens, dashboards, exports and analysts in the engine's
      // queue. But a round refused because the engine was saturated makes the next one go first
      // (live: first in line, never refused for a full queue): alerts must not go blind exactly
      // when the service is busiest. One round in two at most, each a few small queries.
      const priority = this.refusedRounds > 0 ? 'live' : 'background';
      try {
        const report = await withEngineContext({ priority, deadline: Date.now() + ROUND_LIMIT_MS }, () => this.evaluateNow(which, now ?? new Date()));
        if (this.refusedRounds > 0) this.logger.log({ message: 'alert evaluation back after a saturated engine', refused_rounds: this.refusedRounds });
        this.refusedRounds = 0;
        return report;
      } catch (error) {
        if (error instanceof EngineBusyError) {
          this.refusedRounds++;
          this.refusedRoundsTotal++;
          if (this.refusedRounds === 1) {
            this.logger.warn({ message: 'alert round refused by a saturated engine; the next one goes first in line', error: error.message });
          }
        }
        throw error;
      } finally {
        this.step = 'idle';
      }
    });
    if (now === undefined) this.queuedRounds[which] = round;
    return round;
  }

  private async evaluateNow(which: 'all' | 'threshold', now: Date): Promise<EvaluationReport> {
    const report: EvaluationReport = { evaluated: false, rules: 0, raised: 0, updated: 0, resolved: 0, failedRules: 0 };
    if (this.stopped) return { ...report, reason: 'stopping' };
    if (!this.ingest.freshness().snapshotDone) return { ...report, reason: 'initial snapshot in progress' };
    const leaseMs = Math.max(3 * this.config.alerting.evaluationSeconds * 1000, 30_000);
    this.step = 'acquiring the evaluator lease (state store)';
    const leader = await tryAcquireLease(this.state, LEASE, this.holder, leaseMs);
    if (leader !== this.leader) this.logger.log({ message: leader ? 'this process evaluates alerts' : 'another process evaluates alerts', holder: this.holder });
    this.leader = leader;
    if (!leader) return { ...report, reason: 'another replica holds the evaluator lease' };

    this.step = 'reading the rules (state store)';
    const enabled = (await this.rules.list()).filter((rule) => rule.enabled);
    const rules = enabled.filter((rule) => which === 'all' || rule.kind === 'threshold');
    this.step = 'reading open alerts (ClickHouse)';
    const open = await this.store.unresolved();
    const resolvedAt = await this.store.lastResolved();
    report.evaluated = true;
    report.rules = rules.length;
    for (const rule of rules) {
      let findings: Finding[];
      this.step = `measuring rule ${rule.id} (ClickHouse)`;
      try {
        findings =
          rule.kind === 'threshold'
            ? await thresholdFindings(this.clickhouse, rule, now)
            : await anomalyFindings(this.clickhouse, rule, now, await this.starts.of(rule.metric));
      } catch (error) {
        // A saturated engine ends the round (the others' queries would be refused too; the next
        // round goes first in line).
        if (error instanceof EngineBusyError) throw error;
        // One rule failing (its query) must not silence the others; its alerts keep their state.
        report.failedRules++;
        this.logger.error({ message: 'rule evaluation failed', rule_id: rule.id, error: errorMessage(error) });
        continue;
      }
      this.step = `writing alerts of rule ${rule.id} (ClickHouse)`;
      for (const finding of findings) {
        const current = open.get(finding.key);
        if (finding.breached) {
          if (current) {
            // A new version when the value moved, else at most once per minute: evaluations after
            // every ingest batch would otherwise write a row per open alert per batch.
            const moved = current.value !== finding.value || current.expected_high !== finding.expectedHigh || current.expected_low !== finding.expectedLow;
            if (moved || now.getTime() - Date.parse(current.last_seen) >= LAST_SEEN_RESOLUTION_MS) {
              const latest = await this.stillUnresolved(current.id);
              if (latest) {
                await this.store.save({ ...latest, ...measured(finding), last_seen: now.toISOString() });
                report.updated++;
              }
            }
          } else if (this.coolingDown(rule, resolvedAt.get(finding.key), now)) {
            continue;
          } else {
            await this.raise(rule, finding, now);
            report.raised++;
          }
        } else if (current) {
          const latest = await this.stillUnresolved(current.id);
          if (latest) {
            await this.close(latest, null, now, { ...measured(finding), last_seen: now.toISOString() });
            report.resolved++;
          }
        }
      }
    }
    // Open alerts whose rule is gone or disabled have nothing left to watch. (A key that could not
    // be judged this round, e.g. too few requests for a rate, keeps its alert.)
    const enabledIds = new Set(enabled.map((rule) => rule.id));
    for (const alert of open.values()) {
      if (!enabledIds.has(alert.rule_id)) {
        await this.close(alert, null, now, {});
        report.resolved++;
      }
    }
    this.lastEvaluation = { at: now.toISOString(), which, report };
    this.evaluationRounds[which] += 1;
    return report;
  }

  /** The alert's latest version unless resolved: another replica may have acted on it since this round read it. */
  private async stillUnresolved(id: string): Promise<StoredAlert | null> {
    const latest = await this.store.get(id);
    return latest && latest.status !== 'resolved' ? latest : null;
  }

  private coolingDown(rule: AlertRule, resolvedAt: Date | undefined, now: Date): boolean {
    return resolvedAt !== undefined && now.getTime() - resolvedAt.getTime() < rule.cooldown_seconds * 1000;
  }

  private async raise(rule: AlertRule, finding: Finding, now: Date): Promise<void> {
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
    this.publish('alert.raised', alert);
  }

  private async close(alert: StoredAlert, userId: number | null, now: Date, changes: Partial<StoredAlert>): Promise<StoredAlert> {
    const resolved: StoredAlert = { ...alert, ...changes, status: 'resolved', resolved_at: now.toISOString(), resolved_by: userId };
    await this.store.save(resolved);
    this.logger.log({ message: userId === null ? 'alert resolved: condition cleared' : 'alert resolved', alert_id: alert.id, rule_id: alert.rule_id, user_id: userId });
    this.publish('alert.resolved', resolved);
    return resolved;
  }

  /** Every raise, acknowledgement and resolution: the event everywhere, and this process's alerts room list. */
  private publish(event: AlertEvent, alert: StoredAlert): void {
    const wire = publicAlert(alert);
    this.gateway.broadcastAlert(wire);
    this.gateway.refresh('alerts');
    this.webhook.deliver(event, wire);
  }

  /** For /health: who evaluates, the last round, the webhook's counters. */
  status(): { evaluator: 'this process' | 'another process or none yet'; last_evaluation: AlertsService['lastEvaluation']; webhook: ReturnType<AlertWebhook['status']> } {
    return {
      evaluator: this.leader ? 'this process' : 'another process or none yet',
      last_evaluation: this.lastEvaluation,
      webhook: this.webhook.status(),
    };
  }

  list(query: AlertQuery): Promise<{ count: number; results: Alert[] }> {
    return this.store.list(query);
  }

  acknowledge(id: string, userId: number): Promise<Alert> {
    return this.serial(async () => {
      const alert = await this.actionable(id);
      if (alert.status === 'acknowledged') return publicAlert(alert);
      const acknowledged: StoredAlert = { ...alert, status: 'acknowledged', acknowledged_by: userId, acknowledged_at: new Date().toISOString() };
      await this.store.save(acknowledged);
      this.logger.log({ message: 'alert acknowledged', alert_id: id, user_id: userId });
      this.publish('alert.acknowledged', acknowledged);
      return publicAlert(acknowledged);
    });
  }

  resolve(id: string, userId: number): Promise<Alert> {
    return this.serial(async () => publicAlert(await this.close(await this.actionable(id), userId, new Date(), {})));
  }

  /** An alert an administrator may act on: it exists and is not resolved. */
  private async actionable(id: string): Promise<StoredAlert> {
    const alert = await this.store.get(id);
    if (!alert) throw new AlertNotFound(`no alert with id ${id}`);
    if (alert.status === 'resolved') throw new AlertConflict(`alert ${id} is already resolved`);
    return alert;
  }
}

/** Whether `promise` settles (either way) within `ms`; it is not cancelled otherwise. */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  const settled = promise.then(
    () => true,
    () => true,
  );
  return Promise.race([settled, late]).finally(() => clearTimeout(timer));
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
