// The analyst SQL gateway (/clickhouse) against the real service, with @clickhouse/client as the
// peer: results equal the same query run directly on the engine, writes and DDL are refused and
// change nothing, the limits hold for any row width, only this database's tables and the engine's
// catalogue are visible, every refusal is a 4xx, and only analysts and administrators get in.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseLogLevel, createClient, type ClickHouseClient, type ClickHouseError } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoData } from '../../apps/demo/src/seed.js';
import { signAccessToken } from '../../libs/access-token/src/sign.js';
import type { EmbeddedClickHouse } from '../../libs/clickhouse/src/embedded.js';
import { loadConfig } from '../../libs/config/src/config.js';
import { AnalystService } from '../../apps/api/src/analyst/analyst.service.js';
import { GatewayError } from '../../apps/api/src/analyst/protocol.js';
import { createTestDatabase, type TestDatabase } from '../factories/databases.js';
import { startTestRuntime, TEST_JWT_SECRET, type TestRuntime } from '../factories/runtime.js';

const MAX_ROWS = 1000;
const MAX_BYTES = 4 * 1024 * 1024;
const MAX_MEMORY = 256 * 1024 * 1024;
let db: TestDatabase;
let runtime: TestRuntime;
let engine: EmbeddedClickHouse;
let adminToken: string;
let analystToken: string;
let clientToken: string;
const clients: ClickHouseClient[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'stat-analyst-'));

function gateway(token: string | undefined, options: { database?: string; compression?: boolean } = {}): ClickHouseClient {
  const client = createClient({
    url: runtime.url,
    // A path inside `url` is read by the client as the database name; `pathname` is the prefix.
    pathname: '/clickhouse',
    // The refusals are the point of several tests; the client would log each one as an error.
    log: { level: ClickHouseLogLevel.OFF },
    ...(token === undefined ? {} : { access_token: token }),
    ...(options.database ? { database: options.database } : {}),
    ...(options.compression ? { compression: { response: true } } : {}),
  });
  clients.push(client);
  return client;
}

async function userToken(userType: string, username: string): Promise<string> {
  const { rows } = await db.pool.query<{ id: string }>(
    `INSERT INTO users_user (username, email, user_type, created_at) VALUES ($1::text, $1::text || '@analyst.ml', $2, now()) RETURNING id`,
    [username, userType],
  );
  return signAccessToken(Number(rows[0]!.id), TEST_JWT_SECRET, 600);
}

/** Text of a query run directly on the engine, in `format`. */
async function direct(sql: string, format: string, params: Record<string, string> = {}): Promise<string> {
  return (await engine.queryRaw(sql, params, format)).body.toString('utf8');
}

/** The rejection of `promise`, which must reject. */
async function rejection(promise: Promise<unknown>): Promise<ClickHouseError> {
  try {
    await promise;
  } catch (error) {
    return error as ClickHouseError;
  }
  throw new Error('expected the gateway to refuse the statement');
}

async function post(path: string, body: string | undefined, token: string | null = adminToken): Promise<Response> {
  return fetch(runtime.url + path, {
    method: 'POST',
    headers: { ...(token === null ? {} : { Authorization: `Bearer ${token}` }), 'Content-Type': 'application/x-www-form-urlencoded' },
    ...(body === undefined ? {} : { body }),
  });
}

beforeAll(async () => {
  db = await createTestDatabase();
  const seed = await seedDemoData(db.pool, { requests: 400, seed: 17 });
  runtime = await startTestRuntime(db, {
    ANALYST_MAX_RESULT_ROWS: String(MAX_ROWS),
    ANALYST_MAX_EXECUTION_SECONDS: '1',
    ANALYST_MAX_RESULT_BYTES: String(MAX_BYTES),
    ANALYST_MAX_MEMORY_BYTES: String(MAX_MEMORY),
    ANALYST_MAX_CONCURRENT_QUERIES: '1',
    // The rate limit is tested on the service with its own setting (below).
    ANALYST_RATE_LIMIT: '100000',
  });
  engine = runtime.clickhouse as EmbeddedClickHouse;
  adminToken = signAccessToken(seed.adminUserId, TEST_JWT_SECRET, 600);
  analystToken = await userToken('analyst', 'analyst_one');
  clientToken = await userToken('client', 'client_one');
  await runtime.ingest.catchUp(60_000);
});

