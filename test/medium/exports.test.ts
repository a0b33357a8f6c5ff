// Exports end to end against real Postgres (CDC), embedded ClickHouse, SQLite state, Chromium and
// LibreOffice: every format for several filter sets, read back with real readers, and every number
// in the files equal to the API's answer for the same filters; the job endpoints, the signed links,
// the socket room, the concurrency limit, retention, and a job cut by a restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAccessToken } from '../../libs/access-token/src/sign.js';
import { ExportJobsRepository } from '../../apps/api/src/exports/export-jobs.repository.js';
import { ExportWorker } from '../../apps/api/src/exports/export-worker.js';
import { ExportsService } from '../../apps/api/src/exports/exports.service.js';
import { seedDemoData } from '../../apps/demo/src/seed.js';
import type { ExportFinished, ExportJobView, ExportProgress } from '../../libs/metrics/src/exports.js';
import { paymentMethodLabel, specialtyLabel, statusLabel } from '../../libs/metrics/src/labels.js';
import { SECTIONS, type Section } from '../../libs/metrics/src/types.js';
import { createTestDatabase, type TestDatabase } from '../factories/databases.js';
import { libreOfficeConvert, pdfInfo, pdfText, unzipText } from '../factories/files.js';
import { startTestRuntime, TEST_JWT_SECRET, type TestRuntime } from '../factories/runtime.js';
import { connected, statisticsSocket, subscribe } from '../factories/sockets.js';
import { runRandomWorkload } from '../factories/workload.js';

const BASE = '/depannage/api/statistics';
let db: TestDatabase;
let runtime: TestRuntime;
let work: string;
let adminToken: string;
let otherAdminToken: string;
let staffToken: string;
let staffId: number;

interface Answer {
  status: number;
  body: any;
  headers: Headers;
  bytes: Buffer;
}

async function call(method: string, path: string, token: string | null = adminToken, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = token === null ? {} : { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path.startsWith('http') ? path : runtime.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const bytes = Buffer.from(await response.arrayBuffer());
  const type = response.headers.get('content-type') ?? '';
  return { status: response.status, body: type.includes('json') && bytes.length ? JSON.parse(bytes.toString('utf8')) : null, headers: response.headers, bytes };
}

async function userId(where: string): Promise<number> {
  const { rows } = await db.pool.query<{ id: string }>(`SELECT id FROM users_user WHERE ${where} ORDER BY id LIMIT 1`);
  if (!rows[0]) throw new Error(`no user where ${where}`);
  return Number(rows[0].id);
}

/** The API's answer of every section for `query` (what a file must agree with). */
async function apiSections(query: string, sections: readonly Section[] = SECTIONS): Promise<Record<string, any>> {
  const answers: Record<string, any> = {};
  for (const section of sections) {
    const { status, body } = await call('GET', `${BASE}/${section}/${query ? `?${query}` : ''}`);
    expect(status).toBe(200);
    answers[section] = body;
  }
  return answers;
}

/** Runs export_statistics and downloads its file through the signed link, as a browser tab would (no header). */
async function exportAndDownload(query: string): Promise<{ job: Answer; file: Answer; path: string }> {
  const job = await call('GET', `${BASE}/export_statistics/?${query}`);
  expect(job.status, JSON.stringify(job.body)).toBe(200);
  expect(job.body.status).toBe('completed');
  expect(Object.keys(job.body)).toEqual(['export_id', 'status', 'download_url', 'file_size']);
  const file = await call('GET', job.body.download_url, null);
  expect(file.status).toBe(200);
  expect(file.bytes.length).toBe(job.body.file_size);
  const name = /^attachment; filename=(statistiques_depanneteliman_[\w.-]+)$/.exec(file.headers.get('content-disposition') ?? '')?.[1];
  expect(name, file.headers.get('content-disposition') ?? '').toBeTruthy();
  const path = join(work, `${job.body.export_id}-${name}`);
  await writeFile(path, file.bytes);
  return { job, file, path };
}

/** Every number of a payload (deep, calculation_info left out), and every key and text as strings. */
function valuesOf(value: unknown, numbers = new Set<number>(), texts = new Set<string>()): { numbers: Set<number>; texts: Set<string> } {
  if (typeof value === 'number') {
    numbers.add(value);
    texts.add(String(value));
  } else if (typeof value === 'string') texts.add(value);
  else if (Array.isArray(value)) for (const item of value) valuesOf(item, numbers, texts);
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key === 'calculation_info') continue;
      texts.add(key);
      valuesOf(item, numbers, texts);
    }
  }
  return { numbers, texts };
}

