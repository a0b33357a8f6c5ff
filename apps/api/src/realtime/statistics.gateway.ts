// Namespace /statistics: authenticated sockets join rooms and receive each room's payload right
// after subscribing, on every REAL_TIME_REFRESH_SECONDS tick, and as soon as the ingest applies a
// change that moves one of its numbers. Statistics payloads are computed by each process for its own
// sockets (`local`; room-publisher.ts); alerts and other events are broadcast through the adapter to
// every process. Who is connected, and until when: socket-sessions.ts. This class is the wiring.
import { Inject, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import {
  Ack,
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
} from '@nestjs/websockets';
import type { AppConfig } from '../../../../libs/config/src/config.js';
import type { Alert } from '../../../../libs/metrics/src/alerts.js';
import type { AppliedBatch, IngestFeed } from '../../../../libs/ingest-feed/src/feed.js';
import { errorMessage } from '../../../../libs/errors/src/error-message.js';
import { APP_CONFIG, INGEST } from '../tokens.js';
import { REALTIME_NAMESPACE, type RoomReply, type ServerToClientEvents } from './protocol.js';
import { REALTIME_ADAPTER, type RealtimeAdapter } from './io-adapter.js';
import { RoomDirectory, RoomRefused } from './room-directory.js';
import { RoomPublisher, type PublisherStatus } from './room-publisher.js';
import { SocketSessions, type StatisticsNamespace, type StatisticsSocket } from './socket-sessions.js';

export interface RealtimeStatus extends PublisherStatus {
  ok: boolean;
  /** How rooms are shared: 'redis-streams' across processes, 'memory' within this one. */
  adapter: RealtimeAdapter['kind'];
  error: string | null;
  sockets: number;
}

// Its CORS comes from CORS_ORIGINS through StatisticsIoAdapter.
@WebSocketGateway({ namespace: REALTIME_NAMESPACE })
export class StatisticsGateway
  implements OnGatewayInit<StatisticsNamespace>, OnGatewayConnection<StatisticsSocket>, OnGatewayDisconnect<StatisticsSocket>, OnModuleInit, OnModuleDestroy
{
  @WebSocketServer() private namespace!: StatisticsNamespace;
  private readonly logger = new Logger('statistics.realtime');
  private readonly onApplied = (batch: AppliedBatch): void => this.publisher.changed(batch.tables);
  /** Ends the subscription to the ingest feed's batches. */
  private stopListening: (() => void) | null = null;

  constructor(
    @Inject(RoomDirectory) private readonly directory: RoomDirectory,
    @Inject(SocketSessions) private readonly sessions: SocketSessions,
    @Inject(RoomPublisher) private readonly publisher: RoomPublisher,
    @Inject(INGEST) private readonly ingest: IngestFeed,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(SchedulerRegistry) private readonly scheduler: SchedulerRegistry,
    @Inject(REALTIME_ADAPTER) private readonly adapter: RealtimeAdapter,
  ) {}

  onModuleInit(): void {
    this.stopListening = this.ingest.onApplied(this.onApplied);
    this.scheduler.addInterval(
      'statistics.realtime.tick',
      setInterval(() => {
        this.tick().catch((error: unknown) => this.logger.error({ message: 'refresh tick failed', error: errorMessage(error) }));
      }, this.config.realTimeRefreshSeconds * 1000),
    );
  }

  onModuleDestroy(): void {
    this.stopListening?.();
    this.scheduler.deleteInterval('statistics.realtime.tick');
    this.sessions.close();
    this.publisher.close();
  }

  afterInit(namespace: StatisticsNamespace): void {
    this.sessions.guard(namespace);
    this.publisher.attach(namespace);
  }

  handleConnection(socket: StatisticsSocket): void {
    this.sessions.connected(this.namespace, socket);
    if (socket.recovered) {
      // Rooms came back with the session; stats are state, so each gets its current payload.
      for (const room of socket.rooms) {
        if (room === socket.id) continue;
        void this.publisher.sendCurrent(socket, room);
      }
    }
  }

  handleDisconnect(socket: StatisticsSocket): void {
    this.sessions.disconnected(socket);
  }

  @SubscribeMessage('subscribe')
  async subscribe(@ConnectedSocket() socket: StatisticsSocket, @MessageBody() body: unknown, @Ack() ack: unknown): Promise<void> {
    const room = roomOf(body);
    try {
      const source = this.directory.resolve(room);
      await source.admit?.(socket.data.user);
    } catch (error) {
      if (error instanceof RoomRefused) return reply(ack, { ok: false, error: error.message });
      throw error;
    }
    await socket.join(room as string);
    reply(ack, { ok: true });
    await this.publisher.sendCurrent(socket, room as string);
  }

  @SubscribeMessage('unsubscribe')
  async unsubscribe(@ConnectedSocket() socket: StatisticsSocket, @MessageBody() body: unknown, @Ack() ack: unknown): Promise<void> {
    const room = roomOf(body);
    if (typeof room !== 'string' || room === socket.id || !socket.rooms.has(room)) {
      return reply(ack, { ok: false, error: `not subscribed to ${JSON.stringify(room)}` });
    }
    await socket.leave(room);
    reply(ack, { ok: true });
  }

  /** Sends `alert` to every socket in the alerts room, on every process sharing the adapter. */
  broadcastAlert(alert: Alert): void {
    this.namespace.to('alerts').emit('alert', alert);
  }

  /** Sends `event` to every socket in `room`, on every process sharing the adapter (e.g. export progress). */
  emitToRoom<E extends 'export:progress' | 'export:finished'>(room: string, event: E, ...args: Parameters<ServerToClientEvents[E]>): void {
    this.namespace?.to(room).emit(event, ...args);
  }

  /** Pushes the room's payload now on this process (its owner says it changed), e.g. the alerts list. */
  refresh(room: string): void {
    this.publisher.refresh(room);
  }

  status(): RealtimeStatus {
    const problem = this.adapter.problem();
    return {
      ok: problem === null,
      adapter: this.adapter.kind,
      error: problem,
      sockets: this.namespace?.sockets.size ?? 0,
      ...this.publisher.status(),
    };
  }

  private async tick(): Promise<void> {
    await this.sessions.revalidate(this.namespace);
    this.publisher.tick();
  }
}

function roomOf(body: unknown): unknown {
  return body !== null && typeof body === 'object' ? (body as { room?: unknown }).room : undefined;
}

function reply(ack: unknown, answer: RoomReply): void {
  if (typeof ack === 'function') (ack as (reply: RoomReply) => void)(answer);
}
