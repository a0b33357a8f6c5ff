// The operational Postgres seen from the ingest outside the replication stream: the publication
// of the replicated tables, the slot's existence, the WAL position, and the plain connections the
// snapshot's COPY runs on. Every connection it opens is ended by close().
import type { Logger } from '@nestjs/common';
import pg from 'pg';
import { parseLsn } from './pgoutput.js';
import { REPLICATED_TABLE_NAMES } from '../../../libs/ingest-feed/src/tables.js';

export class SourceDatabase {
  /** Open connections, which close() ends (a stop during the snapshot cuts its COPY). */
  private readonly clients = new Set<pg.Client>();
  private closing = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly logger: Logger,
  ) {}

  /** Allows connections again after close() (the ingest started anew). */
  open(): void {
    this.closing = false;
  }

  /** Ends every open connection; the queries in flight fail. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.clients].map((client) => client.end()));
  }

  /**
   * A connection of its own. pg emits 'error' on a lost connection (Postgres shutting down: 57P01)
   * besides failing the query in flight; without a listener that event kills the process.
   */
  client(purpose: string): pg.Client {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    client.on('error', (error) => {
      // After close() it is our own doing; the query in flight still fails with it.
      if (!this.closing) this.logger.warn({ message: 'source connection lost', purpose, error: error.message });
    });
    this.clients.add(client);
    client.once('end', () => this.clients.delete(client));
    return client;
  }

  /** Runs `work` on a connection opened for it and ended after. */
  async with<T>(work: (client: pg.Client) => Promise<T>, purpose = 'snapshot and catalogue queries'): Promise<T> {
    const client = this.client(purpose);
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  /** The server's current WAL position. */
  async currentLsn(): Promise<bigint> {
    const { rows } = await this.with((client) => client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn'), 'catch-up');
    return parseLsn(rows[0]!.lsn);
  }

  /** Checks logical replication is on, and creates or extends the publication of the replicated tables. */
  async ensurePublication(publication: string): Promise<void> {
    await this.with(async (client) => {
      const level = await client.query<{ wal_level: string }>('SHOW wal_level');
      if (level.rows[0]?.wal_level !== 'logical') {
        throw new Error(
          `the operational database has wal_level=${level.rows[0]?.wal_level}; logical replication needs wal_level=logical (ALTER SYSTEM SET wal_level = logical, then restart Postgres)`,
        );
      }
      const present = await client.query<{ tablename: string }>('SELECT tablename FROM pg_publication_tables WHERE pubname = $1', [publication]);
      const exists = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [publication]);
      const tables = REPLICATED_TABLE_NAMES.map((name) => `public."${name}"`).join(', ');
      if (exists.rowCount === 0) {
        await client.query(`CREATE PUBLICATION "${publication}" FOR TABLE ${tables}`);
        this.logger.log({ message: 'publication created', publication, tables: REPLICATED_TABLE_NAMES });
        return;
      }
      const missing = REPLICATED_TABLE_NAMES.filter((name) => !present.rows.some((row) => row.tablename === name));
      if (missing.length > 0) {
        await client.query(`ALTER PUBLICATION "${publication}" ADD TABLE ${missing.map((name) => `public."${name}"`).join(', ')}`);
        this.logger.log({ message: 'publication extended', publication, added: missing });
      }
    });
  }

  async slotExists(slot: string): Promise<boolean> {
    return this.with(async (client) => {
      const result = await client.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [slot]);
      return (result.rowCount ?? 0) > 0;
    });
  }

  async dropSlot(slot: string): Promise<void> {
    await this.with((client) => client.query('SELECT pg_drop_replication_slot($1)', [slot]));
  }
}
