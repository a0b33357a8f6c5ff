// The alerts feature: alert rules in the state store (CRUD for admins) and, at boot, the default
// rules from the environment's thresholds; the evaluator and alert history (AlertsService), its
// endpoints, and the `alerts` socket room.
import { Inject, Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import type { ClickHouse } from '../../../../libs/clickhouse/src/clickhouse.js';
import type { AppConfig } from '../../../../libs/config/src/config.js';
import type { IngestFeed } from '../../../../libs/ingest-feed/src/feed.js';
import type { StateStore } from '../../../../libs/state/src/store.js';
import { AdminGuard } from '../auth/admin.guard.js';
import { APP_CONFIG, CLICKHOUSE, INGEST, STATE_STORE } from '../tokens.js';
import { AlertRulesController } from './alert-rules.controller.js';
import { AlertRulesRepository } from './alert-rules.repository.js';
import { AlertsController } from './alerts.controller.js';
import { AlertsService } from './alerts.service.js';

@Module({})
export class AlertsModule implements OnModuleInit {
  constructor(
    @Inject(AlertRulesRepository) private readonly rules: AlertRulesRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The runtime's shared resources are passed in, as for StatisticsCacheModule. */
  static forRoot(dependencies: { config: AppConfig; stateStore: StateStore; clickhouse: ClickHouse; ingest: IngestFeed }): DynamicModule {
    return {
      module: AlertsModule,
      controllers: [AlertRulesController, AlertsController],
      providers: [
        { provide: APP_CONFIG, useValue: dependencies.config },
        { provide: STATE_STORE, useValue: dependencies.stateStore },
        { provide: CLICKHOUSE, useValue: dependencies.clickhouse },
        { provide: INGEST, useValue: dependencies.ingest },
        AlertRulesRepository,
        AlertsService,
        AdminGuard,
      ],
      exports: [AlertRulesRepository, AlertsService],
    };
  }

  /** Before the server listens: the default rules exist (and follow the environment) from the first request. */
  async onModuleInit(): Promise<void> {
    await this.rules.ensureDefaults(this.config.alertThresholds);
  }
}
