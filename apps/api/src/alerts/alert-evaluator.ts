// Alert evaluation: every ALERT_EVALUATION_SECONDS all enabled rules, and threshold rules also
// after ingest batches (at most once a second), each round measured in ClickHouse at background
// priority (first in line after a round refused by a saturated engine) and applied through the
// alert lifecycle: raise, update, resolve, honouring each rule's cooldown. With several replicas
// only the holder of the `alerts.evaluator` lease evaluates.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { ClickHouse } from '../../../../libs/clickhouse/src/clickhouse.js';
import type { AppConfig } from '../../../../libs/config/src/config.js';
import type { AlertRule } from '../../../../libs/metrics/src/alerts.js';
import { EngineBusyError, withEngineContext } from '../../../../libs/clickhouse/src/admission.js';
import { releaseLease, tryAcquireLease } from '../../../../libs/state/src/leases.js';
import type { StateStore } from '../../../../libs/state/src/store.js';
import type { AppliedBatch, IngestFeed } from '../../../../libs/ingest-feed/src/feed.js';
import { errorMessage } from '../../../../libs/errors/src/error-message.js';
import { APP_CONFIG, CLICKHOUSE, INGEST, STATE_STORE } from '../tokens.js';
import { anomalyFindings, DataStarts, thresholdFindings, type Finding } from './alert-findings.js';
import { AlertLifecycle } from './alert-lifecycle.js';
import { AlertQueue, ROUND_LIMIT_MS } from './alert-queue.js';
import { AlertRulesRepository } from './alert-rules.repository.js';

export interface EvaluationReport {
  evaluated: boolean;
  reason?: string;
  rules: number;
  raised: number;
  updated: number;
  resolved: number;
  failedRules: number;
}

export interface LastEvaluation {
  at: string;
  which: 'all' | 'threshold';
  report: EvaluationReport;
}

const LEASE = 'alerts.evaluator';
/** Longest shutdown waits for the round under way. */
const SHUTDOWN_WAIT_MS = 10_000;
/** An open alert whose value does not move gets a new last_seen at most this often. */
const LAST_SEEN_RESOLUTION_MS = 60_000;
/** After an ingest batch, threshold rules are re-evaluated at most this often. */
const BATCH_EVALUATION_GAP_MS = 1000;

@Injectable()
export class AlertEvaluator {
  private readonly logger = new Logger('statistics.alerts');
  private readonly holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private batchTimer: NodeJS.Timeout | null = null;
  private lastBatchEvaluation = 0;
  private stopped = false;
  private leader = false;
  private lastEvaluation: LastEvaluation | null = null;
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
    @Inject(AlertLifecycle) private readonly lifecycle: AlertLifecycle,
    @Inject(AlertQueue) private readonly queue: AlertQueue,
    @Inject(DataStarts) private readonly starts: DataStarts,
    @Inject(SchedulerRegistry) private readonly scheduler: SchedulerRegistry,
  ) {}

  /** Evaluates on its interval and after ingest batches from now on. */
  start(): void {
    this.stopListening = this.ingest.onApplied(this.onApplied);
    this.scheduler.addInterval(
      'statistics.alerts.evaluate',
      setInterval(() => void this.evaluate('all').catch((error: unknown) => this.failed(error)), this.config.alerting.evaluationSeconds * 1000),
    );
  }

  /** No new round; the one under way is given SHUTDOWN_WAIT_MS; the lease is released. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopListening?.();
    this.scheduler.deleteInterval('statistics.alerts.evaluate');
    if (this.batchTimer) clearTimeout(this.batchTimer);
    if (!(await this.queue.idleWithin(SHUTDOWN_WAIT_MS))) this.logger.error({ message: 'stopping without waiting for the alert round under way', step: this.queue.step });
    if (this.leader) await releaseLease(this.state, LEASE, this.holder).catch(() => undefined);
  }

  /** Who evaluates, and the last round. */
  status(): { evaluator: 'this process' | 'another process or none yet'; last_evaluation: LastEvaluation | null } {
    return { evaluator: this.leader ? 'this process' : 'another process or none yet', last_evaluation: this.lastEvaluation };
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

  /** One evaluation round; `threshold` evaluates only the threshold rules (cheap, after batches). */
  evaluate(which: 'all' | 'threshold' = 'all', now?: Date): Promise<EvaluationReport> {
    // A round of this kind (or of all rules) queued and not started yet reads data at least as new
    // as this call: joined rather than queued again. Under load rounds take longer than the batches
    // that ask for them take to arrive; without this the queue would grow by one round a second.
    const waiting = now === undefined ? (this.queuedRounds[which] ?? this.queuedRounds.all) : undefined;
    if (waiting) return waiting;
    const round: Promise<EvaluationReport> = this.queue.run(async () => {
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
        this.queue.step = 'idle';
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
    this.queue.step = 'acquiring the evaluator lease (state store)';
    const leader = await tryAcquireLease(this.state, LEASE, this.holder, leaseMs);
    if (leader !== this.leader) this.logger.log({ message: leader ? 'this process evaluates alerts' : 'another process evaluates alerts', holder: this.holder });
    this.leader = leader;
    if (!leader) return { ...report, reason: 'another replica holds the evaluator lease' };

    this.queue.step = 'reading the rules (state store)';
    const enabled = (await this.rules.list()).filter((rule) => rule.enabled);
    const rules = enabled.filter((rule) => which === 'all' || rule.kind === 'threshold');
    this.queue.step = 'reading open alerts (ClickHouse)';
    const open = await this.lifecycle.store.unresolved();
    const resolvedAt = await this.lifecycle.store.lastResolved();
    report.evaluated = true;
    report.rules = rules.length;
    for (const rule of rules) {
      let findings: Finding[];
      this.queue.step = `measuring rule ${rule.id} (ClickHouse)`;
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
      this.queue.step = `writing alerts of rule ${rule.id} (ClickHouse)`;
      for (const finding of findings) {
        const current = open.get(finding.key);
        if (finding.breached) {
          if (current) {
            // A new version when the value moved, else at most once per minute: evaluations after
            // every ingest batch would otherwise write a row per open alert per batch.
            const moved = current.value !== finding.value || current.expected_high !== finding.expectedHigh || current.expected_low !== finding.expectedLow;
            if (moved || now.getTime() - Date.parse(current.last_seen) >= LAST_SEEN_RESOLUTION_MS) {
              if (await this.lifecycle.update(current, finding, now)) report.updated++;
            }
          } else if (this.coolingDown(rule, resolvedAt.get(finding.key), now)) {
            continue;
          } else {
            await this.lifecycle.raise(rule, finding, now);
            report.raised++;
          }
        } else if (current) {
          if (await this.lifecycle.clear(current, finding, now)) report.resolved++;
        }
      }
    }
    // Open alerts whose rule is gone or disabled have nothing left to watch. (A key that could not
    // be judged this round, e.g. too few requests for a rate, keeps its alert.)
    const enabledIds = new Set(enabled.map((rule) => rule.id));
    for (const alert of open.values()) {
      if (!enabledIds.has(alert.rule_id) && (await this.lifecycle.clear(alert, null, now))) report.resolved++;
    }
    this.lastEvaluation = { at: now.toISOString(), which, report };
    this.evaluationRounds[which] += 1;
    return report;
  }

  private coolingDown(rule: AlertRule, resolvedAt: Date | undefined, now: Date): boolean {
    return resolvedAt !== undefined && now.getTime() - resolvedAt.getTime() < rule.cooldown_seconds * 1000;
  }
}
