// The analysts' SQL gateway (/clickhouse): the statement policy, the engine's analyst limits and
// its HTTP-protocol endpoint, for users of the analyst role or admins.
import { Module } from '@nestjs/common';
import { AnalystController } from './analyst.controller.js';
import { AnalystGuard } from './analyst.guard.js';
import { AnalystService } from './analyst.service.js';

@Module({
  controllers: [AnalystController],
  providers: [AnalystService, AnalystGuard],
})
export class AnalystModule {}
