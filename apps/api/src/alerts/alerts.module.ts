// The alerts feature: alert rules in the state store (CRUD for admins) and, at boot, the default
// rules from the environment's thresholds. Exports the repository for the alert evaluator.
import { Inject, Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import type { AppConfig } from '../../../../libs/config/src/config.js';
import type { StateStore } from '../../../../libs/state/src/store.js';
import { AdminGuard } from '../auth/admin.guard.js';
import { APP_CONFIG, STATE_STORE } from '../tokens.js';
import { AlertRulesController } from './alert-rules.controller.js';
import { AlertRulesRepository } from './alert-rules.repository.js';

@Module({})
export class AlertsModule implements OnModuleInit {
  constructor(
    @Inject(AlertRulesRepository) private readonly rules: AlertRulesRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The runtime's shared resources are passed in, as for StatisticsCacheModule. */
  static forRoot(dependencies: { config: AppConfig; stateStore: StateStore }): DynamicModule {
    return {
      module: AlertsModule,
      controllers: [AlertRulesController],
      providers: [
        { provide: APP_CONFIG, useValue: dependencies.config },
        { provide: STATE_STORE, useValue: dependencies.stateStore },
        AlertRulesRepository,
        AdminGuard,
      ],
      exports: [AlertRulesRepository],
    };
  }

  /** Before the server listens: the default rules exist (and follow the environment) from the first request. */
  async onModuleInit(): Promise<void> {
    await this.rules.ensureDefaults(this.config.alertThresholds);
  }
}
