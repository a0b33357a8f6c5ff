// The runtime's shared resources (configuration, ClickHouse, the operational database, the ingest,
// the state store, the API's telemetry), opened by runtime.ts and provided once to every module.
import { Global, Module, type DynamicModule } from '@nestjs/common';
import type pg from 'pg';
import type { ClickHouse } from '../../../libs/clickhouse/src/clickhouse.js';
import type { AppConfig } from '../../../libs/config/src/config.js';
import type { StateStore } from '../../../libs/state/src/store.js';
import type { IngestFeed } from '../../../libs/ingest-feed/src/feed.js';
import { ApiTelemetry } from './telemetry/api-telemetry.js';
import { APP_CONFIG, CLICKHOUSE, DEMO_SIGN_IN, INGEST, OPERATIONAL_DB, STATE_STORE } from './tokens.js';

export interface RuntimeResources {
  config: AppConfig;
  clickhouse: ClickHouse;
  operationalDb: pg.Pool;
  ingest: IngestFeed;
  stateStore: StateStore;
  telemetry: ApiTelemetry;
  /** Offer the web dashboard's one-click demo sign-in (the embedded demo only). */
  demoSignIn: boolean;
}

@Global()
@Module({})
export class RuntimeModule {
  static forRoot(resources: RuntimeResources): DynamicModule {
    const providers = [
      { provide: APP_CONFIG, useValue: resources.config },
      { provide: CLICKHOUSE, useValue: resources.clickhouse },
      { provide: OPERATIONAL_DB, useValue: resources.operationalDb },
      { provide: INGEST, useValue: resources.ingest },
      { provide: STATE_STORE, useValue: resources.stateStore },
      { provide: ApiTelemetry, useValue: resources.telemetry },
      { provide: DEMO_SIGN_IN, useValue: resources.demoSignIn },
    ];
    return { module: RuntimeModule, providers, exports: providers.map((provider) => provider.provide) };
  }
}
