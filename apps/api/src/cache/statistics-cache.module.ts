// The statistics cache feature: @nestjs/cache-manager over the store chosen at boot (Redis via
// @keyv/redis, or in-memory Keyv), the cache service and the admin purge endpoint.
import { CacheModule } from '@nestjs/cache-manager';
import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from '../../../../libs/config/src/config.js';
import type { IngestFeed } from '../../../../libs/ingest-feed/src/feed.js';
import { AdminGuard } from '../auth/admin.guard.js';
import { APP_CONFIG, CACHE_BACKEND, INGEST } from '../tokens.js';
import type { CacheBackend } from './cache-backend.js';
import { StatisticsCacheController } from './statistics-cache.controller.js';
import { StatisticsCacheService } from './statistics-cache.service.js';

/** Global: the statistics service (its own module) reads through this cache. */
@Global()
@Module({})
export class StatisticsCacheModule {
  /**
   * `backend` comes from openCacheBackend (async: it may probe Redis), run by the runtime. The
   * runtime's shared resources are passed in, as AppModule provides them to its own scope only
   * (authentication comes from the global AuthModule).
   */
  static forRoot(dependencies: { config: AppConfig; backend: CacheBackend; ingest: IngestFeed }): DynamicModule {
    const { config, backend } = dependencies;
    return {
      module: StatisticsCacheModule,
      imports: [
        CacheModule.register({
          stores: backend.keyv ? [backend.keyv] : undefined,
          ttl: config.statisticsCacheTtlSeconds * 1000,
        }),
      ],
      controllers: [StatisticsCacheController],
      providers: [
        { provide: CACHE_BACKEND, useValue: backend },
        { provide: APP_CONFIG, useValue: config },
        { provide: INGEST, useValue: dependencies.ingest },
        StatisticsCacheService,
        AdminGuard,
      ],
      exports: [StatisticsCacheService],
    };
  }
}
