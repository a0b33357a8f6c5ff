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
import { signAccessToken } from '../../apps/api/src/auth/jwt.js';
import { ExportJobsRepository } from '../../apps/api/src/exports/export-jobs.repository.js';
import { ExportWorker } from '../../apps/api/src/exports/export-worker.js';
import { ExportsService } from '../../apps/api/src/exports/exports.service.js';
import { seedDemoData } from '../../apps/demo/src/seed.js';
import type { ExportFinished, ExportJobView, ExportProgress } from '../../libs/metrics/src/exports.js';
import { SECTIONS, type Section } from '../../libs/metrics/src/types.js';
import { createTestDatabase, type TestDatabase } from '../factories/databases.js';
import { libreOfficeConvert, pdfInfo, pdfText, run, unzipText } from '../factories/files.js';
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
