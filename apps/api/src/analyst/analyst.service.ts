// Runs analysts' SQL on the embedded engine: parse with ClickHouse (formatQuery, EXPLAIN AST), check
// the statement (statement-policy.ts), then stream the canonical text's output on a connection of
// its own, with readonly = 1 and the limits appended as its SETTINGS clause, counting the bytes:
// past ANALYST_MAX_RESULT_BYTES the stream is cut and the query refused, so the API never holds
// more than the limit plus one block. Per-query SETTINGS, because a SET would outlive the query.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClickHouseError, type ClickHouse, type QueryParams } from '../../../../libs/clickhouse/src/clickhouse.js';
import { AdmittedClickHouse } from '../../../../libs/clickhouse/src/admission.js';
import { EmbeddedClickHouse } from '../../../../libs/clickhouse/src/embedded.js';
import type { AnalystLimits, AppConfig } from '../../../../libs/config/src/config.js';
import { APP_CONFIG, CLICKHOUSE } from '../tokens.js';
import { GatewayError, type GatewayRequest } from './protocol.js';
import { checkStatement, parseExplainAst, type AstNode, type CheckedStatement } from './statement-policy.js';

/** The canonical text without its top-level FORMAT line: the stream is given the format. */
function withoutFormatClause(formatted: string): string {
  return formatted.replace(/^FORMAT\s+`?[A-Za-z0-9_]+`?\s*$/gm, '').trimEnd();
}

export interface GatewayResult {
  /** The output as the engine wrote it, block by block (never concatenated: no second copy). */
  body: Buffer[];
  bytes: number;
  format: string;
  queryId: string;
  timezone: string;
  /** X-ClickHouse-Summary: ClickHouse sends every counter as a string. */
  summary: Record<string, string>;
}

/**
 * Engine errors that are faults of ours or of the engine (a 500): everything else the engine says
 * about an analyst's statement is caused by the statement (a 4xx), as a ClickHouse server answers.
 */
const ENGINE_FAULT_CODES = new Set([
  49, // LOGICAL_ERROR
  173, // CANNOT_ALLOCATE_MEMORY
  236, // ABORTED
  1000, // POCO_EXCEPTION
  1001, // STD_EXCEPTION
  1002, // UNKNOWN_EXCEPTION
]);
const NOT_FOUND_CODES = new Set([16, 46, 47, 60, 81]);
const LIMIT_CODES = new Set([158, 159, 160, 241, 307, 396]);
const TIMEOUT_EXCEEDED = 159;
const TOO_MANY_ROWS_OR_BYTES = 396;
/**
 * Rows per block for analyst queries: the engine formats a result a block at a time, and a block
 * of wide rows (`repeat('x', 1e6)`) is as large as its rows; max_result_bytes does not see a
 * constant column's width. 64 rows keep a block of 1 MB rows at 64 MB and let the gateway stop
 * the stream within one block of the limit, at the price of slower scans (a few times, measured
 * in clickhouse/README.md) — analysts trade speed for never stalling the service.
 */