afterAll(async () => {
  for (const client of clients) await client.close();
  await runtime?.destroy();
  await db?.drop();
  rmSync(scratch, { recursive: true, force: true });
});

const BY_STATUS = 'SELECT status, count() AS requests, sum(final_price) AS revenue FROM depannage_repairrequest FINAL GROUP BY status ORDER BY status';

describe('reads through @clickhouse/client equal the engine', () => {
  it('answers ping() on /clickhouse/ping', async () => {
    const result = await gateway(analystToken).ping();
    expect(result.success).toBe(true);
    const response = await fetch(`${runtime.url}/clickhouse/ping`);
    expect(await response.text()).toBe('Ok.\n');
  });

  it('JSONEachRow', async () => {
    const result = await gateway(analystToken).query({ query: BY_STATUS, format: 'JSONEachRow' });
    const rows = await result.json<Record<string, unknown>>();
    expect(rows.length).toBeGreaterThan(1);
    expect(rows).toEqual(await engine.query(BY_STATUS));
  });

  it('JSON with meta and statistics', async () => {
    const result = await gateway(adminToken).query({ query: BY_STATUS, format: 'JSON' });
    const document = await result.json<Record<string, unknown>>();
    expect(document.data).toEqual(await engine.query(BY_STATUS));
    expect(document.meta).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'revenue' })]));
    expect(document.rows).toBe((document.data as unknown[]).length);
  });

  it('CSV and TabSeparated, as text and as a stream', async () => {
    const csv = await (await gateway(analystToken).query({ query: BY_STATUS, format: 'CSV' })).text();
    expect(csv).toBe(await direct(BY_STATUS, 'CSV'));
    const lines: string[] = [];
    const stream = (await gateway(analystToken).query({ query: BY_STATUS, format: 'TabSeparated' })).stream();
    for await (const rows of stream) for (const row of rows) lines.push(row.text);
    expect(lines.join('\n') + '\n').toBe(await direct(BY_STATUS, 'TabSeparated'));
    expect(lines.length).toBeGreaterThan(1);
  });

  it('binds query_params on the engine, including awkward strings', async () => {
    const sql = 'SELECT count() AS n FROM depannage_repairrequest FINAL WHERE city = {city:String} AND id > {after:UInt64}';
    const [{ city }] = await engine.query<{ city: string }>('SELECT any(city) AS city FROM depannage_repairrequest FINAL');
    const result = await gateway(analystToken).query({ query: sql, format: 'JSONEachRow', query_params: { city, after: 10 } });
    const expected = await engine.query(sql, { city, after: 10 });
    expect(await result.json()).toEqual(expected);
    const awkward = "tab\there, new\nline, quote ' and \\ backslash, Ségou";
    const echoed = await gateway(analystToken).query({ query: 'SELECT {s:String} AS s', format: 'JSONEachRow', query_params: { s: awkward } });
    expect(await echoed.json()).toEqual([{ s: awkward }]);
    const typed = await gateway(analystToken).query({
      query: 'SELECT {xs:Array(String)} AS xs, {missing:Nullable(String)} AS missing, {day:Date} AS day',
      format: 'JSONEachRow',
      query_params: { xs: ['a\tb', 'Kayes'], missing: null, day: '2024-02-29' },
    });
    expect(await typed.json()).toEqual([{ xs: ['a\tb', 'Kayes'], missing: null, day: '2024-02-29' }]);
  });

  it('gzip responses when the client asks for them', async () => {
    const result = await gateway(analystToken, { compression: true }).query({ query: BY_STATUS, format: 'JSONEachRow' });
    expect(result.response_headers['content-encoding']).toBe('gzip');
    expect(await result.json()).toEqual(await engine.query(BY_STATUS));
  });

  it('serves only its database', async () => {
    const ok = await gateway(analystToken, { database: 'depanneteliman' }).query({ query: 'SELECT currentDatabase() AS db', format: 'JSONEachRow' });
    expect(await ok.json()).toEqual([{ db: 'depanneteliman' }]);
    const error = await rejection(gateway(analystToken, { database: 'system' }).query({ query: 'SELECT 1' }));
    expect(error.code).toBe('81');
    expect(error.message).toMatch(/serves only depanneteliman/);
  });

  it('SHOW, DESCRIBE, EXISTS, EXPLAIN, WITH and a commented, parenthesised SELECT', async () => {
    const read = async (query: string) => (await gateway(analystToken).query({ query, format: 'JSONEachRow' })).json<Record<string, unknown>>();
    expect((await read('SHOW TABLES')).map((row) => row.name)).toContain('depannage_repairrequest');
    expect((await read('DESCRIBE TABLE depannage_payment')).map((row) => row.name)).toContain('amount');
    expect(await read('EXISTS TABLE depannage_review')).toEqual([{ result: 1 }]);
    expect((await read('EXPLAIN SELECT count() FROM depannage_review')).length).toBeGreaterThan(0);
    expect(await read('WITH 20 AS x SELECT x + 1 AS y')).toEqual([{ y: 21 }]);
    expect(await read('/* DROP TABLE x; */ -- INSERT\n  (SELECT 2 AS two)')).toEqual([{ two: 2 }]);
  });
});

