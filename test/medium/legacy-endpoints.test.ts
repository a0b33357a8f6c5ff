// The legacy endpoints of the existing admin app (shared/contract/legacy-endpoints.md), served
// from ClickHouse after CDC, against the legacy oracle (plain SQL on the operational Postgres):
// project_statistics byte for byte (so key order too), the Excel workbook read back cell by cell,
// the PDF read back with poppler (pdfinfo, pdftotext), headers, auth, 405, CORS, 503 before the
// snapshot. Real Postgres, embedded ClickHouse, Chromium.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ExcelJS from 'exceljs';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAccessToken } from '../../libs/access-token/src/sign.js';
import { seedDemoData } from '../../apps/demo/src/seed.js';
import type { ProjectStatistics } from '../../libs/metrics/src/legacy-types.js';
import { createTestDatabase, type TestDatabase } from '../factories/databases.js';
import { startTestRuntime, TEST_JWT_SECRET, type TestRuntime } from '../factories/runtime.js';
import { runRandomWorkload } from '../factories/workload.js';
import { legacyExportOnPostgres, projectStatisticsOnPostgres, type ExpectedExport } from '../oracle/project-statistics-oracle.js';

const run = promisify(execFile);

const JSON_PATH = '/depannage/api/repair-requests/project_statistics/';
const XLSX_PATH = '/depannage/api/export_statistics_excel/';
const PDF_PATH = '/depannage/api/export_statistics_pdf/';
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

let db: TestDatabase;
let runtime: TestRuntime;
let adminToken: string;
let workDir: string;
/** Statuses project_statistics answered while the snapshot ran, then the first 200. */
const startupStatuses: number[] = [];
let startupBody: unknown = null;

interface RawResponse {
  status: number;
  /** Header names lower-cased, values exactly as sent. */
  headers: Map<string, string>;
  body: Buffer;
}

/** A request with node:http, so header values are seen exactly as they were sent. */
function send(path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(runtime.url + path, { method: options.method ?? 'GET', headers: options.headers ?? {} }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const headers = new Map<string, string>();
        for (let i = 0; i < response.rawHeaders.length; i += 2) headers.set(response.rawHeaders[i]!.toLowerCase(), response.rawHeaders[i + 1]!);
        resolve({ status: response.statusCode!, headers, body: Buffer.concat(chunks) });
      });
    });
    request.on('error', reject);
    request.end();
  });
}

const bearer = (token: string | null): Record<string, string> => (token === null ? {} : { Authorization: `Bearer ${token}` });
const get = (path: string, token: string | null = adminToken): Promise<RawResponse> => send(path, { headers: bearer(token) });
const json = (response: RawResponse): any => JSON.parse(response.body.toString('utf8'));

async function userId(where: string): Promise<number> {
  const { rows } = await db.pool.query<{ id: string }>(`SELECT id FROM users_user WHERE ${where} ORDER BY id LIMIT 1`);
  if (!rows[0]) throw new Error(`no user where ${where}`);
  return Number(rows[0].id);
}

/**
 * Served figures depend on the instant they were computed (rolling windows, today's date), which
 * the endpoints do not return: the oracle runs at an instant just before and just after, and the
 * served figures must equal both when they agree (a change of window between them is retried).
 */
async function bracketed<T>(serve: () => Promise<T>, oracle: (now: Date) => Promise<unknown>): Promise<{ served: T; expected: any; before: Date; after: Date }> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = new Date();
    const served = await serve();
    const after = new Date();
    const [early, late] = await Promise.all([oracle(before), oracle(after)]);
    if (JSON.stringify(early) === JSON.stringify(late)) return { served, expected: early, before, after };
  }
  throw new Error('the figures kept changing between the instants around the request');
}

/** Python's len(): code points. */
const length = (text: string): number => [...text].length;

/**
 * More specialties than one page holds (the PDF must continue on the next page), a city with
 * markup among the top 10 (it must print as text), and a verified technician of an unknown
 * specialty with completed jobs paid twice (counted once, label raw).
 */
