// Runs analysts' SQL on the embedded engine: parse with ClickHouse (formatQuery, EXPLAIN AST), check
// the statement (statement-policy.ts), then run the canonical text with readonly = 1 and the limits
// appended as its SETTINGS clause. Per-query SETTINGS, because the chdb session is shared with the
// ingest: a SET would change its settings too.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClickHouseError, type ClickHouse, type QueryParams } from '../../../../libs/clickhouse/src/clickhouse.js';
import { EmbeddedClickHouse } from '../../../../libs/clickhouse/src/embedded.js';
import type { AnalystLimits, AppConfig } from '../../../../libs/config/src/config.js';
import { APP_CONFIG, CLICKHOUSE } from '../tokens.js';
import { GatewayError, type GatewayRequest } from './protocol.js';
import { checkStatement, parseExplainAst, type CheckedStatement } from './statement-policy.js';

export interface GatewayResult {
  body: Buffer;
  format: string;
  queryId: string;
  timezone: string;
  /** X-ClickHouse-Summary: ClickHouse sends every counter as a string. */
  summary: Record<string, string>;
}

/** Engine errors caused by the query itself (ClickHouse answers them 4xx as well). */
const NOT_FOUND_CODES = new Set([16, 46, 47, 60, 81]);
const QUERY_ERROR_CODES = new Set([
  6, 8, 27, 36, 42, 43, 44, 50, 53, 62, 73, 158, 159, 160, 164, 184, 215, 241, 307, 352, 386, 395, 396, 456, 457,
]);
const LIMIT_CODES = new Set([158, 159, 160, 241, 307, 396]);

export const DEFAULT_FORMAT = 'TabSeparated';

/** Caches a lookup's promise, but not a failure: `forget` drops it so the next request retries. */
function retryOnFailure<T>(loading: Promise<T>, forget: () => void): Promise<T> {
  loading.catch(forget);
  return loading;
}

@Injectable()
export class AnalystService {
  private readonly logger = new Logger('statistics.analyst');
  private readonly limits: AnalystLimits;
  private tableFunctions: Promise<ReadonlySet<string>> | undefined;
  private timezone: Promise<string> | undefined;
  private running = 0;

  constructor(
    @Inject(CLICKHOUSE) private readonly clickhouse: ClickHouse,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.limits = config.analyst;
  }

  /**
   * The gateway serves the embedded engine only: with a ClickHouse server analysts connect to it
   * directly as the read-only user the migrations prepare, with the server's own limits.
   */
  engine(): EmbeddedClickHouse {
    if (this.clickhouse instanceof EmbeddedClickHouse) return this.clickhouse;
    throw GatewayError.of(
      'NOT_IMPLEMENTED',
      'This deployment uses a ClickHouse server: connect to it directly as a user with the analyst_readonly role (see clickhouse/README.md)',
      404,
    );
  }

  async run(request: GatewayRequest, userId: number): Promise<GatewayResult> {
    const engine = this.engine();
    if (this.running >= this.limits.maxConcurrentQueries) {
      throw GatewayError.of(
        'TOO_MANY_SIMULTANEOUS_QUERIES',
        `Too many simultaneous analyst queries (at most ${this.limits.maxConcurrentQueries}; the embedded engine runs one query at a time, shared with the ingest). Retry when one has finished`,
        429,
      );
    }
    this.running += 1;
    const queryId = request.queryId ?? randomUUID();
    try {
      let formatted: string;
      try {
        formatted = await this.canonicalText(engine, request.sql);
      } catch (error) {
        throw await this.refusalBehindSyntaxError(engine, request, error);
      }
      const ast = parseExplainAst(await this.explainAst(engine, formatted, request.params));
      let checked: CheckedStatement;
      try {
        checked = checkStatement(formatted, ast, await this.loadTableFunctions(engine));
      } catch (error) {
        if (error instanceof GatewayError) {
          this.logger.warn({ message: 'analyst statement refused', user_id: userId, query_id: queryId, reason: error.message, statement: formatted.slice(0, 500) });
        }
        throw error;
      }
      const format = checked.format ?? request.defaultFormat ?? DEFAULT_FORMAT;
      const sql = `${formatted}\nSETTINGS ${this.settingsClause(request.outputSettings)}`;
      let result;
      try {
        result = await engine.queryRaw(sql, request.params, format);
      } catch (error) {
        throw this.translate(error);
      }
      this.logger.log({
        message: 'analyst query',
        user_id: userId,
        query_id: queryId,
        elapsed_ms: Math.round(result.elapsedSeconds * 1000),
        rows_read: result.rowsRead,
        result_bytes: result.body.length,
        statement: formatted.slice(0, 500),
      });
      return {
        body: result.body,
        format,
        queryId,
        timezone: await this.serverTimezone(engine),
        summary: {
          read_rows: String(result.rowsRead),
          read_bytes: String(result.bytesRead),
          written_rows: '0',
          written_bytes: '0',
          result_bytes: String(result.body.length),
          elapsed_ns: String(Math.round(result.elapsedSeconds * 1e9)),
        },
      };
    } finally {
      this.running -= 1;
    }
  }