export const ANALYST_BLOCK_ROWS = 64;
/** Grace after max_execution_time before the gateway itself gives up on a block still formatting. */
const DEADLINE_GRACE_MS = 500;

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
  /** Per user: tokens left and when they were counted (a bucket of ratePerMinute, refilled evenly). */
  private readonly buckets = new Map<number, { tokens: number; at: number }>();

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
    // Behind the admission queue: the gateway's queries run on a connection of their own (streamRaw)
    // and its few parse queries are short, so it talks to the engine itself.
    const engine = this.clickhouse instanceof AdmittedClickHouse ? this.clickhouse.inner : this.clickhouse;
    if (engine instanceof EmbeddedClickHouse) return engine;
    throw GatewayError.of(
      'NOT_IMPLEMENTED',
      'This deployment uses a ClickHouse server: connect to it directly as a user with the analyst_readonly role (see clickhouse/README.md)',
      404,
    );
  }

  async run(request: GatewayRequest, userId: number): Promise<GatewayResult> {
    const engine = this.engine();
    this.takeToken(userId);
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
      const checked: CheckedStatement = checkStatement(formatted, ast, await this.loadTableFunctions(engine), engine.database);
      const format = checked.format ?? request.defaultFormat ?? DEFAULT_FORMAT;
      const started = performance.now();
      const { chunks, bytes } = await this.output(engine, formatted, ast, request, format);
      const elapsedMs = performance.now() - started;
      this.logger.log({
        message: 'analyst query',
        user_id: userId,
        query_id: queryId,
        elapsed_ms: Math.round(elapsedMs),
        result_bytes: bytes,
        statement: formatted.slice(0, 500),
      });
      return {
        body: chunks,
        bytes,
        format,
        queryId,
        timezone: await this.serverTimezone(engine),
        summary: {
          // A stream reports no read counters; ClickHouse's names, with what is known.
          written_rows: '0',
          written_bytes: '0',
          result_bytes: String(bytes),
          elapsed_ns: String(Math.round(elapsedMs * 1e6)),
        },
      };
    } catch (error) {
      if (error instanceof GatewayError && error.status < 500) {
        // The analyst's statement, not our fault: a warning with who and which query.
        this.logger.warn({ message: 'analyst query refused', user_id: userId, query_id: queryId, code: error.codeName, reason: error.message.slice(0, 500) });
      }
      throw error;
    } finally {
      this.running -= 1;
    }
  }

  /**
   * ANALYST_RATE_LIMIT per user and minute, as a token bucket: a burst of up to the limit, then one
   * query every 60/limit seconds. Refused queries cost nothing more than this check.
   */
  private takeToken(userId: number): void {
    const capacity = this.limits.ratePerMinute;
    const perMs = capacity / 60_000;
    const now = Date.now();
    const bucket = this.buckets.get(userId) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + (now - bucket.at) * perMs);
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.buckets.set(userId, bucket);
      const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
      this.logger.warn({ message: 'analyst rate limit', user_id: userId, retry_after_s: retryAfterSeconds });
      throw GatewayError.of('QUOTA_EXCEEDED', `Too many queries: at most ${capacity} a minute per user (ANALYST_RATE_LIMIT). Retry in ${retryAfterSeconds} s`, 429, retryAfterSeconds);
    }
    bucket.tokens -= 1;
    this.buckets.set(userId, bucket);
    // Full buckets are the default state: forget them so the map holds only recent users.
    if (this.buckets.size > 10_000) for (const [id, held] of this.buckets) if (held.tokens + (now - held.at) * perMs >= capacity) this.buckets.delete(id);
  }

  /**
   * The statement's output, streamed and counted. A SELECT's bound parameters are substituted by
   * ClickHouse first (EXPLAIN SYNTAX prints the statement with them as typed literals), since a
   * stream takes none; the other statements (SHOW, DESCRIBE, EXISTS, EXPLAIN), which the engine
   * cannot stream, answer a few catalogue rows and run on the shared session.
   */
  private async output(engine: EmbeddedClickHouse, formatted: string, ast: AstNode, request: GatewayRequest, format: string): Promise<{ chunks: Buffer[]; bytes: number }> {
    const settings = `SETTINGS ${this.settingsClause(request.outputSettings)}`;
    const hasParams = Object.keys(request.params).length > 0;
    // The engine streams SELECTs only; SHOW, DESCRIBE, EXISTS and EXPLAIN answer catalogue rows.
    if (ast.type !== 'SelectWithUnionQuery') {
      let result;
      try {
        result = await engine.queryRaw(`${formatted}\n${settings}`, request.params, format);
      } catch (error) {
        throw this.translate(error);
      }
      if (result.body.length > this.limits.maxResultBytes) throw this.tooManyBytes(result.body.length);
      return { chunks: [result.body], bytes: result.body.length };
    }
    const statement = hasParams ? await this.substituted(engine, formatted, request.params) : withoutFormatClause(formatted);
    const chunks: Buffer[] = [];
    let bytes = 0;
    const stream = engine.streamRaw(`${statement}\n${settings}`, format);
    const deadline = performance.now() + this.limits.maxExecutionSeconds * 1000 + DEADLINE_GRACE_MS;
    try {
      for (;;) {
        const next = await this.beforeDeadline(stream.next(), deadline);
        if (next.done) break;
        bytes += next.value.length;
        // Never keep (or send) more than the limit: the block that passes it is dropped, the rest
        // of the stream cancelled.
        if (bytes > this.limits.maxResultBytes) throw this.tooManyBytes(bytes);
        chunks.push(next.value);
      }
    } catch (error) {
      // Cancels the engine's stream (after a block still being fetched) and closes its connection.
      void stream.return(undefined).catch((closing: unknown) => this.logger.error({ message: 'analyst stream did not close', error: String(closing) }));
      throw error instanceof GatewayError ? error : this.translate(error);
    }
    return { chunks, bytes };
  }

  private beforeDeadline<T>(next: Promise<T>, deadline: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(this.limitError(TIMEOUT_EXCEEDED, 'TIMEOUT_EXCEEDED', `Timeout exceeded: maximum ${this.limits.maxExecutionSeconds} s`)),
        Math.max(0, deadline - performance.now()),
      );
    });
    return Promise.race([next, expired]).finally(() => clearTimeout(timer));
  }

  private tooManyBytes(bytes: number): GatewayError {
    return this.limitError(
      TOO_MANY_ROWS_OR_BYTES,
      'TOO_MANY_ROWS_OR_BYTES',
      `Limit for result exceeded, max bytes: ${this.limits.maxResultBytes}, current bytes: at least ${bytes}`,
    );
  }

  private limitError(code: number, codeName: string, message: string): GatewayError {
    return new GatewayError(code, codeName, `${message}${this.limitAdvice()}`, 400);
  }

  private limitAdvice(): string {
    return `. The analyst gateway limits a query to ${this.limits.maxResultRows} result rows, ${this.limits.maxResultBytes} result bytes, ${this.limits.maxMemoryBytes} bytes of memory and ${this.limits.maxExecutionSeconds} s (ANALYST_MAX_*): aggregate, filter or add LIMIT`;
  }

  /** The SELECT with its parameters replaced by ClickHouse's own literals (no FORMAT clause). */
  private async substituted(engine: EmbeddedClickHouse, formatted: string, params: QueryParams): Promise<string> {
    try {
      return (await engine.queryRaw(`EXPLAIN SYNTAX ${withoutFormatClause(formatted)}`, params, 'TabSeparatedRaw')).body.toString('utf8');
    } catch (error) {
      throw this.translate(error);
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
      checkStatement(formatted, ast, await this.loadTableFunctions(engine), engine.database);
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
      ['max_block_size', ANALYST_BLOCK_ROWS],
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
    if (error instanceof GatewayError) return error;
    if (!(error instanceof ClickHouseError) || error.clickhouseCode === undefined) return error instanceof Error ? error : new Error(String(error));
    const code = error.clickhouseCode;
    // The library appends "(in: <sql>)" for our logs; analysts get the engine's own message.
    const original = error.cause instanceof Error ? error.cause.message : error.message;
    const match = /^(?:Code: \d+\. )?(?:DB::Exception: )?([\s\S]*?)\.? \(([A-Z0-9_]+)\)(?: \(version [^)]*\))?\.?\s*$/.exec(original.trim());
    const codeName = match?.[2] ?? 'UNKNOWN_EXCEPTION';
    let message = match?.[1] ?? original;
    if (LIMIT_CODES.has(code)) message += this.limitAdvice();
    const status = ENGINE_FAULT_CODES.has(code) ? 500 : code === 497 ? 403 : NOT_FOUND_CODES.has(code) ? 404 : 400;
    return new GatewayError(code, codeName, message, status);
  }
}
