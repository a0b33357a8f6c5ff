// Health (liveness, readiness, details for admins) and the Prometheus /metrics endpoint: both read
// the state of every feature (alerts, exports, PDF browsers, live sockets, cache), hence imports.
import { Module } from '@nestjs/common';
import { AlertsModule } from '../alerts/alerts.module.js';
import { AdminGuard } from '../auth/admin.guard.js';
import { ExportsModule } from '../exports/exports.module.js';
import { PdfModule } from '../exports/pdf/pdf.module.js';
import { MetricsController, MetricsGuard } from '../telemetry/metrics.controller.js';
import { HealthController } from './health.controller.js';

@Module({
  imports: [AlertsModule, ExportsModule, PdfModule],
  controllers: [HealthController, MetricsController],
  providers: [AdminGuard, MetricsGuard],
})
export class HealthModule {}