function without<T extends Record<string, any>>(payload: T): Omit<T, 'calculation_info'> {
  const { calculation_info: _, ...figures } = payload;
  return figures;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'exports-test-'));
  db = await createTestDatabase();
  await seedDemoData(db.pool, { requests: 2500, seed: 21 });
  await db.pool.query(
    `INSERT INTO users_user (username, email, user_type, is_staff) VALUES ('staff1', 'staff1@x.ml', 'client', true), ('admin_b', 'b@x.ml', 'admin', false)`,
  );
  // A city that a spreadsheet would run as a formula, and one with markup: user data stays text.
  await db.pool.query(`UPDATE depannage_repairrequest SET city = '=HYPERLINK("http://x")' WHERE id IN (SELECT id FROM depannage_repairrequest ORDER BY id LIMIT 3)`);
  runtime = await startTestRuntime(db, { EXPORT_DIR: join(work, 'exports'), EXPORT_CONCURRENCY: '2' });
  adminToken = signAccessToken(await userId("user_type = 'admin' AND is_active AND username <> 'admin_b'"), TEST_JWT_SECRET, 3600);
  otherAdminToken = signAccessToken(await userId("username = 'admin_b'"), TEST_JWT_SECRET, 3600);
  staffId = await userId("username = 'staff1'");
  staffToken = signAccessToken(staffId, TEST_JWT_SECRET, 3600);
  await runRandomWorkload(db.pool, { steps: 300, seed: 8 });
  await runtime.ingest.catchUp(60_000);
});

