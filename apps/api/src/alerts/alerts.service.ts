// The alerts feature's face to the rest of the API (controllers, health, /metrics, tests): the
// evaluator (alert-evaluator.ts), the lifecycle of each alert (alert-lifecycle.ts) and where alert
// events go (alert-notifier.ts: the socket room and the webhook). Starts and stops them in order.
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Alert } from '../../../../libs/metrics/src/alerts.js';
import { AlertEvaluator, type EvaluationReport, type LastEvaluation } from './alert-evaluator.js';
import { AlertLifecycle } from './alert-lifecycle.js';
import { AlertNotifier } from './alert-notifier.js';
import type { AlertQuery } from './alert-store.js';
import type { AlertWebhook } from './alert-webhook.js';

@Injectable()
export class AlertsService implements OnModuleInit, OnModuleDestroy {
  constructor(
    @Inject(AlertEvaluator) private readonly evaluator: AlertEvaluator,
    @Inject(AlertLifecycle) private readonly lifecycle: AlertLifecycle,
    @Inject(AlertNotifier) private readonly notifier: AlertNotifier,
  ) {}

  onModuleInit(): void {
    this.lifecycle.registerRoom();
    this.evaluator.start();
  }

  /** The round under way ends (or is given up) before the webhook stops. */
  async onModuleDestroy(): Promise<void> {
    await this.evaluator.stop();
    await this.notifier.close();
  }

  get webhook(): AlertWebhook {
    return this.notifier.webhook;
  }

  /** Evaluation rounds finished by this process, for /metrics. */
  get evaluationRounds(): Readonly<Record<'all' | 'threshold', number>> {
    return this.evaluator.evaluationRounds;
  }

  /** Rounds refused by a saturated engine, for /metrics. */
  get refusedRoundsTotal(): number {
    return this.evaluator.refusedRoundsTotal;
  }

  /** One evaluation round; `threshold` evaluates only the threshold rules (cheap, after batches). */
  evaluate(which: 'all' | 'threshold' = 'all', now?: Date): Promise<EvaluationReport> {
    return this.evaluator.evaluate(which, now);
  }

  /** For /health: who evaluates, the last round, the webhook's counters. */
  status(): { evaluator: 'this process' | 'another process or none yet'; last_evaluation: LastEvaluation | null; webhook: ReturnType<AlertWebhook['status']> } {
    return { ...this.evaluator.status(), webhook: this.notifier.webhook.status() };
  }

  list(query: AlertQuery): Promise<{ count: number; results: Alert[] }> {
    return this.lifecycle.list(query);
  }

  acknowledge(id: string, userId: number): Promise<Alert> {
    return this.lifecycle.acknowledge(id, userId);
  }

  resolve(id: string, userId: number): Promise<Alert> {
    return this.lifecycle.resolve(id, userId);
  }
}