describe('curl-style requests', () => {
  it('POST /clickhouse/?query=... with FORMAT, and the ClickHouse response headers', async () => {
    const response = await post(`/clickhouse/?query_id=curl-1&query=${encodeURIComponent('SELECT 1 AS one, \'a\' AS a FORMAT JSONEachRow')}`, undefined);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('{"one":1,"a":"a"}\n');
    expect(response.headers.get('x-clickhouse-format')).toBe('JSONEachRow');
    expect(response.headers.get('x-clickhouse-query-id')).toBe('curl-1');
    expect(response.headers.get('x-clickhouse-timezone')).toMatch(/UTC/);
    expect(JSON.parse(response.headers.get('x-clickhouse-summary')!)).toMatchObject({ result_bytes: '18', written_rows: '0' });
  });

  it('the query parameter followed by the body, default_format, bound parameters', async () => {
    const response = await post(`/clickhouse?default_format=CSV&param_n=41&query=${encodeURIComponent('SELECT')}`, " {n:UInt8} + 1, 'x'");
    expect(await response.text()).toBe('42,"x"\n');
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    const tsv = await fetch(`${runtime.url}/clickhouse/?query=${encodeURIComponent('SELECT 1, 2')}`, { headers: { Authorization: `Bearer ${analystToken}` } });
    expect(await tsv.text()).toBe('1\t2\n');
  });
});

