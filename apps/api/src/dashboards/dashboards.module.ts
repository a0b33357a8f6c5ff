// The dashboards feature: per-user dashboards in the state store (CRUD for their owners and
// administrators, the default dashboard given on a first list), their widgets' data through the
// statistics service, the `dashboard:<id>` socket room, and their exports through the exports module.
import { Module } from '@nestjs/common';
import { AdminGuard } from '../auth/admin.guard.js';
import { ExportsModule } from '../exports/exports.module.js';
import { DashboardExports } from './dashboard-exports.js';
import { DashboardsController } from './dashboards.controller.js';
import { DashboardsRepository } from './dashboards.repository.js';
import { DashboardsService } from './dashboards.service.js';

@Module({
  imports: [ExportsModule],
  controllers: [DashboardsController],
  providers: [DashboardsRepository, DashboardsService, DashboardExports, AdminGuard],
  exports: [DashboardsService],
})
export class DashboardsModule {}
