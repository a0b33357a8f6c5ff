// The parts of the ClickHouse HTTP interface the analyst gateway speaks: URL parameters, the query
// text split between `?query=` and the body, error bodies `Code: N. DB::Exception: ... (NAME)` that
// @clickhouse/client turns into a ClickHouseError, and content types per output format.
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { QueryParams } from '../../../../libs/clickhouse/src/clickhouse.js';
import { errorMessage } from '../../../../libs/errors/src/error-message.js';

/** ClickHouse error codes the gateway itself raises (names as `errorCodeToName` gives them). */
export const ErrorCode = {
  UNSUPPORTED_METHOD: 1,
  SYNTAX_ERROR: 62,
  UNKNOWN_DATABASE: 81,
  UNKNOWN_SETTING: 115,
  READONLY: 164,
  TOO_MANY_SIMULTANEOUS_QUERIES: 202,
  QUOTA_EXCEEDED: 201,
  EMPTY_QUERY: 211,
  QUERY_IS_TOO_LARGE: 229,
  CANNOT_DECOMPRESS: 271,
  NOT_IMPLEMENTED: 48,
  ACCESS_DENIED: 497,
  AUTHENTICATION_FAILED: 516,
  STD_EXCEPTION: 1001,
} as const;
export type ErrorCodeName = keyof typeof ErrorCode;

/** An error answered in ClickHouse's format; `status` is the HTTP status. */
export class GatewayError extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
    readonly status: number,
    /** For a 429: seconds after which a retry is admitted (the Retry-After header). */
    readonly retryAfterSeconds = 1,
  ) {
    super(message);
    this.name = 'GatewayError';
  }

  static of(codeName: ErrorCodeName, message: string, status: number, retryAfterSeconds?: number): GatewayError {
    return new GatewayError(ErrorCode[codeName], codeName, message, status, retryAfterSeconds);
  }
}

/** The body ClickHouse sends with an error; the client's parser needs the trailing `(NAME)`. */
export function clickHouseErrorBody(code: number, codeName: string, message: string): string {
  return `Code: ${code}. DB::Exception: ${message}. (${codeName})\n`;
}

/** Largest query text accepted (URL query plus body); the parser has its own max_query_size too. */
export const MAX_QUERY_BYTES = 1024 * 1024;

/** Content type the gateway's requests are re-labelled with, so one parser reads every body raw. */
const QUERY_BODY = 'application/x-depanneteliman-query';

/** The Content-Type each gateway request arrived with (the header is re-labelled for parsing). */
const arrivedContentType = new WeakMap<object, string | undefined>();

/**
 * The body of a ClickHouse request is query text whatever its Content-Type (curl -d sends
 * application/x-www-form-urlencoded, the client sends text/plain or gzip): under `prefix` it is
 * read as raw bytes, and checked (size, gzip) by parseGatewayRequest, which answers in ClickHouse's
 * error format. Bodies are capped well above the query limit so that the check can say why.
 */
export function acceptQueryBodies(fastify: FastifyInstance, prefix: string): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    const path = request.url.split('?')[0]!;
    if (path === prefix || path.startsWith(`${prefix}/`)) {
      arrivedContentType.set(request.raw, request.headers['content-type']);
      if (request.headers['content-length'] !== undefined || request.headers['transfer-encoding'] !== undefined) {
        request.headers['content-type'] = QUERY_BODY;
      }
    }
    done();
  });
  fastify.addContentTypeParser(QUERY_BODY, { parseAs: 'buffer', bodyLimit: 16 * MAX_QUERY_BYTES }, (_request, body, done) => done(null, body));
}

/** The query text of a body: gunzipped when so encoded, at most MAX_QUERY_BYTES. */
function bodyText(request: FastifyRequest): string {
  if (!Buffer.isBuffer(request.body)) return '';
  let body: Buffer = request.body;
  const encoding = String(request.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding === 'gzip') {
    try {
      // @clickhouse/client sends gzip bodies with compression.request = true.
      body = gunzipSync(body, { maxOutputLength: MAX_QUERY_BYTES + 1 });
    } catch (error) {
      if (error instanceof RangeError) throw GatewayError.of('QUERY_IS_TOO_LARGE', `Query is larger than ${MAX_QUERY_BYTES} bytes`, 413);
      const reason = errorMessage(error);
      throw GatewayError.of('CANNOT_DECOMPRESS', `Cannot decompress the gzip request body: ${reason}`, 400);
    }
  } else if (encoding !== 'identity') {
    throw GatewayError.of('CANNOT_DECOMPRESS', `Unsupported Content-Encoding ${encoding}: only gzip is accepted`, 400);
  }
  if (body.length > MAX_QUERY_BYTES) throw GatewayError.of('QUERY_IS_TOO_LARGE', `Query is larger than ${MAX_QUERY_BYTES} bytes`, 413);
  return body.toString('utf8');
}

