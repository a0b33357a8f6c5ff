// The alerts feature: alert rules in the state store (CRUD for admins) and, at boot, the default
// rules from the environment's thresholds; the evaluator and alert history (AlertsService), its
// endpoints, and the `alerts` socket room.
import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import type { AppConfig } from '../../../../libs/config/src/config.js';
import { AdminGuard } from '../auth/admin.guard.js';
import type { ClickHouse } from '../../../../libs/clickhouse/src/clickhouse.js';
import { APP_CONFIG, CLICKHOUSE } from '../tokens.js';
import { AlertEvaluator } from './alert-evaluator.js';
import { DataStarts } from './alert-findings.js';
import { AlertLifecycle } from './alert-lifecycle.js';
import { AlertNotifier } from './alert-notifier.js';
import { AlertQueue } from './alert-queue.js';
import { AlertStore } from './alert-store.js';
import { AlertWebhook } from './alert-webhook.js';
import { AlertRulesController } from './alert-rules.controller.js';
import { AlertRulesRepository } from './alert-rules.repository.js';
import { AlertsController } from './alerts.controller.js';
import { AlertsService } from './alerts.service.js';

@Module({
  controllers: [AlertRulesController, AlertsController],
  providers: [
    AlertRulesRepository,
    { provide: AlertStore, useFactory: (clickhouse: ClickHouse) => new AlertStore(clickhouse), inject: [CLICKHOUSE] },
    { provide: DataStarts, useFactory: (clickhouse: ClickHouse) => new DataStarts(clickhouse), inject: [CLICKHOUSE] },
    {
      provide: AlertWebhook,
      useFactory: (config: AppConfig) =>
        new AlertWebhook({
          url: config.alerting.webhookUrl,
          secret: config.alerting.webhookSecret,
          maxAttempts: config.alerting.webhookMaxAttempts,
          backoffMs: 1000,
          timeoutMs: 10_000,
        }),
      inject: [APP_CONFIG],
    },
    AlertQueue,
    AlertNotifier,
    AlertLifecycle,
    AlertEvaluator,
    AlertsService,
    AdminGuard,
  ],
  exports: [AlertRulesRepository, AlertsService],
})
export class AlertsModule implements OnModuleInit {
  constructor(
    @Inject(AlertRulesRepository) private readonly rules: AlertRulesRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Before the server listens: the default rules exist (and follow the environment) from the first request. */
  async onModuleInit(): Promise<void> {
    await this.rules.ensureDefaults(this.config.alertThresholds);
  }
}