async function insertLegacyCases(): Promise<void> {
  const { rows } = await db.pool.query<{ client: string }>('SELECT id AS client FROM depannage_client ORDER BY id LIMIT 1');
  const { client } = rows[0]!;
  await db.pool.query(
    `INSERT INTO depannage_repairrequest (title, specialty_needed, address, city, client_id, status, created_at)
     SELECT 'rare', 'spécialité rare ' || lpad(i::text, 2, '0'), 'a', 'Kita', $1, 'pending', now() - make_interval(days => i)
     FROM generate_series(1, 45) AS i`,
    [client],
  );
  await db.pool.query(
    `INSERT INTO depannage_repairrequest (title, specialty_needed, address, city, client_id, status, created_at)
     SELECT 'markup', 'plumber', 'a', '<b>Kati & "Co"</b>', $1, 'pending', now() - make_interval(hours => i)
     FROM generate_series(1, 400) AS i`,
    [client],
  );
  const technicianUser = await db.pool.query<{ id: string }>(
    `INSERT INTO users_user (username, email, user_type, first_name, last_name) VALUES ('legacy_tech', 'lt@x.ml', 'technician', '', '') RETURNING id`,
  );
  const unknownTechnician = await db.pool.query<{ id: string }>(
    `INSERT INTO depannage_technician (user_id, specialty, is_verified, is_available) VALUES ($1, 'soudure', true, true) RETURNING id`,
    [technicianUser.rows[0]!.id],
  );
  const jobs = await db.pool.query<{ id: string }>(
    `INSERT INTO depannage_repairrequest (title, specialty_needed, address, city, client_id, technician_id, status, created_at, final_price)
     SELECT 'job', 'soudure', 'a', 'Bamako', $1, $2, 'completed', now() - make_interval(days => i), 12345.67
     FROM generate_series(1, 200) AS i RETURNING id`,
    [client, unknownTechnician.rows[0]!.id],
  );
  for (const job of jobs.rows.slice(0, 20)) {
    for (const type of ['client_payment', 'technician_payout']) {
      await db.pool.query(
        `INSERT INTO depannage_payment (amount, method, payment_type, status, payer_id, recipient_id, request_id)
         VALUES (1000.05, 'espece', $1, 'completed', $2, $2, $3)`,
        [type, technicianUser.rows[0]!.id, job.id],
      );
    }
  }
}

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'legacy-endpoints-'));
  db = await createTestDatabase();
  await seedDemoData(db.pool, { requests: 3000, seed: 23 });
  adminToken = signAccessToken(await userId("user_type = 'admin' AND is_active"), TEST_JWT_SECRET, 600);
  runtime = await startTestRuntime(db, {}, { awaitReady: false });
  // While the snapshot runs: 503, never a partial number.
  const deadline = Date.now() + 100_000;
  while (startupBody === null) {
    if (Date.now() > deadline) throw new Error(`no 200 within 100 s; statuses ${startupStatuses.join(', ')}`);
    const response = await get(JSON_PATH);
    startupStatuses.push(response.status);
    if (response.status === 200) startupBody = json(response);
  }
  await runtime.ready;
  // Changes after the snapshot reach ClickHouse through the stream.
  await runRandomWorkload(db.pool, { steps: 600, seed: 8 });
  await insertLegacyCases();
  await runtime.ingest.catchUp(60_000);
});

