// Server engine: a ClickHouse server reached over HTTP with @clickhouse/client (CLICKHOUSE_URL).
import { Readable } from 'node:stream';
import { createClient, type ClickHouseClient as Client } from '@clickhouse/client';
import { ClickHouseError, type ClickHouse, type InsertRequest, type QueryParams } from './clickhouse.js';

function wrap(error: unknown, sql: string): ClickHouseError {
  const cause = error as { message?: string; code?: string };
  const code = cause.code !== undefined && /^\d+$/.test(cause.code) ? Number(cause.code) : undefined;
  const firstLine = sql.trim().split('\n')[0]?.slice(0, 120);
  return new ClickHouseError(`${cause.message ?? String(error)} (in: ${firstLine})`, code, { cause: error });
}

export class ServerClickHouse implements ClickHouse {
  readonly engine = 'server' as const;

  private constructor(
    private readonly client: Client,
    readonly database: string,
  ) {}

  static async connect(url: string, database: string): Promise<ServerClickHouse> {
    const admin = createClient({ url });
    try {
      await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
    } catch (error) {
      throw wrap(error, `CREATE DATABASE ${database}`);
    } finally {
      await admin.close();
    }
    const client = createClient({
      url,
      database,
      clickhouse_settings: { date_time_input_format: 'best_effort', output_format_json_quote_64bit_integers: 0 },
    });
    return new ServerClickHouse(client, database);
  }

  async query<Row>(sql: string, params: QueryParams = {}): Promise<Row[]> {
    try {
      const result = await this.client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
      return await result.json<Row>();
    } catch (error) {
      throw wrap(error, sql);
    }
  }

  async command(sql: string, params: QueryParams = {}): Promise<void> {
    try {
      await this.client.command({ query: sql, query_params: params });
    } catch (error) {
      throw wrap(error, sql);
    }
  }

  async insert(request: InsertRequest): Promise<void> {
    // The rows are already encoded: send the bytes as the body of an INSERT ... FORMAT statement
    // (client.insert would re-encode, and expects objects for JSON formats).
    const values = Buffer.isBuffer(request.values) ? Readable.from([request.values]) : Readable.from(request.values);
    const columns = request.columns ? ` (${request.columns.join(', ')})` : '';
    const query = `INSERT INTO ${request.table}${columns} FORMAT ${request.format}`;
    try {
      const result = await this.client.exec({ query, values });
      // Drain the (empty) response so the socket returns to the pool.
      for await (const chunk of result.stream) void chunk;
    } catch (error) {
      throw wrap(error, query);
    }
  }

  async ping(): Promise<void> {
    const result = await this.client.ping();
    if (!result.success) throw wrap(result.error, 'ping');
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
