// The legacy statistics endpoints of the existing admin app (legacy-endpoints.md). Figures come
// from the global StatisticsService; authentication from the global AuthModule.
import { Module } from '@nestjs/common';
import { LegacyController } from './legacy.controller.js';
import { LegacyAdminGuard, LegacyExportGuard } from './legacy.guards.js';

@Module({
  controllers: [LegacyController],
  providers: [LegacyAdminGuard, LegacyExportGuard],
})
export class LegacyModule {}
