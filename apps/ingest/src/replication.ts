// A Postgres replication-protocol connection: creates the slot (exporting a snapshot), then streams
// pgoutput changes and reports back how far ClickHouse holds them (standby status updates).
import pg from 'pg';
import { formatLsn, parseLsn } from './pgoutput.js';

export interface XLogData {
  walStart: bigint;
  walEnd: bigint;
  payload: Buffer;
}

export interface StreamHandlers {
  onData(data: XLogData): void;
  onKeepalive(walEnd: bigint, replyRequested: boolean): void;
}

// Postgres epoch (2000-01-01) in Unix milliseconds.
const PG_EPOCH_MS = 946_684_800_000n;

interface PgConnection {
  on(event: 'copyData', listener: (message: { chunk: Buffer }) => void): void;
  sendCopyFromChunk(chunk: Buffer): void;
  stream: { pause(): void; resume(): void };
}

export class ReplicationConnection {
  private constructor(private readonly client: pg.Client) {}

  static async connect(databaseUrl: string): Promise<ReplicationConnection> {
    const client = new pg.Client({
      connectionString: databaseUrl,
      replication: 'database',
      // Text output of timestamptz in UTC, ISO style: what the converters expect.
      options: '-c TimeZone=UTC -c DateStyle=ISO',
      application_name: 'depanneteliman-statistics-ingest',
    } as pg.ClientConfig);
    await client.connect();
    return new ReplicationConnection(client);
  }

  onError(listener: (error: Error) => void): void {
    this.client.on('error', listener);
  }

  /**
   * Creates the logical slot and exports a snapshot of the exact moment the slot starts: rows
   * committed before it are read by COPY under that snapshot, everything after streams from the slot.
   * The snapshot stays valid until the next command on this connection.
   */
  async createSlot(slot: string): Promise<{ consistentPoint: bigint; snapshotName: string }> {
    const result = await this.client.query<{ consistent_point: string; snapshot_name: string }>(
      `CREATE_REPLICATION_SLOT "${slot}" LOGICAL pgoutput EXPORT_SNAPSHOT`,
    );
    const row = result.rows[0];
    if (!row) throw new Error('CREATE_REPLICATION_SLOT returned no row');
    return { consistentPoint: parseLsn(row.consistent_point), snapshotName: row.snapshot_name };
  }

  /** Streams until the connection ends; resolves then, rejects on a server error. */
  async stream(slot: string, publication: string, handlers: StreamHandlers): Promise<void> {
    const connection = this.connection();
    connection.on('copyData', ({ chunk }) => {
      const kind = chunk[0];
      if (kind === 0x77) {
        handlers.onData({
          walStart: chunk.readBigUInt64BE(1),
          walEnd: chunk.readBigUInt64BE(9),
          payload: chunk.subarray(25),
        });
      } else if (kind === 0x6b) {
        handlers.onKeepalive(chunk.readBigUInt64BE(1), chunk[17] === 1);
      }
    });
    await this.client.query(
      `START_REPLICATION SLOT "${slot}" LOGICAL 0/0 (proto_version '1', publication_names '${publication}')`,
    );
  }

  /** Tells Postgres that everything before `flushedLsn` is safely in ClickHouse. */
  sendStatus(flushedLsn: bigint, replyRequested = false): void {
    const message = Buffer.alloc(34);
    message.write('r', 0);
    message.writeBigUInt64BE(flushedLsn, 1);
    message.writeBigUInt64BE(flushedLsn, 9);
    message.writeBigUInt64BE(flushedLsn, 17);
    message.writeBigInt64BE((BigInt(Date.now()) - PG_EPOCH_MS) * 1000n, 25);
    message.writeUInt8(replyRequested ? 1 : 0, 33);
    this.connection().sendCopyFromChunk(message);
  }

  pause(): void {
    this.connection().stream.pause();
  }

  resume(): void {
    this.connection().stream.resume();
  }

  async close(): Promise<void> {
    // Closing is also how a broken connection is discarded: its own error was already reported
    // through onError / the failed stream, so a second one from end() adds nothing.
    await this.client.end().catch(() => undefined);
  }

  private connection(): PgConnection {
    return (this.client as unknown as { connection: PgConnection }).connection;
  }
}

export { formatLsn };
