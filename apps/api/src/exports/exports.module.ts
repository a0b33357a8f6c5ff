// The exports feature: export jobs (state store), their worker, the renderers of every format
// (Excel with native charts, PDF through the shared browser pool, JSON, CSV), the endpoints, the
// signed download links, the `export:<id>` socket room, and scheduled reports (schedules/).
import { Module } from '@nestjs/common';
import { AdminGuard } from '../auth/admin.guard.js';
import { ExportEvents } from './export-events.js';
import { ExportJobsRepository } from './export-jobs.repository.js';
import { ExportRenderer } from './export-renderer.js';
import { ExportWorker } from './export-worker.js';
import { ExportDownloadGuard, ExportsController } from './exports.controller.js';
import { ExportsService } from './exports.service.js';
import { ReportDelivery } from './schedules/report-delivery.js';
import { ReportScheduler } from './schedules/report-scheduler.js';
import { ReportSchedulesController } from './schedules/report-schedules.controller.js';
import { ReportSchedulesRepository } from './schedules/report-schedules.repository.js';

@Module({
  controllers: [ExportsController, ReportSchedulesController],
  providers: [
    ExportJobsRepository,
    ExportEvents,
    ExportRenderer,
    ExportWorker,
    ExportsService,
    AdminGuard,
    ExportDownloadGuard,
    ReportSchedulesRepository,
    ReportDelivery,
    ReportScheduler,
  ],
  exports: [ExportsService, ExportWorker, ExportRenderer, ExportJobsRepository, ReportScheduler],
})
export class ExportsModule {}