export function sendError(response: FastifyReply, error: { status: number; code: number; codeName: string; message: string }): void {
  void response
    .code(error.status)
    .header('X-ClickHouse-Exception-Code', String(error.code))
    .type('text/plain; charset=UTF-8')
    .send(clickHouseErrorBody(error.code, error.codeName, error.message));
}

/** What a request asks for, once its URL parameters are checked. */
export interface GatewayRequest {
  sql: string;
  params: QueryParams;
  queryId: string | undefined;
  defaultFormat: string | undefined;
  /** Output settings the caller may choose (output_format_*, ...), passed to the engine. */
  outputSettings: Record<string, string>;
  /** enable_http_compression=1 and the client accepts gzip. */
  gzip: boolean;
}

/** HTTP-level settings that change nothing the engine does here; accepted and ignored. */
const IGNORED_SETTINGS = new Set([
  'wait_end_of_query',
  'http_wait_end_of_query',
  'send_progress_in_http_headers',
  'http_headers_progress_interval_ms',
  'cancel_http_readonly_queries_on_client_close',
  'http_response_buffer_size',
  'date_time_input_format',
  'input_format_skip_unknown_fields',
]);

/** Output-only settings: how results are printed. `*schema*` ones name files, so they are refused. */
const OUTPUT_SETTING = /^(output_format_[a-z0-9_]+|date_time_output_format|format_csv_delimiter|format_csv_null_representation|format_tsv_null_representation|format_custom_[a-z_]+)$/;
const SAFE_SETTING_VALUE = /^[A-Za-z0-9_.:+\-]{0,100}$/;

/** Sessions and credentials in the URL would bypass the Bearer token and the fixed settings. */
const REFUSED_PARAMETERS = new Map<string, string>([
  ['session_id', 'sessions are not supported: every request runs on its own with the read-only settings'],
  ['session_timeout', 'sessions are not supported'],
  ['session_check', 'sessions are not supported'],
  ['role', 'roles do not apply: the Bearer token decides who may query'],
  ['user', 'authenticate with the Bearer token (Authorization header or the client access_token option)'],
  ['password', 'authenticate with the Bearer token (Authorization header or the client access_token option)'],
  ['quota_key', 'quotas are not supported'],
]);

