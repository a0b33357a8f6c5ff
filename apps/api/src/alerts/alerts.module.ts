// The alerts feature: alert rules in the state store (CRUD for admins) and, at boot, the default
// rules from the environment's thresholds; the evaluator and alert history (AlertsService), its
// endpoints, and the `alerts` socket room.
import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import type { AppConfig } from '../../../../libs/config/src/config.js';
import { AdminGuard } from '../auth/admin.guard.js';
import { APP_CONFIG } from '../tokens.js';
import { AlertRulesController } from './alert-rules.controller.js';
import { AlertRulesRepository } from './alert-rules.repository.js';
import { AlertsController } from './alerts.controller.js';
import { AlertsService } from './alerts.service.js';

@Module({
  controllers: [AlertRulesController, AlertsController],
  providers: [AlertRulesRepository, AlertsService, AdminGuard],
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