describe('refuses writes, DDL and escapes, and nothing changes', () => {
  const counts = async () =>
    engine.query<{ tables: number; requests: number }>(
      `SELECT (SELECT count() FROM system.tables WHERE database = 'depanneteliman') AS tables, (SELECT count() FROM depannage_repairrequest) AS requests`,
    );
  const outfile = join(scratch, 'leak.csv');
  const refused: Array<[string, RegExp]> = [
    ['INSERT INTO depannage_repairrequest (id) VALUES (999999)', /INSERT statements are refused/],
    ['CREATE TABLE stolen (id UInt8) ENGINE = Memory', /CREATE statements are refused/],
    ['DROP TABLE depannage_repairrequest', /DROP statements are refused/],
    ['ALTER TABLE depannage_repairrequest DELETE WHERE 1', /ALTER statements are refused/],
    ['TRUNCATE TABLE depannage_repairrequest', /TRUNCATE statements are refused/],
    ['OPTIMIZE TABLE depannage_repairrequest FINAL', /OPTIMIZE statements are refused/],
    ['SYSTEM STOP MERGES', /SYSTEM statements are refused/],
    ['KILL QUERY WHERE 1', /KILL statements are refused/],
    ['SET readonly = 0', /SET statements are refused/],
    ['GRANT SELECT ON *.* TO somebody', /GRANT statements are refused/],
    ['RENAME TABLE depannage_review TO gone', /RENAME statements are refused/],
    ['DETACH TABLE depannage_review', /DETACH statements are refused/],
    ['ATTACH TABLE depannage_review', /ATTACH statements are refused/],
    ['/* SELECT */ DROP TABLE depannage_payment', /DROP statements are refused/],
    ['-- SELECT 1\nDELETE FROM depannage_payment WHERE 1', /DELETE statements are refused/],
    ['EXPLAIN AST DROP TABLE depannage_payment', /EXPLAIN statements are refused/],
    [`SELECT 1 INTO OUTFILE '${outfile}'`, /INTO OUTFILE is refused/],
    ["SELECT * FROM file('/etc/passwd', 'LineAsString')", /Function file is refused/],
    ["SELECT FILE('/etc/passwd')", /Function FILE is refused/],
    ["SELECT * FROM url('http://127.0.0.1:9/x', CSV, 'a String')", /Function url is refused/],
    ["SELECT * FROM remote('127.0.0.1', system.one)", /Function remote is refused/],
    ["SELECT count() FROM (SELECT * FROM s3('http://127.0.0.1:9/b/k.csv'))", /Function s3 is refused/],
    ["SELECT * FROM executable('id', 'TSV', 'x String')", /Function executable is refused/],
    ['SELECT 1 SETTINGS max_result_rows = 0', /SETTINGS clauses are refused/],
  ];

  for (const [statement, message] of refused) {
    it(`${statement.replace(/\s+/g, ' ').slice(0, 60)}`, async () => {
      const before = await counts();
      const error = await rejection(gateway(analystToken).query({ query: statement, format: 'JSONEachRow' }));
      expect(error.message).toMatch(message);
      expect(error.code).toBe('164');
      expect(await counts()).toEqual(before);
      expect(existsSync(outfile)).toBe(false);
    });
  }

  it('two statements are a syntax error, and the second never runs', async () => {
    const before = await counts();
    const error = await rejection(gateway(analystToken).query({ query: 'SELECT 1; DROP TABLE depannage_repairrequest' }));
    expect(error.code).toBe('62');
    expect(error.message).toMatch(/Multi-statements are not allowed/);
    expect(await counts()).toEqual(before);
  });

  it('client.command and client.insert are refused too', async () => {
    const before = await counts();
    const dropped = await rejection(gateway(adminToken).command({ query: 'DROP TABLE depannage_review' }));
    expect(dropped.message).toMatch(/DROP statements are refused/);
    const inserted = await rejection(gateway(adminToken).insert({ table: 'depannage_review', values: [{ id: 1 }], format: 'JSONEachRow' }));
    expect(inserted.message).toMatch(/INSERT statements are refused|Syntax error/);
    expect(await counts()).toEqual(before);
  });

  it('a curl DROP is a 400 in the ClickHouse error format', async () => {
    const response = await post('/clickhouse/', 'DROP TABLE depannage_repairrequest');
    expect(response.status).toBe(400);
    expect(response.headers.get('x-clickhouse-exception-code')).toBe('164');
    expect(await response.text()).toMatch(/^Code: 164\. DB::Exception: DROP statements are refused: .*\(READONLY\)\n$/);
    expect(await engine.query("SELECT name FROM system.tables WHERE database = 'depanneteliman' AND name = 'depannage_repairrequest'")).toHaveLength(1);
  });

  it('readonly and the limits cannot be changed from the URL', async () => {
    for (const setting of ['readonly', 'max_result_rows', 'max_execution_time', 'max_memory_usage', 'result_overflow_mode']) {
      const error = await rejection(gateway(analystToken).query({ query: 'SELECT 1', clickhouse_settings: { [setting]: 0 } as never }));
      expect(error.message).toMatch(new RegExp(`Setting ${setting} cannot be changed`));
    }
    const response = await post('/clickhouse/?session_id=s1', 'SELECT 1');
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/sessions are not supported/);
  });

  it('a parameter given twice is refused, not silently the last one', async () => {
    for (const url of ['/clickhouse/?query=SELECT%201&query=SELECT%202', '/clickhouse/?param_x=1&param_x=2&query=SELECT%20%7Bx%3AUInt8%7D']) {
      const response = await post(url, '');
      expect(response.status, url).toBe(400);
      expect(await response.text()).toMatch(/URL parameter (query|param_x) is given more than once/);
    }
  });
});

