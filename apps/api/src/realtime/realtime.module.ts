// Live statistics over Socket.IO: the gateway and the room directory, global so that every feature
// (statistics, alerts, dashboards, exports) registers its rooms and pushes through it. The adapter
// (Redis streams or in-memory) comes from the core module.
import { Global, Module } from '@nestjs/common';
import { RoomDirectory } from './room-directory.js';
import { RoomPublisher } from './room-publisher.js';
import { SocketSessions } from './socket-sessions.js';
import { StatisticsGateway } from './statistics.gateway.js';

@Global()
@Module({
  providers: [RoomDirectory, SocketSessions, RoomPublisher, StatisticsGateway],
  exports: [RoomDirectory, StatisticsGateway],
})
export class RealtimeModule {}