  /** formatQuery parses with ClickHouse's parser: one statement or an error, comments dropped. */
  private async canonicalText(engine: EmbeddedClickHouse, sql: string): Promise<string> {
    try {
      const rows = await engine.query<{ statement: string }>('SELECT formatQuery({statement:String}) AS statement', { statement: sql });
      return rows[0]!.statement;
    } catch (error) {
      throw this.translate(error);
    }
  }

  /**
   * @clickhouse/client appends `FORMAT <name>` to every query, which SYSTEM, SET, GRANT, DELETE...
   * do not accept: the parse fails before the statement kind is known. Parsed again without that
   * clause, a write is refused with the same clear message as elsewhere; otherwise the syntax
   * error stands.
   */
  private async refusalBehindSyntaxError(engine: EmbeddedClickHouse, request: GatewayRequest, error: unknown): Promise<unknown> {
    const trailingFormat = /\s+FORMAT\s+[A-Za-z0-9_]+\s*$/i;
    if (!(error instanceof GatewayError) || error.code !== 62 || !trailingFormat.test(request.sql)) return error;
    try {
      const formatted = await this.canonicalText(engine, request.sql.replace(trailingFormat, ''));
      const ast = parseExplainAst(await this.explainAst(engine, formatted, request.params));
      checkStatement(formatted, ast, await this.loadTableFunctions(engine));
    } catch (refusal) {
      if (refusal instanceof GatewayError && refusal.codeName === 'READONLY') return refusal;
    }
    return error;
  }

  /** EXPLAIN AST only parses; the parameters are needed because it substitutes them. */
  private async explainAst(engine: EmbeddedClickHouse, formatted: string, params: QueryParams): Promise<string> {
    try {
      return (await engine.queryRaw(`EXPLAIN AST ${formatted}`, params, 'TabSeparatedRaw')).body.toString('utf8');
    } catch (error) {
      throw this.translate(error);
    }
  }

  private loadTableFunctions(engine: EmbeddedClickHouse): Promise<ReadonlySet<string>> {
    this.tableFunctions ??= retryOnFailure(
      engine.query<{ name: string }>('SELECT lower(name) AS name FROM system.table_functions').then((rows) => new Set(rows.map((row) => row.name))),
      () => (this.tableFunctions = undefined),
    );
    return this.tableFunctions;
  }

  private serverTimezone(engine: EmbeddedClickHouse): Promise<string> {
    this.timezone ??= retryOnFailure(
      engine.query<{ timezone: string }>('SELECT timezone() AS timezone').then((rows) => rows[0]!.timezone),
      () => (this.timezone = undefined),
    );
    return this.timezone;
  }

  /**
   * readonly = 1 comes last and forbids any later change, including a SETTINGS clause of the
   * statement; 'throw' overflow modes, so a result is never silently cut.
   */
  private settingsClause(outputSettings: Record<string, string>): string {
    const settings: Array<[string, string | number]> = [
      ...Object.entries(outputSettings),
      ['max_result_rows', this.limits.maxResultRows],
      ['max_result_bytes', this.limits.maxResultBytes],
      ['result_overflow_mode', 'throw'],
      ['max_memory_usage', this.limits.maxMemoryBytes],
      ['max_execution_time', this.limits.maxExecutionSeconds],
      ['timeout_overflow_mode', 'throw'],
      ['readonly', 1],
    ];
    // Output setting values were checked against [A-Za-z0-9_.:+-]; numbers go bare, words quoted.
    return settings.map(([name, value]) => `${name} = ${typeof value === 'number' || /^-?\d+(\.\d+)?$/.test(value) ? value : `'${value}'`}`).join(', ');
  }

  /** Engine errors keep ClickHouse's code and message; the status says whose fault it is. */
  private translate(error: unknown): Error {
    if (!(error instanceof ClickHouseError) || error.clickhouseCode === undefined) return error instanceof Error ? error : new Error(String(error));
    const code = error.clickhouseCode;
    // The library appends "(in: <sql>)" for our logs; analysts get the engine's own message.
    const original = error.cause instanceof Error ? error.cause.message : error.message;
    const match = /^(?:Code: \d+\. )?(?:DB::Exception: )?([\s\S]*?)\.? \(([A-Z0-9_]+)\)(?: \(version [^)]*\))?\.?\s*$/.exec(original.trim());
    const codeName = match?.[2] ?? 'UNKNOWN_EXCEPTION';
    let message = match?.[1] ?? original;
    if (LIMIT_CODES.has(code)) {
      message += `. The analyst gateway limits a query to ${this.limits.maxResultRows} result rows, ${this.limits.maxResultBytes} result bytes, ${this.limits.maxMemoryBytes} bytes of memory and ${this.limits.maxExecutionSeconds} s (ANALYST_MAX_*): aggregate, filter or add LIMIT`;
    }
    const status = NOT_FOUND_CODES.has(code) ? 404 : QUERY_ERROR_CODES.has(code) ? 400 : 500;
    return new GatewayError(code, codeName, message, status);
  }
}
