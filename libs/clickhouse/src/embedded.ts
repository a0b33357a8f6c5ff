// Embedded engine: chdb (ClickHouse in-process). One process owns one data directory; a second
// process opening the same directory is refused by the engine, so the API and ingest share one.
import { mkdirSync } from 'node:fs';
import { Readable } from 'node:stream';
import { Session } from 'chdb';
import { ClickHouseError, type ClickHouse, type InsertRequest, type QueryParams } from './clickhouse.js';

function wrap(error: unknown, sql: string): ClickHouseError {
  const cause = error as { message?: string; clickhouseCode?: number };
  const firstLine = sql.trim().split('\n')[0]?.slice(0, 120);
  const message = cause.message ?? String(error);
  // A stream's errors (ChdbStreamError) carry the engine's code in their text only.
  const codeInText = /^Code: (\d+)\./.exec(message)?.[1];
  const code = cause.clickhouseCode ?? (codeInText === undefined ? undefined : Number(codeInText));
  return new ClickHouseError(`${message} (in: ${firstLine})`, code, { cause: error });
}

const CONNECTION_ARGS = ['--async_load_databases=0', '--async_load_system_database=0'];

export interface RawQueryResult {
  body: Buffer;
  elapsedSeconds: number;
  rowsRead: number;
  bytesRead: number;
}

export class EmbeddedClickHouse implements ClickHouse {
  readonly engine = 'embedded' as const;
  private closed = false;
  /** Connections opened by streamRaw and not yet closed, closed with the engine. */
  private readonly streamSessions = new Set<Session>();

  private constructor(
    private readonly session: Session,
    readonly database: string,
    private readonly dataDir: string,
  ) {}

  static async open(dataDir: string, database: string): Promise<EmbeddedClickHouse> {
    mkdirSync(dataDir, { recursive: true });
    const session = new Session(dataDir, { connectionArgs: CONNECTION_ARGS });
    await session.queryAsync(`CREATE DATABASE IF NOT EXISTS ${database}`);
    await session.queryAsync(`USE ${database}`);
    return new EmbeddedClickHouse(session, database, dataDir);
  }

  // Every statement goes through chdb's bound path (queryBindAsync), which chdb runs one at a time
  // across the process. Its unbound path can run alongside; it was withdrawn while a soak's double
  // count was unexplained. (The "unknown table" seen in CI then came from ingest-faults.test.ts,
  // which renames a table away on purpose; the double count recurred on the bound path.) Trying it
  // again is a measured change of its own.
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

  /**
   * Streams one statement's output, block by block, on a connection of its own (same engine, same
   * data directory): the caller can stop reading after any block (the stream is then cancelled),
   * and the queries of the shared session keep running meanwhile instead of waiting behind it.
   * No bound parameters: chdb serialises parameter binding on one process-wide chain, which a
   * stream cannot join, so the caller substitutes them first.
   */
  async *streamRaw(sql: string, format: string): AsyncGenerator<Buffer, void, undefined> {
    this.assertOpen();
    const session = new Session(this.dataDir, { connectionArgs: CONNECTION_ARGS });
    this.streamSessions.add(session);
    try {
      await session.queryAsync(`USE ${this.database}`);
      for await (const chunk of session.queryStream(sql, { format })) {
        const bytes = chunk.raw();
        yield Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      }
    } catch (error) {
      throw wrap(error, sql);
    } finally {
      // Leaving the loop early cancels the stream; close() waits for a fetch still in flight.
      this.streamSessions.delete(session);
      session.close();
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
    for (const session of this.streamSessions) session.close();
    this.streamSessions.clear();
    this.session.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new ClickHouseError('the embedded ClickHouse session is closed', undefined);
  }
}
