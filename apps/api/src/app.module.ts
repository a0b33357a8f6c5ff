// The API application: wires the runtime's shared resources (ClickHouse, operational Postgres,
// ingest) into the feature modules.
import { Module, type DynamicModule } from '@nestjs/common';
import type pg from 'pg';
import type { ClickHouse } from '../../../libs/clickhouse/src/clickhouse.js';
import type { AppConfig } from '../../../libs/config/src/config.js';
import type { StateStore } from '../../../libs/state/src/store.js';
import type { IngestFeed } from '../../../libs/ingest-feed/src/feed.js';
import { AlertsModule } from './alerts/alerts.module.js';
import { AnalystController } from './analyst/analyst.controller.js';
import { AnalystGuard } from './analyst/analyst.guard.js';
import { AnalystService } from './analyst/analyst.service.js';
import { AuditModule } from './audit/audit.module.js';
import { AdminGuard } from './auth/admin.guard.js';
import { AuthModule } from './auth/auth.module.js';
import { DashboardsModule } from './dashboards/dashboards.module.js';
import type { CacheBackend } from './cache/cache-backend.js';
import { StatisticsCacheModule } from './cache/statistics-cache.module.js';
import { ScheduleModule } from '@nestjs/schedule';
import type { RealtimeAdapter } from './realtime/io-adapter.js';
import { RealtimeModule } from './realtime/realtime.module.js';
import { StatisticsRooms } from './realtime/statistics-rooms.js';
import { HealthController } from './health/health.controller.js';
import { StatisticsModule } from './statistics/statistics.module.js';
import { ExportsModule } from './exports/exports.module.js';
import { PdfModule } from './exports/pdf/pdf.module.js';
import { LegacyModule } from './statistics/legacy/legacy.module.js';
import { RuntimeModule } from './runtime.module.js';
import { ApiTelemetry } from './telemetry/api-telemetry.js';
import { MetricsController, MetricsGuard } from './telemetry/metrics.controller.js';
import { DemoSessionController } from './web/demo-session.controller.js';

export interface AppDependencies {
  config: AppConfig;
  clickhouse: ClickHouse;
  operationalDb: pg.Pool;
  ingest: IngestFeed;
  jwtSecret: string;
  telemetry: ApiTelemetry;
  cacheBackend: CacheBackend;
  stateStore: StateStore;
  realtimeAdapter: RealtimeAdapter;
  /** Offer the web dashboard's one-click demo sign-in (the embedded demo only). */
  demoSignIn: boolean;
}

@Module({})
export class AppModule {
  static forRoot(dependencies: AppDependencies): DynamicModule {
    return {
      module: AppModule,
      imports: [
        RuntimeModule.forRoot(dependencies),
        AuthModule.forRoot({
          operationalDb: dependencies.operationalDb,
          jwtSecret: dependencies.jwtSecret,
          userCacheSeconds: dependencies.config.authUserCacheSeconds,
        }),
        ScheduleModule.forRoot(),
        AuditModule,
        RealtimeModule.forRoot({ config: dependencies.config, ingest: dependencies.ingest, adapter: dependencies.realtimeAdapter }),
        StatisticsCacheModule.forRoot({
          config: dependencies.config,
          backend: dependencies.cacheBackend,
          ingest: dependencies.ingest,
        }),
        AlertsModule.forRoot({
          config: dependencies.config,
          stateStore: dependencies.stateStore,
          clickhouse: dependencies.clickhouse,
          ingest: dependencies.ingest,
        }),
        StatisticsModule,
        PdfModule,
        ExportsModule,
        DashboardsModule,
        LegacyModule,
      ],
      controllers: [HealthController, AnalystController, MetricsController, DemoSessionController],
      providers: [
        AdminGuard,
        MetricsGuard,
        { provide: AnalystService, useClass: AnalystService },
        AnalystGuard,
        StatisticsRooms,
      ],
    };
  }
}