afterAll(async () => {
  await runtime?.destroy();
  await db?.drop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('JSON', () => {
  it('holds every section exactly as the API answers it, with the metadata', async () => {
    const { file, path } = await exportAndDownload('type=json&period=30d');
    expect(file.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(path).toMatch(/_30d\.json$/);
    const exported = JSON.parse(file.bytes.toString('utf8'));
    const api = await apiSections('period=30d');
    expect(Object.keys(exported.sections)).toEqual([...SECTIONS]);
    for (const section of SECTIONS) {
      expect(without(exported.sections[section]), section).toEqual(without(api[section]));
      expect(exported.sections[section].calculation_info.data_as_of).toBe(api[section].calculation_info.data_as_of);
    }
    expect(exported.version).toBe(1);
    expect(exported.filters.period).toBe('30d');
    expect(exported.data_as_of).not.toBeNull();
    expect(Date.parse(exported.generated_at)).toBeGreaterThan(Date.now() - 120_000);
  });
});

/** Label → value of a figures block (column A label, column B value) on a sheet. */
function sheetPairs(sheet: ExcelJS.Worksheet): Map<string, unknown> {
  const pairs = new Map<string, unknown>();
  sheet.eachRow((row) => {
    const label = row.getCell(1).value;
    if (typeof label === 'string' && !pairs.has(label)) pairs.set(label, row.getCell(2).value);
  });
  return pairs;
}

/** The rows of the table titled `title` on a sheet: header row after the title, until a blank row. */
function sheetTable(sheet: ExcelJS.Worksheet, title: string): unknown[][] {
  let start = -1;
  sheet.eachRow((row, number) => {
    if (start < 0 && row.getCell(1).value === title) start = number;
  });
  if (start < 0) throw new Error(`no table "${title}" on ${sheet.name}`);
  const rows: unknown[][] = [];
  for (let n = start + 2; n <= sheet.rowCount; n++) {
    const row = sheet.getRow(n);
    if (row.getCell(1).value === null || row.getCell(1).value === undefined) break;
    rows.push((row.values as unknown[]).slice(1));
  }
  return rows;
}

describe('Excel', () => {
  it('has a summary, a sheet per section with the API numbers, native charts over its own cells', async () => {
    const city = 'Bamako';
    const query = `period=30d&city=${city}`;
    const { file, path } = await exportAndDownload(`type=excel&${query}`);
    expect(file.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(path).toMatch(/_30d_bamako\.xlsx$/);
    const api = await apiSections(query);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(path);
    expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual([
      'Résumé', "Vue d'ensemble", 'Demandes', 'Financier', 'Satisfaction', 'Techniciens', 'Spécialités', 'Sécurité', 'Géographie', 'Tendances', 'Indicateurs avancés',
    ]);
    const summary = sheetPairs(workbook.getWorksheet('Résumé')!);
    expect(summary.get('Ville')).toBe(city);
    expect(summary.get('Période')).toBe('30 derniers jours · Ville : Bamako');
    expect(summary.get('Utilisateurs totaux')).toBe(api.overview.total_users);
    expect(summary.get('Revenus totaux')).toBe(api.overview.total_revenue);
    expect((summary.get('Données à jour au (UTC)') as Date).toISOString()).toBe(api.overview.calculation_info.data_as_of);

    const requests = sheetPairs(workbook.getWorksheet('Demandes')!);
    expect(requests.get('Total des demandes')).toBe(api.requests.total);
    expect(requests.get('Taux de succès')).toBe(api.requests.success_rate);
    expect(requests.get('Temps de réponse moyen')).toBe(api.requests.avg_response_time_hours);
    // Stored codes by their French names (as the web dashboard shows them); CSV and JSON keep the codes.
    expect(sheetTable(workbook.getWorksheet('Demandes')!, 'Demandes par statut')).toEqual(Object.entries(api.requests.by_status).map(([status, n]) => [statusLabel(status), n]));

    const financial = workbook.getWorksheet('Financier')!;
    expect(sheetPairs(financial).get('Paiements techniciens')).toBe(api.financial.total_payouts);
    expect(sheetTable(financial, 'Méthodes de paiement')).toEqual(api.financial.payment_methods.map((m: any) => [paymentMethodLabel(m.method), m.count, m.total]));
    // Money formatted as FCFA, percentages as such (the stored value is the API's number).
    const revenueCell = financial.getRow(6).getCell(2);
    expect(String(revenueCell.numFmt)).toContain('FCFA');

    const technicians = workbook.getWorksheet('Techniciens')!;
    expect(sheetTable(technicians, 'Meilleurs techniciens')).toEqual(
      api.technicians.top_technicians.map((t: any) => [t.id, t.name, specialtyLabel(t.specialty), t.total_jobs, t.avg_rating, t.total_earnings]),
    );
    const geography = workbook.getWorksheet('Géographie')!;
    expect(sheetTable(geography, 'Activité par ville')).toEqual(api.geography.cities.map((c: any) => [c.city, c.requests, c.completed, c.revenue]));

    const trends = workbook.getWorksheet('Tendances')!;
    const daily = sheetTable(trends, 'Évolution quotidienne (7 jours)');
    expect(daily.map((row) => (row[0] as Date).toISOString().slice(0, 10))).toEqual(Object.keys(api.trends.daily));
    expect(daily.map((row) => row[1])).toEqual(Object.values(api.trends.daily).map((bucket: any) => bucket.requests));
    expect(String(trends.getRow(7).getCell(1).numFmt)).toBe('dd/mm/yyyy');
    // The cumulative revenue is the running sum of the daily revenue, exact to the franc.
    let running = 0;
    for (const row of daily) {
      running = Math.round((running + (row[3] as number)) * 100) / 100;
      expect(row[4]).toBe(running);
    }
    // Every number on every section sheet is one of the API's numbers for that section (the one
    // derived column, the cumulative revenue, is the running sum checked above).
    const titles: Record<string, string> = {
      "Vue d'ensemble": 'overview', Demandes: 'requests', Financier: 'financial', Satisfaction: 'satisfaction', Techniciens: 'technicians',
      Spécialités: 'specialties', Sécurité: 'security', Géographie: 'geography', Tendances: 'trends', 'Indicateurs avancés': 'advanced',
    };
    const cumulative = new Set(daily.map((row) => row[4] as number));
    let checked = 0;
    for (const [title, section] of Object.entries(titles)) {
      const { numbers } = valuesOf(api[section]);
      workbook.getWorksheet(title)!.eachRow((row) =>
        row.eachCell((cell) => {
          if (typeof cell.value !== 'number') return;
          checked++;
          expect(numbers.has(cell.value) || (section === 'trends' && cumulative.has(cell.value)), `${title}!${cell.address} = ${cell.value}`).toBe(true);
        }),
      );
    }
    expect(checked).toBeGreaterThan(100);
    const advanced = sheetPairs(workbook.getWorksheet('Indicateurs avancés')!);
    expect(advanced.get('Taux de rétention')).toBe(api.advanced.retention_rate);
    expect(advanced.get('Valeur vie client (LTV)')).toBe(api.advanced.ltv);

    // Native charts: chart parts referencing ranges of their own sheet, of every kind.
    const parts = await unzipText(path);
    const charts = [...parts.keys()].filter((name) => /^xl\/charts\/chart\d+\.xml$/.test(name));
    const kinds = new Set(charts.map((name) => /<c:(line|bar|pie|area|radar)Chart>/.exec(parts.get(name)!)?.[1]));
    expect(kinds).toEqual(new Set(['line', 'bar', 'pie', 'area', 'radar']));
    for (const name of charts) {
      for (const [, sheet] of parts.get(name)!.matchAll(/<c:f>'?((?:[^'!]|'')+)'?!\$[A-Z]+\$\d+:\$[A-Z]+\$\d+<\/c:f>/g)) {
        expect(workbook.getWorksheet(sheet!.replace(/''/g, "'")), `${name} → ${sheet}`).toBeTruthy();
      }
    }
  });

  it('raw=true adds the rows of the period, streamed, equal to Postgres', async () => {
    const created = await call('POST', `${BASE}/exports/`, adminToken, { type: 'excel', period: '7d', sections: ['requests'], raw: true });
    expect(created.status).toBe(202);
    const service = runtime.app.get(ExportsService);
    const job = await service.waitFor((await service.find(created.body.export_id))!, 60_000);
    expect(job.status, job.error ?? '').toBe('completed');
    const detail = await call('GET', `${BASE}/exports/${job.id}/`);
    const file = await call('GET', detail.body.download_url, null);
    const path = join(work, 'raw.xlsx');
    await writeFile(path, file.bytes);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(path);
    const sheet = workbook.getWorksheet('Demandes (données)')!;
    const ids = (sheet.getColumn(1).values as unknown[]).slice(2).map(Number);
    const window = new Date(Date.parse(detail.body.created_at) - 7 * 24 * 3600_000 - 120_000);
    const { rows } = await db.pool.query<{ id: string }>('SELECT id FROM depannage_repairrequest WHERE created_at >= $1 ORDER BY id', [window]);
    // The window is 7 days back from when the figures were computed; rows differ only at its edge.
    const expected = rows.map((row) => Number(row.id));
    expect(ids.length).toBeGreaterThan(0);
    expect(expected.filter((id) => !ids.includes(id)).length).toBeLessThanOrEqual(2);
    expect(ids.every((id) => expected.includes(id))).toBe(true);
    expect(sheet.getRow(1).getCell(2).value).toBe('Créée le');
    expect(sheet.getRow(2).getCell(2).value).toBeInstanceOf(Date);
    expect(workbook.getWorksheet('Paiements (données)')).toBeTruthy();
    expect(workbook.getWorksheet('Avis (données)')).toBeTruthy();
  });

  it('renders its charts in LibreOffice', async () => {
    const { path } = await exportAndDownload('type=excel&sections=trends,requests');
    const pdf = await libreOfficeConvert(path, 'pdf', work);
    const info = await pdfInfo(pdf);
    expect(Number(info.Pages)).toBeGreaterThan(1);
    // The converted workbook keeps its charts: LibreOffice's own format lists chart objects.
    const ods = await libreOfficeConvert(path, 'ods', work);
    const content = await unzipText(ods);
    const chartObjects = [...content.keys()].filter((name) => /^Object \d+\/content\.xml$/.test(name));
    expect(chartObjects.length).toBe(5);
    expect(chartObjects.every((name) => content.get(name)!.includes('<chart:chart'))).toBe(true);
  }, 240_000);
});

describe('CSV', () => {
  it('is a zip of one UTF-8 file per section, RFC 4180, numbers equal to the API', async () => {
    const { file, path } = await exportAndDownload('type=csv&period=7d');
    expect(file.headers.get('content-type')).toBe('application/zip');
    const entries = await unzipText(path);
    expect([...entries.keys()]).toEqual(SECTIONS.map((section) => `${section}.csv`));
    const api = await apiSections('period=7d');
    const overview = entries.get('overview.csv')!;
    expect(overview.startsWith('\uFEFF')).toBe(true);
    expect(overview).toContain(`Revenus totaux,total_revenue,${api.overview.total_revenue}\r\n`);
    expect(overview).toContain(`Utilisateurs totaux,total_users,${api.overview.total_users}\r\n`);
    // Every numeric field of every file is one of the API's values for that section.
    for (const section of SECTIONS) {
      const { texts } = valuesOf(api[section]);
      if (section === 'trends') {
        // The one derived column: the running sum of the daily revenue.
        let running = 0;
        for (const bucket of Object.values(api.trends.daily) as Array<{ revenue: number }>) texts.add(String((running = Math.round((running + bucket.revenue) * 100) / 100)));
      }
      const fields = entries.get(`${section}.csv`)!.replace(/^\uFEFF/, '').split('\r\n').flatMap((line) => line.split(','));
      const numeric = fields.filter((field) => /^-?\d+(\.\d+)?$/.test(field));
      for (const field of numeric) expect(texts.has(field), `${section}.csv: ${field}`).toBe(true);
      if (section !== 'advanced') expect(numeric.length, section).toBeGreaterThan(0);
    }
    const geography = entries.get('geography.csv')!;
    for (const city of api.geography.top_cities) {
      const text = /[",\r\n]/.test(city.city) || /^[=+\-@]/.test(city.city) ? null : `${city.city},${city.count}\r\n`;
      if (text) expect(geography).toContain(text);
    }
  });

  it('one section is a single .csv; raw rows are streamed into the zip', async () => {
    const single = await exportAndDownload('type=csv&sections=financial');
    expect(single.file.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(single.path).toMatch(/\.csv$/);
    const api = await apiSections('', ['financial']);
    expect(single.file.bytes.toString('utf8')).toContain(`Paiements techniciens,total_payouts,${api.financial.total_payouts}\r\n`);

    const created = await call('POST', `${BASE}/exports/`, adminToken, { type: 'csv', sections: 'financial', raw: true, city: 'Bamako' });
    const service = runtime.app.get(ExportsService);
    const job = await service.waitFor((await service.find(created.body.export_id))!, 60_000);
    expect(job.status, job.error ?? '').toBe('completed');
    const file = await call('GET', `${BASE}/exports/${job.id}/download/`);
    const path = join(work, 'raw.zip');
    await writeFile(path, file.bytes);
    const entries = await unzipText(path);
    expect([...entries.keys()]).toEqual(['financial.csv', 'demandes.csv', 'paiements.csv', 'avis.csv']);
    const lines = entries.get('paiements.csv')!.replace(/^\uFEFF/, '').split('\r\n').filter(Boolean);
    expect(lines[0]).toBe('id,created_at,request_id,payment_type,method,status,amount,fees,processed_at');
    const { rows } = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM depannage_payment p JOIN depannage_repairrequest r ON r.id = p.request_id WHERE r.city = 'Bamako'`,
    );
    expect(lines.length - 1).toBe(rows[0]!.n);
  });
});

describe('PDF', () => {
  it('is a printable A4 report with the API numbers in French format', async () => {
    const { file, path } = await exportAndDownload('type=pdf&period=30d');
    expect(file.headers.get('content-type')).toBe('application/pdf');
    expect(file.bytes.subarray(0, 5).toString()).toBe('%PDF-');
    const info = await pdfInfo(path);
    expect(info['Page size']).toMatch(/^595(\.\d+)? x 841(\.\d+)? pts \(A4\)/);
    const text = (await pdfText(path)).replace(/[\u202f\u00a0]/g, ' ');
    const api = await apiSections('period=30d');
    expect(text).toContain('30 derniers jours');
    for (const title of ["Vue d'ensemble", 'Demandes', 'Financier', 'Satisfaction', 'Techniciens', 'Tendances', 'Sécurité', 'Géographie']) expect(text).toContain(title);
    const french = (n: number): string => new Intl.NumberFormat('fr-FR').format(n).replace(/[\u202f\u00a0]/g, ' ');
    expect(text).toContain(`${french(api.overview.total_users)}`);
    expect(text).toContain(`${french(api.requests.total)}`);
    expect(text).toMatch(new RegExp(`Page 1 / ${info.Pages}`));
  }, 120_000);
});

describe('requests and permissions', () => {
  async function jobCount(): Promise<number> {
    return (await call('GET', `${BASE}/exports/?page_size=500`)).body.count;
  }

  it('refuses bad requests with a 400 naming the parameter, and creates no job', async () => {
    const before = await jobCount();
    const cases: Array<[string, string]> = [
      ['', 'type'],
      ['type=word', 'type'],
      ['type=excel&period=1y', 'period'],
      ['type=excel&sections=overview,money', 'sections'],
      ['type=excel&from=2026-11-25&to=2026-11-01', 'to'],
      ['type=excel&period=7d&from=2026-11-01', 'period'],
      ['type=excel&colour=red', 'colour'],
      ['type=excel&type=pdf', 'type'],
    ];
    for (const [query, parameter] of cases) {
      const { status, body } = await call('GET', `${BASE}/export_statistics/?${query}`);
      expect(status, query).toBe(400);
      expect(body.detail, query).toContain(parameter);
    }
    const bodies: Array<[unknown, string]> = [
      [{ type: 'pdf', raw: true }, 'raw'],
      [{ type: 'csv', raw: 'yes' }, 'raw'],
      [{ type: 'excel', sections: ['overview', 'nope'] }, 'sections'],
      [{ type: 'json', city: 12 }, 'city'],
      [{ type: 'json', unknown: 1 }, 'unknown'],
      [[1, 2], 'JSON object'],
    ];
    for (const [body, word] of bodies) {
      const answer = await call('POST', `${BASE}/exports/`, adminToken, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.detail, JSON.stringify(body)).toContain(word);
    }
    expect(await jobCount()).toBe(before);
  });

  it('answers 401 without a token and 403 to a non-administrator', async () => {
    expect((await call('GET', `${BASE}/export_statistics/?type=json`, null)).status).toBe(401);
    expect((await call('POST', `${BASE}/exports/`, null, { type: 'json' })).status).toBe(401);
    const client = signAccessToken(await userId("user_type = 'client' AND NOT is_staff AND is_active"), TEST_JWT_SECRET, 600);
    expect((await call('GET', `${BASE}/exports/`, client)).status).toBe(403);
  });

  it('an export belongs to its creator: 404 for others, unknown and malformed ids; the link grants that one file only', async () => {
    const mine = await call('POST', `${BASE}/exports/`, adminToken, { type: 'json', sections: ['overview'] });
    const service = runtime.app.get(ExportsService);
    await service.waitFor((await service.find(mine.body.export_id))!, 60_000);
    const id = mine.body.export_id as string;
    const detail = await call('GET', `${BASE}/exports/${id}/`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ export_id: id, type: 'json', status: 'completed', progress: 100, error: null, sections: ['overview'], raw: false });
    expect(detail.body.data_as_of).toBe((await call('GET', `${BASE}/overview/`)).body.calculation_info.data_as_of);
    expect(Object.keys(detail.body)).toEqual(
      expect.arrayContaining(['export_id', 'type', 'status', 'progress', 'file_size', 'download_url', 'error', 'filters', 'created_at', 'completed_at', 'expires_at']),
    );
    for (const path of [`${BASE}/exports/${id}/`, `${BASE}/exports/${id}/download/`]) {
      const refused = await call('GET', path, otherAdminToken);
      expect(refused.status, path).toBe(404);
      expect(refused.body, path).toEqual({ detail: `export inconnu : "${id}"` });
    }
    expect((await call('DELETE', `${BASE}/exports/${id}/`, otherAdminToken)).status).toBe(404);
    for (const bad of ['00000000-0000-4000-8000-000000000000', 'not-an-id', '..%2F..%2Fstate.sqlite', '%2e%2e']) {
      expect((await call('GET', `${BASE}/exports/${bad}/`)).status, bad).toBe(404);
      expect((await call('GET', `${BASE}/exports/${bad}/download/`)).status, bad).toBe(404);
    }
    // The owner's Bearer works on the download path; so does the link alone.
    const byBearer = await call('GET', `${BASE}/exports/${id}/download/`);
    expect(byBearer.status).toBe(200);
    const url = new URL(detail.body.download_url as string);
    expect(url.pathname).toBe(`${BASE}/exports/${id}/download/`);
    expect((await call('GET', url.toString(), null)).bytes.equals(byBearer.bytes)).toBe(true);
    const grant = url.searchParams.get('grant')!;
    const [expires, signature] = grant.split('.');
    const tampered = `${expires}.${signature!.slice(0, -2)}${signature!.endsWith('AA') ? 'BB' : 'AA'}`;
    const other = await call('POST', `${BASE}/exports/`, adminToken, { type: 'json', sections: ['advanced'] });
    const expired = service.grants.sign(id, 60, Date.now() - 3600_000).grant;
    const longer = `${Number(expires) + 3600}.${signature}`;
    for (const [label, path] of [
      ['tampered', `${BASE}/exports/${id}/download/?grant=${tampered}`],
      ['expiry moved', `${BASE}/exports/${id}/download/?grant=${longer}`],
      ['expired', `${BASE}/exports/${id}/download/?grant=${expired}`],
      ['other file', `${BASE}/exports/${other.body.export_id}/download/?grant=${grant}`],
      ['garbage', `${BASE}/exports/${id}/download/?grant=abc`],
    ] as const) {
      const answer = await call('GET', path, null);
      expect(answer.status, label).toBe(403);
      expect(answer.body.detail, label).toBeTruthy();
    }
  });

  it('lists the caller’s exports newest first, paginated; DELETE removes the job and its file', async () => {
    const first = await call('GET', `${BASE}/exports/?page=1&page_size=2`);
    expect(first.status).toBe(200);
    expect(first.body.page_size).toBe(2);
    expect(first.body.results.length).toBe(2);
    const all = (await call('GET', `${BASE}/exports/?page_size=500`)).body;
    expect(all.count).toBeGreaterThan(3);
    const created = all.results.map((job: ExportJobView) => job.created_at);
    expect([...created].sort().reverse()).toEqual(created);
    expect(first.body.results.map((job: ExportJobView) => job.export_id)).toEqual(all.results.slice(0, 2).map((job: ExportJobView) => job.export_id));
    expect((await call('GET', `${BASE}/exports/`, otherAdminToken)).body.count).toBe(0);
    expect((await call('GET', `${BASE}/exports/?page=0`)).status).toBe(400);

    const victim = all.results.find((job: ExportJobView) => job.status === 'completed') as ExportJobView;
    const repository = runtime.app.get(ExportJobsRepository);
    const stored = (await repository.get(victim.export_id))!;
    expect((await call('DELETE', `${BASE}/exports/${victim.export_id}/`)).status).toBe(204);
    expect((await call('GET', `${BASE}/exports/${victim.export_id}/`)).status).toBe(404);
    expect((await call('GET', victim.download_url!, null)).status).toBe(404);
    const { existsSync } = await import('node:fs');
    expect(existsSync(join(work, 'exports', stored.storedName!))).toBe(false);
  });
});

describe('progress on the socket', () => {
  it('room export:<id> gets progress and the final event; only the owner or an admin may join', async () => {
    const created = await call('POST', `${BASE}/exports/`, adminToken, { type: 'excel', raw: true });
    const id = created.body.export_id as string;
    const socket = await connected(statisticsSocket(runtime.url, adminToken));
    const staff = await connected(statisticsSocket(runtime.url, staffToken));
    const otherAdmin = await connected(statisticsSocket(runtime.url, otherAdminToken));
    try {
      const progress: ExportProgress[] = [];
      socket.on('export:progress', (event) => progress.push(event));
      const finished = new Promise<ExportFinished>((resolve) => socket.on('export:finished', resolve));
      expect(await subscribe(socket, `export:${id}`)).toEqual({ ok: true });
      expect(await subscribe(otherAdmin, `export:${id}`)).toEqual({ ok: true });
      const refused = await subscribe(staff, `export:${id}`);
      expect(refused.ok).toBe(false);
      expect(await subscribe(socket, 'export:not-a-uuid')).toMatchObject({ ok: false });
      const end = await finished;
      expect(end).toMatchObject({ export_id: id, status: 'completed', progress: 100, error: null });
      expect(end.file_size).toBeGreaterThan(0);
      expect(progress.at(-1)).toMatchObject({ export_id: id, status: 'completed', progress: 100 });
      const values = progress.map((event) => event.progress);
      expect([...values].sort((a, b) => a - b)).toEqual(values);
    } finally {
      socket.disconnect();
      staff.disconnect();
      otherAdmin.disconnect();
    }
  });
});

describe('jobs', () => {
  it('runs at most EXPORT_CONCURRENCY jobs at once, first come first served', async () => {
    const worker = runtime.app.get(ExportWorker);
    const repository = runtime.app.get(ExportJobsRepository);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await call('POST', `${BASE}/exports/`, adminToken, { type: 'excel', raw: true, sections: ['requests'] })).body.export_id);
    let most = 0;
    const service = runtime.app.get(ExportsService);
    const done = Promise.all(ids.map(async (id) => service.waitFor((await service.find(id))!, 120_000)));
    let finished = false;
    void done.then(() => (finished = true));
    while (!finished) {
      most = Math.max(most, worker.status().running);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(most).toBe(2);
    const jobs = await Promise.all(ids.map((id) => repository.get(id)));
    expect(jobs.every((job) => job!.status === 'completed')).toBe(true);
    const starts = jobs.map((job) => job!.startedAt!);
    expect([...starts].sort()).toEqual(starts);
  });

  it('retention deletes expired jobs and their files, and leaves other files alone', async () => {
    const repository = runtime.app.get(ExportJobsRepository);
    const worker = runtime.app.get(ExportWorker);
    const { body } = await call('GET', `${BASE}/exports/?page_size=1`);
    const job = (await repository.get(body.results[0].export_id))!;
    const { existsSync } = await import('node:fs');
    await writeFile(join(work, 'exports', 'notes-of-someone.txt'), 'keep me');
    const later = new Date(Date.parse(job.expiresAt) + 1000);
    const swept = await worker.sweep(later);
    expect(swept.jobs).toBeGreaterThanOrEqual(1);
    expect(await repository.get(job.id)).toBeNull();
    expect(existsSync(join(work, 'exports', job.storedName!))).toBe(false);
    expect(existsSync(join(work, 'exports', 'notes-of-someone.txt'))).toBe(true);
  });
});

describe('restarts, waiting and a missing browser', () => {
  it('a job cut by a stop runs again at the next start; one whose runner died is run again or failed', async () => {
    const state = join(work, 'restart-state.sqlite');
    const env = { EXPORT_DIR: join(work, 'restart-exports'), STATE_SQLITE_PATH: state, EXPORT_WAIT_SECONDS: '0', EXPORT_JOB_LEASE_SECONDS: '2', PUPPETEER_EXECUTABLE_PATH: '/nonexistent/chromium' };
    await runtime.destroy();
    runtime = await startTestRuntime(db, env);
    // export_statistics with no time to wait answers at once, not completed yet.
    const quick = await call('GET', `${BASE}/export_statistics/?type=excel`);
    expect(quick.status).toBe(200);
    expect(['pending', 'running']).toContain(quick.body.status);
    expect(quick.body.download_url).toBeNull();
    // A big job, cut while it runs.
    const big = await call('POST', `${BASE}/exports/`, adminToken, { type: 'csv', raw: true });
    const repository = runtime.app.get(ExportJobsRepository);
    for (let i = 0; i < 200 && (await repository.get(big.body.export_id))!.status !== 'running'; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    await runtime.destroy();
    // Runners that died: one with attempts left, one without.
    const { SqliteStateStore } = await import('../../libs/state/src/sqlite.js');
    const store = new SqliteStateStore(state);
    const cut = await store.query<{ status: string; error: string | null }>('SELECT status, error FROM export_jobs WHERE id = $1', [big.body.export_id]);
    expect(cut[0]).toEqual({ status: 'pending', error: 'interrupted by a stop of the service; run again' });
    const request = JSON.stringify({ type: 'json', filters: { period: 'all', from: null, to: null, city: null, specialty: null }, sections: ['overview'], raw: false });
    const past = new Date(Date.now() - 60_000).toISOString();
    const future = new Date(Date.now() + 3600_000).toISOString();
    for (const [id, attempts] of [['11111111-1111-4111-8111-111111111111', 1], ['22222222-2222-4222-8222-222222222222', 2]] as const) {
      await store.execute(
        `INSERT INTO export_jobs (id, owner_id, type, status, progress, request, attempts, runner, lease_expires_at, created_at, started_at, expires_at)
         VALUES ($1, $2, 'json', 'running', 40, $3, $4, 'dead-host:1:x', $5, $5, $5, $6)`,
        [id, staffId, request, attempts, past, future],
      );
    }
    await store.close();
    runtime = await startTestRuntime(db, env);
    const service = runtime.app.get(ExportsService);
    const again = await service.waitFor((await service.find(big.body.export_id))!, 120_000);
    expect(again.status, again.error ?? '').toBe('completed');
    const revived = await service.waitFor((await service.find('11111111-1111-4111-8111-111111111111'))!, 60_000);
    expect(revived.status).toBe('completed');
    expect(revived.attempts).toBe(2);
    const dead = (await service.find('22222222-2222-4222-8222-222222222222'))!;
    expect(dead.status).toBe('failed');
    expect(dead.error).toContain('interrupted 2 time(s)');

    // No browser: PDF exports fail with how to install one, health says so, the rest works.
    const health = await call('GET', '/health/details');
    expect(health.body.exports.formats).toEqual({ excel: true, json: true, csv: true, pdf: false });
    expect(health.body.exports.pdf.error).toContain('PUPPETEER_EXECUTABLE_PATH');
    expect(health.body.exports.scheduled_reports).toMatchObject({ smtp_configured: false });
    // The legacy PDF export answers as the original did when it fails: 500 {"detail": ...}.
    const legacyPdf = await call('GET', '/depannage/api/export_statistics_pdf/');
    expect(legacyPdf.status).toBe(500);
    expect(Object.keys(legacyPdf.body)).toEqual(['detail']);
    expect(legacyPdf.body.detail).toMatch(/^Erreur lors de la génération du PDF : .*PUPPETEER_EXECUTABLE_PATH/);
    const pdf = await call('POST', `${BASE}/exports/`, adminToken, { type: 'pdf', sections: ['overview'] });
    const failed = await service.waitFor((await service.find(pdf.body.export_id))!, 60_000);
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain('PUPPETEER_EXECUTABLE_PATH');
    const detail = await call('GET', `${BASE}/exports/${pdf.body.export_id}/`);
    expect(detail.body).toMatchObject({ status: 'failed', download_url: null, file_size: null });
    const notReady = await call('GET', `${BASE}/exports/${pdf.body.export_id}/download/`);
    expect(notReady.status).toBe(409);
    expect(notReady.body).toEqual({ detail: expect.stringContaining('the export failed: ') as unknown, status: 'failed', progress: expect.any(Number) as unknown });
    const json = await call('POST', `${BASE}/exports/`, adminToken, { type: 'json', sections: ['overview'] });
    expect((await service.waitFor((await service.find(json.body.export_id))!, 60_000)).status).toBe('completed');
  }, 300_000);
});