const ESCAPES: Record<string, string> = { '0': '\0', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/**
 * ClickHouse reads a `param_<name>` value as TSV-escaped text (@clickhouse/client escapes tabs,
 * quotes, backslashes...); chdb escapes the string it is given once more. Decoding the escapes here
 * makes the engine see the value the client sent. `\N` alone is NULL. Limit: inside an
 * Array/Map/Tuple value a quote cannot be carried this way (chdb doubles every backslash).
 */
export function unescapeParameter(value: string): string | null {
  if (value === '\\N') return null;
  return value.replace(/\\(x[0-9A-Fa-f]{2}|[\s\S])/g, (_, escaped: string) =>
    escaped.length === 3 ? String.fromCharCode(parseInt(escaped.slice(1), 16)) : (ESCAPES[escaped] ?? escaped),
  );
}

const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const FORMAT_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

export function parseGatewayRequest(request: FastifyRequest, database: string): GatewayRequest {
  const url = new URL(request.url, 'http://gateway.invalid');
  const contentType = arrivedContentType.get(request.raw) ?? '';
  if (contentType.toLowerCase().startsWith('multipart/form-data')) {
    // @clickhouse/client only sends multipart with use_multipart_params; its default is the URL.
    throw GatewayError.of('UNSUPPORTED_METHOD', 'multipart/form-data requests are not supported: send query parameters as param_<name> in the URL', 400);
  }
  const params: QueryParams = {};
  const outputSettings: Record<string, string> = {};
  let queryParameter = '';
  let queryId: string | undefined;
  let defaultFormat: string | undefined;
  let compression = false;
  const seen = new Set<string>();
  for (const [name, value] of url.searchParams) {
    // Which of two values would win is a guess (`?query=A&query=B` ran B): refused instead.
    if (seen.has(name)) throw GatewayError.of('SYNTAX_ERROR', `URL parameter ${name} is given more than once`, 400);
    seen.add(name);
    if (name === 'query') queryParameter = value;
    else if (name.startsWith('param_')) {
      const parameter = name.slice('param_'.length);
      if (!PARAMETER_NAME.test(parameter)) throw GatewayError.of('SYNTAX_ERROR', `Invalid query parameter name ${JSON.stringify(parameter)}`, 400);
      params[parameter] = unescapeParameter(value);
    } else if (name === 'database') {
      if (value !== database && value !== '') {
        throw GatewayError.of('UNKNOWN_DATABASE', `Database ${value} is not served here: the analyst gateway serves only ${database}`, 404);
      }
    } else if (name === 'query_id') {
      if (!/^[\x21-\x7e]{1,128}$/.test(value)) throw GatewayError.of('SYNTAX_ERROR', 'query_id must be 1 to 128 printable ASCII characters', 400);
      queryId = value;
    } else if (name === 'default_format') {
      if (!FORMAT_NAME.test(value)) throw GatewayError.of('SYNTAX_ERROR', `Invalid default_format ${JSON.stringify(value)}`, 400);
      defaultFormat = value;
    } else if (name === 'enable_http_compression') {
      compression = value === '1' || value === 'true';
    } else if (name === 'compress' || name === 'decompress') {
      if (value !== '0') throw GatewayError.of('UNSUPPORTED_METHOD', `${name}=1 (ClickHouse native compression) is not supported; use enable_http_compression=1 for gzip`, 400);
    } else if (REFUSED_PARAMETERS.has(name)) {
      throw GatewayError.of('UNKNOWN_SETTING', `URL parameter ${name} is refused: ${REFUSED_PARAMETERS.get(name)!}`, 400);
    } else if (IGNORED_SETTINGS.has(name)) {
      continue;
    } else if (OUTPUT_SETTING.test(name) && !name.includes('schema')) {
      if (!SAFE_SETTING_VALUE.test(value)) throw GatewayError.of('SYNTAX_ERROR', `Invalid value for setting ${name}`, 400);
      outputSettings[name] = value;
    } else {
      // Everything else is a setting in ClickHouse's HTTP interface; readonly and the limits are
      // the gateway's, and an unknown one silently ignored would make results lie.
      throw GatewayError.of(
        'READONLY',
        `Setting ${name} cannot be changed through the analyst gateway: readonly and the limits are fixed; only output_format_* and a few HTTP settings are accepted`,
        400,
      );
    }
  }
  const body = bodyText(request);
  // ClickHouse reads the query as the `query` parameter followed by the body.
  const sql = [queryParameter, body].filter((part) => part.trim().length > 0).join('\n');
  if (Buffer.byteLength(sql) > MAX_QUERY_BYTES) throw GatewayError.of('QUERY_IS_TOO_LARGE', `Query is larger than ${MAX_QUERY_BYTES} bytes`, 413);
  if (sql.trim().length === 0) throw GatewayError.of('EMPTY_QUERY', 'Empty query', 400);
  const acceptsGzip = /\bgzip\b/i.test(String(request.headers['accept-encoding'] ?? ''));
  return { sql, params, queryId, defaultFormat, outputSettings, gzip: compression && acceptsGzip };
}

/** Content-Type per output format, as ClickHouse sends it (text/plain for the rest). */
export function contentTypeOf(format: string): string {
  const name = format.toLowerCase();
  if (/^(jsoneachrow|jsonlines|ndjson|jsoncompacteachrow|jsonstringseachrow|jsoncompactstringseachrow)/.test(name)) {
    return 'application/x-ndjson; charset=UTF-8';
  }
  if (name.startsWith('json')) return 'application/json; charset=UTF-8';
  if (name.startsWith('csv')) return `text/csv; charset=UTF-8; header=${name.includes('withnames') ? 'present' : 'absent'}`;
  if (name.startsWith('tabseparated') || name.startsWith('tsv')) return 'text/tab-separated-values; charset=UTF-8';
  if (name === 'xml') return 'application/xml; charset=UTF-8';
  if (/^(native|rowbinary|parquet|arrow|orc|avro|msgpack|bsoneachrow|npy)/.test(name)) return 'application/octet-stream';
  return 'text/plain; charset=UTF-8';
}
