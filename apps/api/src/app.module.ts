// The API application: the core module (the runtime's shared resources: ClickHouse, operational
// Postgres, ingest feed, state store…) and the feature modules, plain @Module classes that inject them.
import { Module, type DynamicModule } from '@nestjs/common';
import { AlertsModule } from './alerts/alerts.module.js';
import { AnalystModule } from './analyst/analyst.module.js';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { DashboardsModule } from './dashboards/dashboards.module.js';
import { StatisticsCacheModule } from './cache/statistics-cache.module.js';
import { ScheduleModule } from '@nestjs/schedule';
import { RealtimeModule } from './realtime/realtime.module.js';
import { HealthModule } from './health/health.module.js';
import { StatisticsModule } from './statistics/statistics.module.js';
import { ExportsModule } from './exports/exports.module.js';
import { PdfModule } from './exports/pdf/pdf.module.js';
import { LegacyModule } from './statistics/legacy/legacy.module.js';
import { CoreModule, type CoreResources } from './core.module.js';
import { DemoSessionController } from './web/demo-session.controller.js';

/** What the runtime opened, provided to every module by the core module. */
export type AppDependencies = CoreResources;

@Module({})
export class AppModule {
  static forRoot(dependencies: AppDependencies): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(dependencies),
        AuthModule,
        ScheduleModule.forRoot(),
        AuditModule,
        RealtimeModule,
        StatisticsCacheModule,
        AlertsModule,
        StatisticsModule,
        PdfModule,
        ExportsModule,
        DashboardsModule,
        LegacyModule,
        AnalystModule,
        HealthModule,
      ],
      controllers: [DemoSessionController],
    };
  }
}
