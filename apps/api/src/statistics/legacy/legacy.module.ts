// The legacy statistics endpoints of the existing admin app (legacy-endpoints.md). Figures come
// from the global StatisticsService, authentication from the global AuthModule, PDFs from the
// shared browser pool (PdfModule is global: importing it here too creates no second pool).
import { Module } from '@nestjs/common';
import { PdfModule } from '../../exports/pdf/pdf.module.js';
import { LegacyController } from './legacy.controller.js';
import { LegacyAdminGuard, LegacyExportGuard } from './legacy.guards.js';

@Module({
  imports: [PdfModule],
  controllers: [LegacyController],
  providers: [LegacyAdminGuard, LegacyExportGuard],
})
export class LegacyModule {}
