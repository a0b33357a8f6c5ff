// Live statistics over Socket.IO: the gateway and the room directory, global so that every feature
// (statistics, alerts, later dashboards and exports) registers its rooms and pushes through it.
import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from '../../../../libs/config/src/config.js';
import type { IngestFeed } from '../../../../libs/ingest-feed/src/feed.js';
import { APP_CONFIG, INGEST } from '../tokens.js';
import { REALTIME_ADAPTER, type RealtimeAdapter } from './io-adapter.js';
import { RoomDirectory } from './room-directory.js';
import { StatisticsGateway } from './statistics.gateway.js';

@Global()
@Module({})
export class RealtimeModule {
  static forRoot(dependencies: { config: AppConfig; ingest: IngestFeed; adapter: RealtimeAdapter }): DynamicModule {
    return {
      module: RealtimeModule,
      providers: [
        { provide: APP_CONFIG, useValue: dependencies.config },
        { provide: INGEST, useValue: dependencies.ingest },
        { provide: REALTIME_ADAPTER, useValue: dependencies.adapter },
        RoomDirectory,
        StatisticsGateway,
      ],
      exports: [RoomDirectory, StatisticsGateway],
    };
  }
}
