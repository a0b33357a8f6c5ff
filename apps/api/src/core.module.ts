// The one global module: the runtime's shared resources, opened by runtime.ts (configuration,
// ClickHouse behind the admission queue, the operational database, the ingest feed, the state
// store, the token secret, the cache's store, the realtime adapter, the API's telemetry and its
// HTTP waiting line) and
// provided once to every feature module, which are plain @Module classes that inject them.
import { Global, Module, type DynamicModule } from '@nestjs/common';
import type pg from 'pg';
import type { ClickHouse } from '../../../libs/clickhouse/src/clickhouse.js';
import type { AppConfig } from '../../../libs/config/src/config.js';
import type { IngestFeed } from '../../../libs/ingest-feed/src/feed.js';
import type { StateStore } from '../../../libs/state/src/store.js';
import type { CacheBackend } from './cache/cache-backend.js';
import { REALTIME_ADAPTER, type RealtimeAdapter } from './realtime/io-adapter.js';
import { LoopTurns } from './http/loop-turns.js';
import { ApiTelemetry } from './telemetry/api-telemetry.js';
import { APP_CONFIG, CACHE_BACKEND, CLICKHOUSE, DEMO_SIGN_IN, INGEST, JWT_SECRET, OPERATIONAL_DB, STATE_STORE } from './tokens.js';

export interface CoreResources {
  config: AppConfig;
  clickhouse: ClickHouse;
  operationalDb: pg.Pool;
  ingest: IngestFeed;
  stateStore: StateStore;
  telemetry: ApiTelemetry;
  /** The waiting line of HTTP requests when the event loop is saturated (http/loop-turns.ts). */
  loopTurns: LoopTurns;
  jwtSecret: string;
  cacheBackend: CacheBackend;
  realtimeAdapter: RealtimeAdapter;
  /** Offer the web dashboard's one-click demo sign-in (the embedded demo only). */
  demoSignIn: boolean;
}

@Global()
@Module({})
export class CoreModule {
  static forRoot(resources: CoreResources): DynamicModule {
    const providers = [
      { provide: APP_CONFIG, useValue: resources.config },
      { provide: CLICKHOUSE, useValue: resources.clickhouse },
      { provide: OPERATIONAL_DB, useValue: resources.operationalDb },
      { provide: INGEST, useValue: resources.ingest },
      { provide: STATE_STORE, useValue: resources.stateStore },
      { provide: ApiTelemetry, useValue: resources.telemetry },
      { provide: LoopTurns, useValue: resources.loopTurns },
      { provide: JWT_SECRET, useValue: resources.jwtSecret },
      { provide: CACHE_BACKEND, useValue: resources.cacheBackend },
      { provide: REALTIME_ADAPTER, useValue: resources.realtimeAdapter },
      { provide: DEMO_SIGN_IN, useValue: resources.demoSignIn },
    ];
    return { module: CoreModule, providers, exports: providers.map((provider) => provider.provide) };
  }
}
