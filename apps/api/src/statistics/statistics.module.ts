// The statistics feature: the endpoints of global_statistics, the sections, the KPIs and
// real_time_stats, and the service every other feature (realtime rooms, exports, legacy
// endpoints) asks for figures, so that a number is computed one way only.
import { Global, Module } from '@nestjs/common';
import { AdminGuard } from '../auth/admin.guard.js';
import { StatisticsRooms } from '../realtime/statistics-rooms.js';
import { StatisticsController } from './statistics.controller.js';
import { StatisticsService } from './statistics.service.js';

@Global()
@Module({
  controllers: [StatisticsController],
  // StatisticsRooms: the section and realtime rooms, computed by the same service.
  providers: [StatisticsService, StatisticsRooms, AdminGuard],
  exports: [StatisticsService],
})
export class StatisticsModule {}
