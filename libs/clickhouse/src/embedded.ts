// Embedded engine: chdb (ClickHouse in-process). One process owns one data directory; a second
// process opening the same directory is refused by the engine, so the API and ingest share one.
import { mkdirSync } from 'node:fs';
import { Readable } from 'node:stream';
import { Session } from 'chdb';
import { ClickHouseError, type ClickHouse, type InsertRequest, type QueryParams } from './clickhouse.js';

function wrap(error: unknown, sql: string): ClickHouseError {
  const cause = error as { message?: string; clickhouseCode?: number };
  const firstLine = sql.trim().split('\n')[0]?.slice(0, 120);
  return new ClickHouseError(`${cause.message ?? String(error)} (in: ${firstLine})`, cause.clickhouseCode, { cause: error });
}

export interface RawQueryResult {
  body: Buffer;
  elapsedSeconds: number;
  rowsRead: number;
  bytesRead: number;
}

export class EmbeddedClickHouse implements ClickHouse {
  readonly engine = 'embedded' as const;
  private closed = false;

  private constructor(
    private readonly session: Session,
    readonly database: string,
  ) {}

  static async open(dataDir: string, database: string): Promise<EmbeddedClickHouse> {
    mkdirSync(dataDir, { recursive: true });
    const session = new Session(dataDir, {
      connectionArgs: ['--async_load_databases=0', '--async_load_system_database=0'],
    });
    await session.queryAsync(`CREATE DATABASE IF NOT EXISTS ${database}`);
    await session.queryAsync(`USE ${database}`);
    return new EmbeddedClickHouse(session, database);
  }

  async query<Row>(sql: string, params: QueryParams = {}): Promise<Row[]> {
    this.assertOpen();
    try {
      const result = await this.session.queryBindAsync(sql, params, { format: 'JSONEachRow' });
      const text = result.text();
      if (!text) return [];
      return text
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as Row);
    } catch (error) {
      throw wrap(error, sql);
    }
  }

  /**
   * Runs one statement and returns its output bytes in `format` as the engine wrote them (the
   * analyst gateway relays them unchanged), with the engine's read counters.
   */
  async queryRaw(sql: string, params: QueryParams, format: string): Promise<RawQueryResult> {
    this.assertOpen();
    try {
      const result = await this.session.queryBindAsync(sql, params, { format });
      const bytes = result.bytes();
      return {
        body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        elapsedSeconds: result.elapsed,
        rowsRead: result.rowsRead,
        bytesRead: result.bytesRead,
      };
    } catch (error) {
      throw wrap(error, sql);
    }
  }

  async command(sql: string, params: QueryParams = {}): Promise<void> {
    this.assertOpen();
    try {
      await this.session.queryBindAsync(sql, params, { format: 'Null' });
    } catch (error) {
      throw wrap(error, sql);
    }
  }

  async insert(request: InsertRequest): Promise<void> {
    this.assertOpen();
    try {
      if (Buffer.isBuffer(request.values)) {
        if (request.values.length === 0) return;
        await this.session.insert({
          table: request.table,
          values: request.values,
          format: request.format,
          ...(request.columns ? { columns: request.columns } : {}),
        });
      } else {
        await this.session.insert({
          table: request.table,
          values: Readable.from(request.values),
          format: request.format,
          maxChunkBytes: 16 * 1024 * 1024,
          ...(request.columns ? { columns: request.columns } : {}),
        });
      }
    } catch (error) {
      throw wrap(error, `INSERT INTO ${request.table}`);
    }
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.session.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new ClickHouseError('the embedded ClickHouse session is closed', undefined);
  }
}
