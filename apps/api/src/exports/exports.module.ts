// The exports feature: export jobs (state store), their worker, the renderers of every format
// (Excel with native charts, PDF through the shared browser pool, JSON, CSV), the endpoints, the
// signed download links and the `export:<id>` socket room.
import { Module } from '@nestjs/common';
import { AdminGuard } from '../auth/admin.guard.js';
import { ExportEvents } from './export-events.js';
import { ExportJobsRepository } from './export-jobs.repository.js';
import { ExportRenderer } from './export-renderer.js';
import { ExportWorker } from './export-worker.js';
import { ExportDownloadGuard, ExportsController } from './exports.controller.js';
import { ExportsService } from './exports.service.js';

@Module({
  controllers: [ExportsController],
  providers: [ExportJobsRepository, ExportEvents, ExportRenderer, ExportWorker, ExportsService, AdminGuard, ExportDownloadGuard],
  exports: [ExportsService, ExportWorker, ExportRenderer, ExportJobsRepository],
})
export class ExportsModule {}