describe('limits', () => {
  it(`a result over ${MAX_ROWS} rows is an error, not a silent cut; ${MAX_ROWS} rows pass`, async () => {
    const error = await rejection(gateway(analystToken).query({ query: `SELECT number FROM numbers(${MAX_ROWS + 1})`, format: 'JSONEachRow' }));
    expect(error.code).toBe('396');
    expect(error.message).toMatch(/add LIMIT/);
    const rows = await (await gateway(analystToken).query({ query: `SELECT number FROM numbers(${MAX_ROWS})`, format: 'JSONEachRow' })).json();
    expect(rows).toHaveLength(MAX_ROWS);
  });

  it('a long query stops at the time limit', async () => {
    const started = performance.now();
    const error = await rejection(
      gateway(analystToken).query({ query: 'SELECT sum(sipHash64(number)) AS h FROM numbers(100000000000)', format: 'JSONEachRow' }),
    );
    expect(['159', '160']).toContain(error.code);
    expect(performance.now() - started).toBeLessThan(2_500);
  });

  it('a query over the memory limit fails', async () => {
    const error = await rejection(gateway(analystToken).query({ query: "SELECT length(arrayStringConcat(arrayMap(x -> repeat('x', 100000), range(5000)))) AS n", format: 'JSONEachRow' }));
    expect(error.code).toBe('241');
  });

  it('one gateway query at a time when ANALYST_MAX_CONCURRENT_QUERIES=1', async () => {
    const slow = gateway(analystToken).query({ query: 'SELECT sleep(0.8) AS slept', format: 'JSONEachRow' }).then((r) => r.json());
    await new Promise((resolve) => setTimeout(resolve, 200));
    const error = await rejection(gateway(analystToken).query({ query: 'SELECT 1' }));
    expect(error.code).toBe('202');
    expect(await slow).toEqual([{ slept: 0 }]);
  });
});