afterAll(async () => {
  await runtime?.destroy();
  await db?.drop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('project_statistics', () => {
  it('answers 503 until the snapshot is in ClickHouse', () => {
    expect(startupStatuses[0]).toBe(503);
    expect(new Set(startupStatuses.slice(0, -1))).toEqual(new Set([503]));
    expect(startupStatuses.at(-1)).toBe(200);
  });

  it('equals the oracle byte for byte (values and key order) after inserts, updates and deletes', async () => {
    const { served, expected } = await bracketed(() => get(JSON_PATH), (now) => projectStatisticsOnPostgres(db.pool, now));
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toMatch(/^application\/json/);
    const body = json(served) as ProjectStatistics;
    expect(body).toEqual(expected);
    expect(served.body.toString('utf8')).toBe(JSON.stringify(expected));
    // The data exercises the rules (not only zeros).
    expect(body.requests.total).toBeGreaterThan(3000);
    expect(body.specialties.top_technicians.length).toBe(10);
    expect(body.specialties.stats.some((row) => row.avg_price === null)).toBe(true);
    expect(body.specialties.stats.some((row) => row.specialty_needed === 'plomberie')).toBe(true);
    expect(body.geography.top_cities.map((row) => row.city)).toContain('<b>Kati & "Co"</b>');
    expect(body.requests.daily_evolution).toHaveLength(7);
    expect(body.security.security_alerts).toBeGreaterThan(0);
    const soudure = body.specialties.top_technicians.find((row) => row.specialty === 'soudure');
    expect(soudure).toMatchObject({ name: 'legacy_tech', total_jobs: 200, total_earnings: 2469134 });
  });

  it('ignores query parameters', async () => {
    const plain = json(await get(JSON_PATH));
    const withParameters = await get(`${JSON_PATH}?period=24h&city=Kayes&unknown=1`);
    expect(withParameters.status).toBe(200);
    expect(json(withParameters).requests.total).toBe(plain.requests.total);
    expect(json(withParameters).geography).toEqual(plain.geography);
  });

  it('stays exact after more changes (nothing is cached)', async () => {
    await runRandomWorkload(db.pool, { steps: 200, seed: 77 });
    await db.pool.query(`DELETE FROM depannage_payment WHERE id IN (SELECT id FROM depannage_payment ORDER BY id DESC LIMIT 15)`);
    await db.pool.query(`UPDATE depannage_review SET moderation_status = 'rejected' WHERE id % 3 = 0`);
    await runtime.ingest.catchUp(60_000);
    const { served, expected } = await bracketed(() => get(JSON_PATH), (now) => projectStatisticsOnPostgres(db.pool, now));
    expect(served.body.toString('utf8')).toBe(JSON.stringify(expected));
  });
});

/** statistiques_depanneteliman_YYYYMMDD_HHMMSS.<ext> for an instant between `before` and `after` (UTC). */
function expectFileName(disposition: string | undefined, extension: string, before: Date, after: Date): Date {
  const match = /^attachment; filename=statistiques_depanneteliman_(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})\.(\w+)$/.exec(disposition ?? '');
  expect(match, `Content-Disposition: ${disposition}`).not.toBeNull();
  const [, year, month, day, hour, minute, second, ext] = match!;
  expect(ext).toBe(extension);
  const at = new Date(`${year}-${month}-${day}T${hour}:${minute}:${second}Z`);
  expect(at.getTime()).toBeGreaterThanOrEqual(Math.floor(before.getTime() / 1000) * 1000);
  expect(at.getTime()).toBeLessThanOrEqual(after.getTime());
  return at;
}

describe('export_statistics_excel', () => {
  let response: RawResponse;
  let expected: ExpectedExport;
  let before: Date;
  let after: Date;

  beforeAll(async () => {
    ({ served: response, expected, before, after } = await bracketed(() => get(XLSX_PATH), (now) => legacyExportOnPostgres(db.pool, now)));
  });

  it('is an attachment named after its UTC generation time, with the spreadsheet content type', () => {
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(XLSX_TYPE);
    expectFileName(response.headers.get('content-disposition'), 'xlsx', before, after);
    expect(response.body.subarray(0, 2).toString('latin1')).toBe('PK');
  });

  it('holds one sheet "Statistiques" with the contract rows, numbers numeric, and the widths', async () => {
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(response.body as unknown as ArrayBuffer);
    expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual(['Statistiques']);
    const sheet = workbook.worksheets[0]!;
    // Expected layout: title, header (lists), label | value rows, one blank row per section.
    const rows: Array<Array<string | number>> = [];
    for (const section of expected.sections) {
      rows.push([section.title]);
      if (section.header) rows.push(section.header);
      for (const line of section.lines) rows.push([line.label, line.value]);
      rows.push([]);
    }
    const actual: Array<Array<string | number>> = [];
    for (let n = 1; n <= rows.length; n++) {
      const row = sheet.getRow(n);
      const cells: Array<string | number> = [];
      for (let column = 1; column <= 2; column++) {
        const value = row.getCell(column).value;
        if (value === null || value === undefined) continue;
        expect(['string', 'number']).toContain(typeof value);
        cells.push(value as string | number);
      }
      actual.push(cells);
    }
    expect(actual).toEqual(rows);
    expect(sheet.actualRowCount).toBe(rows.filter((row) => row.length > 0).length);
    expect(sheet.actualColumnCount).toBe(2);
    // Every value cell holds a number (counts, money, the 2-decimal mean rating).
    for (const [n, row] of rows.entries()) {
      if (row.length === 2 && typeof row[1] === 'number') expect(sheet.getRow(n + 1).getCell(2).type).toBe(ExcelJS.ValueType.Number);
    }
    // The JSON's figures, the same numbers.
    const s = expected.statistics;
    const valueOf = (label: string): unknown => rows.find((row) => row[0] === label)?.[1];
    expect(valueOf('Total utilisateurs')).toBe(s.overview.total_users);
    expect(valueOf('Utilisateurs actifs (30j)')).toBe(s.overview.active_users_30d);
    expect(valueOf('Revenus totaux (XOF)')).toBe(s.financial.total_revenue);
    expect(valueOf('Frais plateforme (XOF)')).toBe(s.financial.platform_fees);
    expect(valueOf("Nombre d'avis")).toBe(s.satisfaction.total_reviews);
    // Widths: the longest text Python's str() gives for a cell of the column, + 2.
    const texts = (column: 0 | 1): string[] =>
      expected.sections.flatMap((section) => [
        ...(column === 0 ? [section.title] : []),
        ...(section.header ? [section.header[column]] : []),
        ...section.lines.map((line) => (column === 0 ? line.label : line.text)),
      ]);
    expect(sheet.getColumn(1).width).toBe(Math.max(...texts(0).map(length)) + 2);
    expect(sheet.getColumn(2).width).toBe(Math.max(...texts(1).map(length)) + 2);
  });
});

describe('export_statistics_pdf', () => {
  let response: RawResponse;
  let expected: ExpectedExport;
  let before: Date;
  let after: Date;
  let file: string;

  beforeAll(async () => {
    ({ served: response, expected, before, after } = await bracketed(() => get(PDF_PATH), (now) => legacyExportOnPostgres(db.pool, now)));
    file = join(workDir, 'statistics.pdf');
    writeFileSync(file, response.body);
  });

  it('is an attachment named after its UTC generation time, application/pdf', () => {
    expect(response.status, response.body.toString('utf8').slice(0, 300)).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expectFileName(response.headers.get('content-disposition'), 'pdf', before, after);
    expect(response.body.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it('is A4 portrait, continued on a second page when the lists are long', async () => {
    const { stdout } = await run('pdfinfo', [file]);
    // A4 is 595.28 × 841.89 pt; Chromium writes it rounded to its own units (595.92 × 841.92).
    const [, width, height] = /Page size:\s+([\d.]+) x ([\d.]+) pts \(A4\)/.exec(stdout) ?? [];
    expect(Math.abs(Number(width) - 595.28)).toBeLessThan(1);
    expect(Math.abs(Number(height) - 841.89)).toBeLessThan(1);
    expect(stdout).toMatch(/Page rot:\s+0\b/);
    expect(Number(/Pages:\s+(\d+)/.exec(stdout)![1])).toBeGreaterThanOrEqual(2);
  });

  it('prints the title, the generation time, every heading and every "label : value" line', async () => {
    const { stdout } = await run('pdftotext', ['-enc', 'UTF-8', file, '-']);
    const lines = stdout.split('\n').map((line) => line.trim()).filter(Boolean);
    expect(lines[0]).toBe('Statistiques DepanneTeliman');
    const generated = expectFileName(response.headers.get('content-disposition'), 'pdf', before, after);
    const two = (n: number): string => String(n).padStart(2, '0');
    expect(lines[1]).toBe(
      `Généré le : ${two(generated.getUTCDate())}/${two(generated.getUTCMonth() + 1)}/${generated.getUTCFullYear()} ` +
        `${two(generated.getUTCHours())}:${two(generated.getUTCMinutes())}:${two(generated.getUTCSeconds())}`,
    );
    // The whole document in order: headings, then their lines (money as Python floats), markup as text.
    const document = expected.sections.flatMap((section) => [section.pdfTitle, ...section.lines.map((line) => `${line.label} : ${line.text}`)]);
    expect(lines.slice(2)).toEqual(document);
    expect(lines).toContain('<b>Kati & "Co"</b> : 400');
    expect(lines.some((line) => /^Revenus totaux \(XOF\) : -?\d+\.\d{1,2}$/.test(line))).toBe(true);
  });
});

describe('auth, methods and CORS', () => {
  const PATHS = [JSON_PATH, XLSX_PATH, PDF_PATH];

  it('refuses a missing, forged or expired token, or an unknown or inactive user, with 401 and WWW-Authenticate', async () => {
    const admin = await userId("user_type = 'admin' AND is_active");
    const now = Math.floor(Date.now() / 1000);
    const { rows } = await db.pool.query<{ id: string }>(
      `INSERT INTO users_user (username, email, user_type, is_active, is_staff) VALUES ('legacy_inactive', 'li@x.ml', 'admin', false, true) RETURNING id`,
    );
    const tokens = [
      null,
      'not-a-jwt',
      signAccessToken(admin, 'another-secret', 600),
      jwt.sign({ token_type: 'access', user_id: admin, jti: 'x', iat: now - 1200, exp: now - 600 }, TEST_JWT_SECRET),
      signAccessToken(987_654_321, TEST_JWT_SECRET, 600),
      signAccessToken(Number(rows[0]!.id), TEST_JWT_SECRET, 600),
    ];
    for (const path of PATHS) {
      for (const token of tokens) {
        const response = await get(path, token);
        expect(response.status, `${path} with ${token}`).toBe(401);
        expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api"');
        expect(typeof json(response).detail).toBe('string');
      }
    }
  });

  it('admits staff who are not admins to the exports only', async () => {
    const { rows } = await db.pool.query<{ id: string }>(
      `INSERT INTO users_user (username, email, user_type, is_staff) VALUES ('legacy_staff', 'ls@x.ml', 'client', true) RETURNING id`,
    );
    const staff = signAccessToken(Number(rows[0]!.id), TEST_JWT_SECRET, 600);
    const refused = await get(JSON_PATH, staff);
    expect(refused.status).toBe(403);
    expect(json(refused)).toEqual({ error: 'Accès non autorisé' });
    expect((await get(XLSX_PATH, staff)).status).toBe(200);
    expect((await get(PDF_PATH, staff)).status).toBe(200);
  });

  it('admits an admin who is not staff everywhere (user_id as a string claim)', async () => {
    const { rows } = await db.pool.query<{ id: string }>(
      `INSERT INTO users_user (username, email, user_type, is_staff) VALUES ('legacy_admin', 'la@x.ml', 'admin', false) RETURNING id`,
    );
    const now = Math.floor(Date.now() / 1000);
    const token = jwt.sign({ token_type: 'access', user_id: String(rows[0]!.id), jti: 'z', iat: now, exp: now + 600 }, TEST_JWT_SECRET);
    for (const path of [JSON_PATH, XLSX_PATH]) expect((await get(path, token)).status).toBe(200);
  });

  it('forbids clients and technicians: {"error"} on project_statistics, {"detail"} on the exports', async () => {
    for (const type of ['client', 'technician']) {
      const token = signAccessToken(await userId(`user_type = '${type}' AND NOT is_staff AND is_active`), TEST_JWT_SECRET, 600);
      const statistics = await get(JSON_PATH, token);
      expect(statistics.status).toBe(403);
      expect(json(statistics)).toEqual({ error: 'Accès non autorisé' });
      for (const path of [XLSX_PATH, PDF_PATH]) {
        const exported = await get(path, token);
        expect(exported.status).toBe(403);
        expect(Object.keys(json(exported))).toEqual(['detail']);
      }
    }
  });

  it('answers other methods with 405 {"detail"}', async () => {
    for (const path of PATHS) {
      for (const target of [path, path.replace(/\/$/, '')]) {
        for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
          const response = await send(target, { method, headers: bearer(adminToken) });
          expect(response.status, `${method} ${target}`).toBe(405);
          expect(typeof json(response).detail).toBe('string');
        }
      }
    }
  });

  it('answers CORS preflights from any origin allowing Authorization, and exposes Content-Disposition', async () => {
    for (const path of PATHS) {
      const preflight = await send(path, {
        method: 'OPTIONS',
        headers: { Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
      expect(preflight.headers.get('access-control-allow-methods')).toContain('GET');
      expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase().split(/,\s*/)).toContain('authorization');
    }
    const exported = await send(XLSX_PATH, { headers: { ...bearer(adminToken), Origin: 'https://admin.example.ml' } });
    expect(exported.status).toBe(200);
    expect(exported.headers.get('access-control-allow-origin')).toBe('https://admin.example.ml');
    expect(exported.headers.get('access-control-expose-headers')).toContain('Content-Disposition');
  });
});
