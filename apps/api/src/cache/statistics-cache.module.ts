// The statistics cache feature: @nestjs/cache-manager over the store chosen at boot (Redis via
// @keyv/redis, or in-memory Keyv; openCacheBackend, run by the runtime, may probe Redis, and the
// core module provides what it chose), the cache service and the admin purge endpoint.
import { CacheModule } from '@nestjs/cache-manager';
import { Global, Module } from '@nestjs/common';
import type { AppConfig } from '../../../../libs/config/src/config.js';
import { AdminGuard } from '../auth/admin.guard.js';
import { APP_CONFIG, CACHE_BACKEND } from '../tokens.js';
import type { CacheBackend } from './cache-backend.js';
import { StatisticsCacheController } from './statistics-cache.controller.js';
import { StatisticsCacheService } from './statistics-cache.service.js';

/** Global: the statistics service (its own module) reads through this cache. */
@Global()
@Module({
  imports: [
    CacheModule.registerAsync({
      useFactory: (backend: CacheBackend, config: AppConfig) => ({
        stores: backend.keyv ? [backend.keyv] : undefined,
        ttl: config.statisticsCacheTtlSeconds * 1000,
      }),
      inject: [CACHE_BACKEND, APP_CONFIG],
    }),
  ],
  controllers: [StatisticsCacheController],
  providers: [StatisticsCacheService, AdminGuard],
  exports: [StatisticsCacheService],
})
export class StatisticsCacheModule {}