/** A statistics answer's status and time, to show the service keeps answering. */
async function statistics(): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${runtime.url}/depannage/api/statistics/real_time_stats/`, { headers: { Authorization: `Bearer ${adminToken}` } });
  await response.arrayBuffer();
  return { status: response.status, ms: performance.now() - started };
}

/** Runs `work` while sampling the process RSS every 10 ms; the growth over the RSS before. */
async function rssGrowthDuring<T>(work: () => Promise<T>): Promise<{ result: T; growth: number }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, growth: peak - before };
  } finally {
    clearInterval(sampler);
  }
}

const CLICKHOUSE_ERROR = /^Code: (\d+)\. DB::Exception: [\s\S]+\. \(([A-Z_0-9]+)\)\n$/;

describe('limits hold for any row width, and the statistics keep answering', () => {
  // The embedded engine runs in this process: its memory is the API's RSS. The engine's memory
  // tracker caps what it holds, the block it formats included, at ANALYST_MAX_MEMORY_BYTES; the
  // gateway keeps at most ANALYST_MAX_RESULT_BYTES and the one block (64 rows, here 64 MB) that
  // passes it, and its copy as a Buffer: growth < memory limit + 2 blocks. (Before: the whole
  // 200 MB body, 5-11 s in the engine and +0.5-1 GB RSS for this query.)
  const RSS_BOUND = MAX_MEMORY + 2 * 64 * 1024 * 1024;
  it("SELECT repeat('x', 1000000) FROM numbers(200): refused at the byte limit, quickly, RSS bounded", async () => {
    const { result, growth } = await rssGrowthDuring(async () => {
      const started = performance.now();
      const response = await post('/clickhouse/', "SELECT repeat('x', 1000000) FROM numbers(200) FORMAT TSV", analystToken);
      return { status: response.status, text: await response.text(), ms: performance.now() - started };
    });
    expect(result.status).toBe(400);
    expect(result.text).toMatch(CLICKHOUSE_ERROR);
    // The byte limit, or the 1 s time limit of this runtime when the machine is slow to format the
    // first 64 MB block: either way refused, and nothing of the result sent.
    expect(result.text).toMatch(/^Code: (396\. .*max bytes: 4194304|159\. .*Timeout exceeded)/);
    expect(result.ms).toBeLessThan(5_000);
    expect(growth).toBeLessThan(RSS_BOUND);
    expect((await statistics()).status).toBe(200);
  });

  it.each([
    ['computed wide rows', 'SELECT repeat(toString(number % 10), 100000) AS s FROM numbers(1000)'],
    ['many narrow rows in JSON', `SELECT number, repeat('y', 9000) AS s FROM numbers(${MAX_ROWS})`],
  ])('%s over the byte limit: 400 TOO_MANY_ROWS_OR_BYTES, nothing sent', async (_name, sql) => {
    const response = await post('/clickhouse/?default_format=JSONEachRow', sql, analystToken);
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/^Code: 396\./);
  });

  it('a result under the byte limit comes whole, with its length', async () => {
    const response = await post('/clickhouse/', "SELECT repeat('x', 1000) FROM numbers(900) FORMAT TSV", analystToken);
    expect(response.status).toBe(200);
    const body = await response.text();
    expect(body.length).toBe(900 * 1001);
    expect(response.headers.get('content-length')).toBe(String(900 * 1001));
  });

  it('a CPU-heavy query stops at the time limit (1 s ± 1 s) while the statistics answer', async () => {
    const started = performance.now();
    const heavy = post('/clickhouse/', 'SELECT sum(sipHash64(number)) AS h FROM numbers(100000000000)', analystToken);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const during = await statistics();
    const response = await heavy;
    const elapsed = performance.now() - started;
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/^Code: 159\. .*Timeout exceeded/);
    expect(elapsed).toBeGreaterThan(900);
    expect(elapsed).toBeLessThan(2_000 + 500);
    // The analyst query runs on a connection of its own: the statistics do not wait for it.
    expect(during.status).toBe(200);
    expect(during.ms).toBeLessThan(900);
  });
});

describe('only this database and the engine catalogue are visible', () => {
  const denied: string[] = [
    'SELECT * FROM system.disks',
    'SELECT name, data_paths FROM system.tables',
    'SELECT * FROM system.columns',
    'SELECT * FROM system.processes',
    'SHOW PROCESSLIST',
    'SELECT * FROM system.errors',
    'SELECT * FROM system.users',
    'SELECT * FROM system.grants',
    'SELECT * FROM system.settings',
    'SELECT * FROM system.query_log',
    'SELECT * FROM system.parts',
    'SELECT * FROM information_schema.tables',
    'SELECT * FROM INFORMATION_SCHEMA.TABLES',
    'SELECT * FROM default.anything',
    'SHOW DATABASES',
    'SHOW TABLES FROM system',
    'SHOW GRANTS',
    "SHOW SETTINGS LIKE '%path%'",
    'SHOW CREATE TABLE system.disks',
    'DESCRIBE TABLE system.disks',
    'EXISTS TABLE system.users',
    'SHOW COLUMNS FROM disks FROM system',
    'EXPLAIN SELECT * FROM system.disks',
    // bypass attempts: subquery, JOIN, CTE, UNION, IN, table functions, comments, quoting, case
    'SELECT count() FROM (SELECT * FROM system.disks)',
    'SELECT * FROM depannage_payment AS p JOIN system.processes AS q ON 1 = 1',
    'WITH e AS (SELECT * FROM system.errors) SELECT * FROM e',
    'SELECT 1 UNION ALL SELECT count() FROM system.errors',
    'SELECT 1 WHERE 1 IN (SELECT 1 FROM system.processes)',
    'SELECT 1 FROM depannage_payment WHERE id IN system.tables',
    "SELECT * FROM merge(REGEXP('.*'))",
    "SELECT * FROM merge('system', '.*')",
    "SELECT * FROM merge(currentDatabase(), '.*') UNION ALL SELECT * FROM merge('system', 'disks')",
    'SELECT * FROM view(SELECT * FROM system.disks)',
    'SELECT * FROM /* system.one */ system . disks -- x',
    'SELECT * FROM `system`.`disks`',
    'SELECT * FROM "system"."disks"',
    'SELECT * FROM SYSTEM.DISKS',
    'select * from System.Disks',
    "SELECT getServerSetting('path')",
    "SELECT hasColumnInTable('system', 'disks', 'path')",
  ];
  for (const statement of denied) {
    it(`403: ${statement.slice(0, 70)}`, async () => {
      const response = await post('/clickhouse/', statement, analystToken);
      const text = await response.text();
      expect(response.status, text).toBe(403);
      expect(text).toMatch(/^Code: 497\. DB::Exception: .* is not visible through the analyst gateway: .*\(ACCESS_DENIED\)\n$/);
      expect(response.headers.get('x-clickhouse-exception-code')).toBe('497');
    });
  }

  const visible: string[] = [
    'SELECT count() > 0 AS ok FROM system.functions',
    'SELECT count() > 0 AS ok FROM system.data_type_families',
    'SELECT count() > 0 AS ok FROM system.formats',
    'SELECT count() > 0 AS ok FROM system.table_functions',
    'SELECT dummy FROM system.one',
    'SHOW TABLES',
    'SHOW COLUMNS FROM depannage_payment',
    'DESCRIBE TABLE depannage_payment',
    'SHOW CREATE TABLE depannage_payment',
    'EXISTS TABLE depannage_review',
    'SELECT count() FROM depanneteliman.depannage_review',
    "SELECT count() FROM merge('^depannage_review$')",
    'WITH r AS (SELECT id FROM depannage_review) SELECT count() FROM r JOIN depannage_payment AS p ON p.id = r.id',
  ];
  for (const statement of visible) {
    it(`200: ${statement.slice(0, 70)}`, async () => {
      const response = await post('/clickhouse/', statement, analystToken);
      expect(response.status, await response.clone().text()).toBe(200);
    });
  }

  it('SHOW TABLES lists this database only', async () => {
    const tables = await (await gateway(analystToken).query({ query: 'SHOW TABLES', format: 'JSONEachRow' })).json<{ name: string }>();
    const ours = await engine.query<{ name: string }>("SELECT name FROM system.tables WHERE database = 'depanneteliman' ORDER BY name");
    expect(tables.map((row) => row.name).sort()).toEqual(ours.map((row) => row.name).sort());
  });
});

describe('every refusal is a 4xx with a message', () => {
  it.each([
    ['system.users', 'SELECT * FROM system.users', 403],
    ['2000 nested parentheses', `SELECT ${'('.repeat(2000)}1${')'.repeat(2000)}`, 400],
    ['FORMAT Regexp', 'SELECT 1 FORMAT Regexp', 400],
    ['merge(REGEXP)', "SELECT * FROM merge(REGEXP('.*'))", 403],
    ['SHOW USERS (not a read statement)', 'SHOW USERS', 400],
    ['unknown function', 'SELECT noSuchFunction(1)', 404],
    ['type error', "SELECT 1 + 'a'", 400],
  ])('%s', async (_name, statement, status) => {
    const response = await post('/clickhouse/', statement, analystToken);
    const text = await response.text();
    expect(response.status, text).toBe(status);
    expect(text).toMatch(CLICKHOUSE_ERROR);
  });
});

describe('rate limit per user', () => {
  it('ANALYST_RATE_LIMIT queries a minute, then 429 QUOTA_EXCEEDED with the seconds to wait; other users unaffected', async () => {
    const service = new AnalystService(engine, loadConfig({ ANALYST_RATE_LIMIT: '3' }));
    const request = { sql: 'SELECT 1', params: {}, queryId: undefined, defaultFormat: undefined, outputSettings: {}, gzip: false };
    for (let i = 0; i < 3; i++) expect((await service.run(request, 901)).bytes).toBe(2);
    const refused = await rejection(service.run(request, 901));
    expect(refused).toBeInstanceOf(GatewayError);
    expect(refused).toMatchObject({ status: 429, codeName: 'QUOTA_EXCEEDED', retryAfterSeconds: 20 });
    expect((await service.run(request, 902)).bytes).toBe(2);
  });

  it('the HTTP answer of a 429 carries Retry-After', async () => {
    const slow = post('/clickhouse/', 'SELECT sleep(0.5)', analystToken);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const refused = await post('/clickhouse/', 'SELECT 1', analystToken);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await slow).status).toBe(200);
  });
});

describe('who may query', () => {
  it('no token: 401 AUTHENTICATION_FAILED', async () => {
    const error = await rejection(gateway(undefined).query({ query: 'SELECT 1' }));
    expect(error.code).toBe('516');
    const response = await post('/clickhouse/', 'SELECT 1', null);
    expect(response.status).toBe(401);
    expect(await response.text()).toMatch(/^Code: 516\. DB::Exception: Authentication failed/);
  });

  it('a bad or expired token: 401', async () => {
    const expired = signAccessToken(1, TEST_JWT_SECRET, -10);
    for (const token of ['not-a-token', expired, signAccessToken(1, 'another-secret', 600)]) {
      const response = await post('/clickhouse/', 'SELECT 1', token);
      expect(response.status).toBe(401);
    }
  });

  it('a client user: 403 ACCESS_DENIED', async () => {
    const error = await rejection(gateway(clientToken).query({ query: 'SELECT 1' }));
    expect(error.code).toBe('497');
    expect((await post('/clickhouse/', 'SELECT 1', clientToken)).status).toBe(403);
  });

  it('analysts and administrators: 200', async () => {
    for (const token of [analystToken, adminToken]) {
      const response = await post('/clickhouse/?default_format=JSONEachRow', 'SELECT 7 AS seven', token);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('{"seven":7}\n');
    }
  });
});
