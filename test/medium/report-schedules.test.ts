// Scheduled reports end to end against real Postgres (CDC and a Postgres state store), embedded
// ClickHouse, a real SMTP server (smtp-server, mails parsed back with mailparser) and an HTTP webhook
// receiver that checks the HMAC signature: the endpoints and their 400/404 answers, a run that mails
// the file (its numbers equal to the API's) and posts the signed webhook, a cron firing in the
// schedule's time zone, a file too large to attach sent as a working link, retries (webhook down
// once, SMTP down), abandoned runs, and two processes sharing the state store running a due time
// once. Also the claim itself on both state store dialects.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAccessToken } from '../../libs/access-token/src/sign.js';
import { parseReportScheduleInput } from '../../apps/api/src/exports/schedules/dto/report-schedule.js';
import { ReportScheduler } from '../../apps/api/src/exports/schedules/report-scheduler.js';
import { ReportSchedulesRepository } from '../../apps/api/src/exports/schedules/report-schedules.repository.js';
import { seedDemoData } from '../../apps/demo/src/seed.js';
import { fromRoot } from '../../libs/config/src/paths.js';
import type { ReportDeliveredEvent, ReportRunView, ReportScheduleView } from '../../libs/metrics/src/report-schedules.js';
import { openStateStore } from '../../libs/state/src/open.js';
import type { StateStore } from '../../libs/state/src/store.js';
import { ADMIN_URL, createTestDatabase, dropDatabase, uniqueName, type TestDatabase } from '../factories/databases.js';
import { unzipText } from '../factories/files.js';
import { testSmtp, testWebhook, type TestSmtp, type TestWebhook } from '../factories/mail.js';
import { freePort } from '../factories/redis.js';
import { startTestRuntime, TEST_JWT_SECRET, type TestRuntime } from '../factories/runtime.js';

const BASE = '/depannage/api/statistics';
const SCHEDULES = `${BASE}/report-schedules`;
const SECRET = 'report-webhook-test-secret';

let db: TestDatabase;
let stateDb: string;
let work: string;
let runtime: TestRuntime;
let smtp: TestSmtp;
let webhook: TestWebhook;
let adminToken: string;
let adminId: number;
let otherAdminToken: string;
let runtimeEnv: Record<string, string>;

interface Answer {
  status: number;
  body: any;
  bytes: Buffer;
  headers: Headers;
}

async function call(method: string, path: string, token: string | null = adminToken, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = token === null ? {} : { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path.startsWith('http') ? path : runtime.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const bytes = Buffer.from(await response.arrayBuffer());
  const type = response.headers.get('content-type') ?? '';
  return { status: response.status, body: type.includes('json') && bytes.length ? JSON.parse(bytes.toString('utf8')) : null, bytes, headers: response.headers };
}

function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function userId(where: string): Promise<number> {
  const { rows } = await db.pool.query<{ id: string }>(`SELECT id FROM users_user WHERE ${where} ORDER BY id LIMIT 1`);
  if (!rows[0]) throw new Error(`no user where ${where}`);
  return Number(rows[0].id);
}

async function createSchedule(body: Record<string, unknown>, token = adminToken): Promise<ReportScheduleView> {
  const created = await call('POST', `${SCHEDULES}/`, token, body);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body as ReportScheduleView;
}

async function runs(id: string): Promise<ReportRunView[]> {
  const answer = await call('GET', `${SCHEDULES}/${id}/runs/`);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body.results as ReportRunView[];
}

/** Polls the run until it is no longer running. */
async function finished(scheduleId: string, runId: string, ms = 90_000): Promise<ReportRunView> {
  const deadline = Date.now() + ms;
  for (;;) {
    const run = (await runs(scheduleId)).find((candidate) => candidate.id === runId);
    if (run && run.status !== 'running') return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${run?.status ?? 'missing'} after ${ms} ms: ${JSON.stringify(run)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function runNow(id: string): Promise<ReportRunView> {
  const answer = await call('POST', `${SCHEDULES}/${id}/run/`);
  expect(answer.status, JSON.stringify(answer.body)).toBe(202);
  expect(answer.body).toMatchObject({ schedule_id: id, status: 'running', trigger: 'manual' });
  return answer.body as ReportRunView;
}

function without<T extends Record<string, any>>(payload: T): Omit<T, 'calculation_info'> {
  const { calculation_info: _, ...figures } = payload;
  return figures;
}

/** Records of a CSV text (RFC 4180: a line break inside quotes is not a record end). */
function csvRecords(text: string): number {
  let records = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') quoted = !quoted;
    else if (!quoted && text[i] === '\n') records++;
  }
  return records + (text.endsWith('\n') ? 0 : 1);
}

/** The 6-field cron that fires once at `at` (second precision) in `timeZone`, and only then each year. */
function cronAt(at: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', hourCycle: 'h23' })
      .formatToParts(at)
      .map((part) => [part.type, part.value]),
  );
  return `${Number(parts.second)} ${Number(parts.minute)} ${Number(parts.hour)} ${Number(parts.day)} ${Number(parts.month)} *`;
}

const VALID = { name: 'Rapport hebdomadaire', cron: '0 8 * * 1', type: 'excel', period: '7d', recipients: ['direction@depanneteliman.ml'] };

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'report-schedules-test-'));
  db = await createTestDatabase();
  // Enough rows for a raw CSV export above 1 MiB even zipped (EXPORT_MAX_ATTACHMENT_MB=1): ~1.3 MiB.
  await seedDemoData(db.pool, { requests: 18_000, seed: 5 });
  await db.pool.query(`INSERT INTO users_user (username, email, user_type, is_staff) VALUES ('admin_b', 'b@x.ml', 'admin', false)`);
  stateDb = uniqueName('stat_state');
  await withAdmin((client) => client.query(`CREATE DATABASE ${stateDb}`));
  smtp = await testSmtp();
  webhook = await testWebhook(SECRET);
  runtimeEnv = {
    STATE_DATABASE_URL: databaseUrl(stateDb),
    EXPORT_DIR: join(work, 'exports'),
    SMTP_URL: smtp.url,
    SMTP_FROM: 'Statistiques <stats@depanneteliman.ml>',
    REPORT_WEBHOOK_SECRET: SECRET,
    REPORT_MAX_ATTEMPTS: '3',
    REPORT_RETRY_BASE_SECONDS: '1',
    EXPORT_MAX_ATTACHMENT_MB: '1',
    // A demoted owner is seen at once (the owner check of a run uses the same user cache as requests).
    AUTH_USER_CACHE_SECONDS: '0',
  };
  runtime = await startTestRuntime(db, runtimeEnv);
  adminId = await userId("user_type = 'admin' AND is_active AND username <> 'admin_b'");
  adminToken = signAccessToken(adminId, TEST_JWT_SECRET, 3600);
  otherAdminToken = signAccessToken(await userId("username = 'admin_b'"), TEST_JWT_SECRET, 3600);
});

afterAll(async () => {
  await runtime?.destroy();
  await smtp?.stop();
  await webhook?.close();
  await db?.drop();
  if (stateDb) await withAdmin((client) => dropDatabase(client, stateDb));
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('endpoints', () => {
  it('create, read, list, change, delete; 401 without a token', async () => {
    expect((await call('GET', `${SCHEDULES}/`, null)).status).toBe(401);
    const created = await createSchedule({ ...VALID, city: 'Bamako', webhook_url: webhook.url });
    expect(created).toMatchObject({
      name: 'Rapport hebdomadaire',
      cron: '0 8 * * 1',
      timezone: 'Africa/Bamako',
      type: 'excel',
      period: '7d',
      from: null,
      to: null,
      city: 'Bamako',
      specialty: null,
      raw: false,
      recipients: ['direction@depanneteliman.ml'],
      webhook_url: webhook.url,
      enabled: true,
      owner: adminId,
      last_run: null,
      smtp_configured: true,
    });
    expect(created.sections).toHaveLength(10);
    // Mondays 08:00 in Bamako (UTC+0): the next one is a Monday at 08:00Z, within a week.
    const next = new Date(created.next_run_at!);
    expect(next.getUTCDay()).toBe(1);
    expect(next.toISOString().slice(11)).toBe('08:00:00.000Z');
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(7 * 86_400_000);

    expect((await call('GET', `${SCHEDULES}/${created.id}/`)).body).toEqual(created);
    const list = await call('GET', `${SCHEDULES}/?page_size=100`);
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ page: 1, page_size: 100 });
    expect(list.body.results.map((schedule: ReportScheduleView) => schedule.id)).toContain(created.id);
    expect(list.body.count).toBe(list.body.results.length);
    expect((await call('GET', `${SCHEDULES}/?pages=2`)).status).toBe(400);

    const changed = await call('PATCH', `${SCHEDULES}/${created.id}/`, adminToken, { cron: '30 7 1 * *', timezone: 'Europe/Paris', city: null, enabled: false });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body).toMatchObject({ cron: '30 7 1 * *', timezone: 'Europe/Paris', city: null, enabled: false, next_run_at: null, name: 'Rapport hebdomadaire' });
    expect(Date.parse(changed.body.updated_at)).toBeGreaterThan(Date.parse(created.updated_at));
    const enabled = await call('PATCH', `${SCHEDULES}/${created.id}/`, adminToken, { enabled: true });
    // 07:30 in Paris on the 1st is 06:30Z (winter) or 05:30Z (summer).
    expect(enabled.body.next_run_at).toMatch(/^\d{4}-\d{2}-01T0[56]:30:00\.000Z$/);

    expect((await call('GET', `${SCHEDULES}/${created.id}/runs/`)).body).toEqual({ count: 0, page: 1, page_size: 50, results: [] });
    expect((await call('DELETE', `${SCHEDULES}/${created.id}/`)).status).toBe(204);
    expect((await call('GET', `${SCHEDULES}/${created.id}/`)).status).toBe(404);
    expect((await call('DELETE', `${SCHEDULES}/${created.id}/`)).status).toBe(404);
  });

  it('refuses a bad body with a 400 naming the field, and saves nothing', async () => {
    const before = (await call('GET', `${SCHEDULES}/?page_size=500`)).body.count as number;
    const cases: Array<[string, Record<string, unknown>]> = [
      ['name', { ...VALID, name: '' }],
      ['cron', { ...VALID, cron: '0 8 * *' }],
      ['cron', { ...VALID, cron: '99 8 * * 1' }],
      ['cron', { ...VALID, cron: '*/1 * * * *' }],
      ['timezone', { ...VALID, timezone: 'Africa/Atlantis' }],
      ['type', { ...VALID, type: 'xls' }],
      ['period', { ...VALID, period: 'forever' }],
      ['from', { ...VALID, period: undefined, from: '2026-13-01' }],
      ['sections', { ...VALID, sections: ['overview', 'unknown'] }],
      ['raw', { ...VALID, type: 'json', raw: true }],
      ['recipients', { ...VALID, recipients: ['direction@depanneteliman'] }],
      ['recipients', { ...VALID, recipients: Array.from({ length: 51 }, (_, i) => `u${i}@depanneteliman.ml`) }],
      ['recipients', { ...VALID, recipients: [] }],
      ['webhook_url', { ...VALID, webhook_url: 'javascript:alert(1)' }],
      ['enabled', { ...VALID, enabled: 'yes' }],
      ['schedule', { ...VALID, schedule: 'weekly' }],
    ];
    for (const [field, body] of cases) {
      const answer = await call('POST', `${SCHEDULES}/`, adminToken, body);
      expect(answer.status, `${field}: ${JSON.stringify(body)}`).toBe(400);
      expect(answer.body.field, JSON.stringify(answer.body)).toBe(field);
      expect(answer.body.detail).toMatch(new RegExp(`^${field}: `));
    }
    expect((await call('GET', `${SCHEDULES}/?page_size=500`)).body.count).toBe(before);

    const schedule = await createSchedule(VALID);
    for (const [field, patch] of [
      ['cron', { cron: '* * * * *' }],
      ['raw', { raw: true, type: 'pdf' }],
      ['recipients', { recipients: null }],
      ['owner', { owner: 1 }],
    ] as const) {
      const answer = await call('PATCH', `${SCHEDULES}/${schedule.id}/`, adminToken, patch);
      expect(answer.status, JSON.stringify(patch)).toBe(400);
      expect(answer.body.field).toBe(field);
    }
    expect((await call('GET', `${SCHEDULES}/${schedule.id}/`)).body).toEqual(schedule);
    await call('DELETE', `${SCHEDULES}/${schedule.id}/`);
  });

  it("another user's schedule, an unknown or a malformed id is a 404; other methods a 405", async () => {
    const mine = await createSchedule(VALID);
    for (const [method, path, body] of [
      ['GET', `${SCHEDULES}/${mine.id}/`, undefined],
      ['PATCH', `${SCHEDULES}/${mine.id}/`, { name: 'pris' }],
      ['DELETE', `${SCHEDULES}/${mine.id}/`, undefined],
      ['GET', `${SCHEDULES}/${mine.id}/runs/`, undefined],
      ['POST', `${SCHEDULES}/${mine.id}/run/`, undefined],
    ] as const) {
      const answer = await call(method, path, otherAdminToken, body);
      expect(answer.status, `${method} ${path}`).toBe(404);
    }
    expect((await call('GET', `${SCHEDULES}/?page_size=500`, otherAdminToken)).body.results).toEqual([]);
    expect((await call('GET', `${SCHEDULES}/00000000-0000-4000-8000-000000000000/`)).status).toBe(404);
    expect((await call('GET', `${SCHEDULES}/not-a-uuid/runs/`)).status).toBe(404);
    expect((await call('PUT', `${SCHEDULES}/${mine.id}/`, adminToken, VALID)).status).toBe(405);
    expect((await call('GET', `${SCHEDULES}/${mine.id}/`)).body.name).toBe(VALID.name);
    await call('DELETE', `${SCHEDULES}/${mine.id}/`);
  });
});

describe('runs', () => {
  it('mails the file to every recipient and posts the signed webhook; the numbers are the API’s', async () => {
    const schedule = await createSchedule({
      name: 'Synthèse JSON',
      cron: '0 6 * * *',
      type: 'json',
      period: '30d',
      sections: ['overview', 'requests', 'financial'],
      recipients: ['direction@depanneteliman.ml', 'ops@depanneteliman.ml'],
      webhook_url: webhook.url,
    });
    const hooksBefore = webhook.hooks.length;
    const started = await runNow(schedule.id);
    const run = await finished(schedule.id, started.id);
    expect(run, JSON.stringify(run)).toMatchObject({
      status: 'delivered',
      attempts: 1,
      error: null,
      delivered_to: { email: ['direction@depanneteliman.ml', 'ops@depanneteliman.ml'], webhook: true },
    });
    expect(run.export_id).toMatch(/^[0-9a-f-]{36}$/);

    const received = await smtp.waitFor((message) => message.mail.subject?.includes('Synthèse JSON') ?? false);
    expect(received.to.sort()).toEqual(['direction@depanneteliman.ml', 'ops@depanneteliman.ml']);
    expect(received.from).toBe('stats@depanneteliman.ml');
    expect(received.mail.subject).toBe('Rapport statistique DepanneTeliman « Synthèse JSON » – 30 derniers jours');
    expect(received.mail.text).toContain('Période : 30 derniers jours');
    expect(received.mail.text).toMatch(/Données à jour au : \d{1,2} \S+ \d{4} à \d{2}:\d{2}/);
    expect(received.mail.text).toContain('est joint à ce message');
    expect(received.mail.attachments).toHaveLength(1);
    const attachment = received.mail.attachments[0]!;
    expect(attachment.filename).toMatch(/^statistiques_depanneteliman_\d{4}-\d{2}-\d{2}_30d\.json$/);
    const exported = JSON.parse(attachment.content.toString('utf8'));
    expect(Object.keys(exported.sections)).toEqual(['overview', 'requests', 'financial']);
    for (const section of ['overview', 'requests', 'financial']) {
      const api = await call('GET', `${BASE}/${section}/?period=30d`);
      expect(api.status).toBe(200);
      expect(without(exported.sections[section]), section).toEqual(without(api.body));
    }

    // The webhook: signed, the event with the schedule, the run and an absolute link to the same file.
    const hook = webhook.hooks.slice(hooksBefore).find((candidate) => candidate.json?.schedule?.id === schedule.id);
    expect(hook, 'webhook received').toBeDefined();
    expect(hook!.signed).toBe(true);
    const event = hook!.json as ReportDeliveredEvent;
    expect(event.event).toBe('report.delivered');
    expect(event.run).toMatchObject({ id: run.id, schedule_id: schedule.id, status: 'running', attempts: 1 });
    expect(event.export).toMatchObject({ export_id: run.export_id, file_name: attachment.filename, file_size: attachment.size, data_as_of: exported.data_as_of });
    expect(event.export.download_url.startsWith(`${runtime.url}${BASE}/exports/${run.export_id}/download/?grant=`)).toBe(true);
    const file = await call('GET', event.export.download_url, null);
    expect(file.status).toBe(200);
    expect(file.bytes.equals(attachment.content)).toBe(true);
    // The mail's link is as good, and lives as long as the file is kept (not EXPORT_LINK_SECONDS).
    const link = /(http:\/\/\S+\/download\/\?grant=\S+)/.exec(received.mail.text ?? '')?.[1];
    expect((await call('GET', link!, null)).bytes.equals(attachment.content)).toBe(true);
    expect(Date.parse(event.export.expires_at) - Date.now()).toBeGreaterThan(71 * 3600_000);

    // The export is the owner's, like one they asked for.
    const owned = await call('GET', `${BASE}/exports/${run.export_id}/`);
    expect(owned.body).toMatchObject({ status: 'completed', type: 'json', file_size: attachment.size });
    expect((await call('GET', `${SCHEDULES}/${schedule.id}/`)).body.last_run).toEqual(run);
  });

  it('fires on its cron in the schedule’s time zone', async () => {
    const at = new Date(Math.ceil((Date.now() + 5000) / 1000) * 1000);
    const schedule = await createSchedule({ name: 'Tokyo', cron: cronAt(at, 'Asia/Tokyo'), timezone: 'Asia/Tokyo', type: 'csv', sections: ['overview'], recipients: ['tokyo@depanneteliman.ml'] });
    expect(schedule.next_run_at).toBe(at.toISOString());
    const received = await smtp.waitFor((message) => message.mail.subject?.includes('« Tokyo »') ?? false, 60_000);
    expect(received.at).toBeGreaterThanOrEqual(at.getTime());
    expect(received.mail.attachments[0]!.filename).toMatch(/\.csv$/);
    expect(received.mail.attachments[0]!.content.toString('utf8')).toContain('indicateur,cle,valeur');
    const [run] = await runs(schedule.id);
    expect(run).toMatchObject({ due_at: at.toISOString(), trigger: 'cron' });
    expect((await finished(schedule.id, run!.id)).status).toBe('delivered');
    // Next year's, now.
    expect(Date.parse((await call('GET', `${SCHEDULES}/${schedule.id}/`)).body.next_run_at)).toBeGreaterThan(at.getTime() + 360 * 86_400_000);
  });

  it('sends a link instead of a file larger than EXPORT_MAX_ATTACHMENT_MB, and the link downloads it', async () => {
    const schedule = await createSchedule({ name: 'Données brutes', cron: '0 6 1 * *', type: 'csv', period: 'all', raw: true, sections: ['requests'], recipients: ['data@depanneteliman.ml'] });
    const run = await finished(schedule.id, (await runNow(schedule.id)).id, 120_000);
    expect(run.status, JSON.stringify(run)).toBe('delivered');
    const received = await smtp.waitFor((message) => message.mail.subject?.includes('Données brutes') ?? false);
    expect(received.mail.attachments).toEqual([]);
    expect(received.mail.text).toContain("dépasse la taille maximale d'une pièce jointe (1 Mo)");
    const link = /(http:\/\/\S+\/download\/\?grant=\S+)/.exec(received.mail.text ?? '')?.[1];
    expect(link).toBeDefined();
    const file = await call('GET', link!, null);
    expect(file.status).toBe(200);
    expect(file.bytes.length).toBeGreaterThan(1024 * 1024);
    const exported = await call('GET', `${BASE}/exports/${run.export_id}/`);
    expect(file.bytes.length).toBe(exported.body.file_size);
    const path = join(work, 'raw.zip');
    await writeFile(path, file.bytes);
    const entries = await unzipText(path);
    const requests = [...entries.entries()].find(([name]) => name.includes('demandes'))?.[1];
    expect(requests, [...entries.keys()].join(', ')).toBeDefined();
    const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM depannage_repairrequest');
    // A header record, then one record per request.
    expect(csvRecords(requests!) - 1).toBe(rows[0]!.n);
  });

  it('retries a failed webhook alone (the mail is not sent twice), then delivers', async () => {
    const schedule = await createSchedule({ name: 'Webhook capricieux', cron: '0 6 * * *', type: 'json', sections: ['overview'], recipients: ['ops@depanneteliman.ml'], webhook_url: webhook.url });
    webhook.failNext(1, 503);
    const run = await finished(schedule.id, (await runNow(schedule.id)).id);
    expect(run, JSON.stringify(run)).toMatchObject({ status: 'delivered', attempts: 2, error: null, delivered_to: { email: ['ops@depanneteliman.ml'], webhook: true } });
    const hooks = webhook.hooks.filter((hook) => hook.json?.schedule?.id === schedule.id);
    expect(hooks.map((hook) => hook.status)).toEqual([503, 204]);
    expect(smtp.messages.filter((message) => message.mail.subject?.includes('Webhook capricieux'))).toHaveLength(1);
  });

  it('a webhook answering 410 is not retried: failed with the reason', async () => {
    const schedule = await createSchedule({ name: 'Webhook parti', cron: '0 6 * * *', type: 'json', sections: ['overview'], webhook_url: webhook.url });
    webhook.failNext(1, 410);
    const run = await finished(schedule.id, (await runNow(schedule.id)).id);
    expect(run).toMatchObject({ status: 'failed', attempts: 1, error: 'webhook answered HTTP 410', delivered_to: { email: [], webhook: false } });
  });

  it('with the mail server down: retried with backoff, then recorded failed with the reason; one export made', async () => {
    const schedule = await createSchedule({ name: 'Serveur muet', cron: '0 6 * * *', type: 'json', sections: ['overview'], recipients: ['ops@depanneteliman.ml'] });
    await smtp.stop();
    try {
      const started = Date.now();
      const exportsBefore = (await call('GET', `${BASE}/exports/?page_size=1`)).body.count as number;
      const run = await finished(schedule.id, (await runNow(schedule.id)).id);
      expect(run, JSON.stringify(run)).toMatchObject({ status: 'failed', attempts: 3, delivered_to: { email: [], webhook: false } });
      expect(run.error).toMatch(/^mail not sent: .*ECONNREFUSED/);
      // Backoff of 1 s then 2 s (REPORT_RETRY_BASE_SECONDS=1).
      expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
      // Rendered once: the retries deliver the same file.
      expect((await call('GET', `${BASE}/exports/?page_size=1`)).body.count).toBe(exportsBefore + 1);
      expect((await call('GET', `${BASE}/exports/${run.export_id}/`)).body.status).toBe('completed');
    } finally {
      await smtp.start();
    }
    expect(smtp.messages.filter((message) => message.mail.subject?.includes('Serveur muet'))).toEqual([]);
  });

  it("a schedule whose owner lost access fails at once, saying so, and sends nothing", async () => {
    const at = new Date(Math.ceil((Date.now() + 4000) / 1000) * 1000);
    const schedule = await createSchedule({ name: 'Ancien admin', cron: cronAt(at, 'Africa/Bamako'), type: 'json', sections: ['overview'], recipients: ['ops@depanneteliman.ml'] }, otherAdminToken);
    await db.pool.query("UPDATE users_user SET user_type = 'client' WHERE username = 'admin_b'");
    try {
      const deadline = Date.now() + 30_000;
      let run: ReportRunView | undefined;
      const state = new pg.Client({ connectionString: databaseUrl(stateDb) });
      await state.connect();
      try {
        // Read from the store: the owner cannot ask the API any more.
        while (!run || run.status === 'running') {
          if (Date.now() > deadline) throw new Error(`no finished run: ${JSON.stringify(run)}`);
          await new Promise((resolve) => setTimeout(resolve, 200));
          const { rows } = await state.query<{ status: ReportRunView['status']; attempts: number; error: string | null; export_id: string | null; due_at: string }>(
            'SELECT status, attempts, error, export_id, due_at FROM report_runs WHERE schedule_id = $1',
            [schedule.id],
          );
          run = rows[0] as unknown as ReportRunView | undefined;
        }
      } finally {
        await state.end();
      }
      expect(run).toMatchObject({ status: 'failed', attempts: 1, export_id: null, due_at: at.toISOString() });
      expect(run.error).toMatch(/^the schedule's owner \(user \d+\) no longer has access to the statistics/);
      expect(smtp.messages.filter((message) => message.mail.subject?.includes('Ancien admin'))).toEqual([]);
    } finally {
      await db.pool.query("UPDATE users_user SET user_type = 'admin' WHERE username = 'admin_b'");
    }
  });

  it('a run left running by a dead process is recorded failed, never left running', async () => {
    const schedule = await createSchedule({ ...VALID, name: 'Orpheline' });
    const state = new pg.Client({ connectionString: databaseUrl(stateDb) });
    await state.connect();
    try {
      const past = new Date(Date.now() - 120_000).toISOString();
      await state.query(
        `INSERT INTO report_runs (id, schedule_id, due_at, origin, status, attempts, runner, lease_expires_at, started_at)
         VALUES ('6f1c1b7e-0000-4000-8000-000000000001', $1, $2, 'cron', 'running', 1, 'dead-host:1:abcd', $2, $2)`,
        [schedule.id, past],
      );
      await runtime.app.get(ReportScheduler).sync();
      const [run] = await runs(schedule.id);
      expect(run).toMatchObject({ status: 'failed', attempts: 1 });
      expect(run!.error).toMatch(/interrupted: the process running it \(dead-host:1:abcd\) stopped/);
      expect(run!.finished_at).not.toBeNull();
    } finally {
      await state.end();
    }
  });
});

describe('claim of a due time', () => {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    it(`${dialect}: of several claims of one due time exactly one takes effect`, async () => {
      const config =
        dialect === 'sqlite'
          ? { stateDatabaseUrl: undefined, stateSqlitePath: join(work, `claim-${Date.now()}.sqlite`) }
          : { stateDatabaseUrl: databaseUrl(stateDb), stateSqlitePath: join(work, 'unused.sqlite') };
      // Two stores on one database: two replicas' connections.
      const stores: StateStore[] = [await openStateStore(config), await openStateStore(config)];
      try {
        const [first, second] = stores.map((store) => new ReportSchedulesRepository(store)) as [ReportSchedulesRepository, ReportSchedulesRepository];
        const schedule = await first.insert(randomUUID(), 1, parseReportScheduleInput(VALID));
        const due = new Date('2030-01-07T08:00:00.000Z');
        const claim = (repository: ReportSchedulesRepository, runner: string) =>
          repository.claimRun({ id: randomUUID(), scheduleId: schedule.id, dueAt: due, origin: 'cron', runner, leaseMs: 60_000 });
        const outcomes = await Promise.all([claim(first, 'a'), claim(second, 'b'), claim(first, 'c'), claim(second, 'd')]);
        expect(outcomes.filter(Boolean)).toHaveLength(1);
        const { count, runs: recorded } = await second.listRuns(schedule.id, 1, 10);
        expect(count).toBe(1);
        expect(recorded[0]).toMatchObject({ dueAt: due.toISOString(), status: 'running', attempts: 0 });
        expect(await claim(first, 'e')).toBe(false);
        // Another due time is another run; a deleted schedule takes no claim, and its runs go with it.
        expect(await first.claimRun({ id: randomUUID(), scheduleId: schedule.id, dueAt: new Date(due.getTime() + 3600_000), origin: 'cron', runner: 'f', leaseMs: 60_000 })).toBe(true);
        expect(await first.delete(1, schedule.id)).toBe(true);
        expect(await claim(first, 'h')).toBe(false);
        expect((await second.listRuns(schedule.id, 1, 10)).count).toBe(0);
      } finally {
        for (const store of stores) await store.close();
      }
    });
  }
});

describe('two processes sharing the state store', () => {
  let second: { child: ChildProcess; url: string; output: string[]; dataDir: string } | null = null;

  afterAll(async () => {
    if (!second) return;
    if (second.child.exitCode === null) {
      const exited = new Promise((resolve) => second!.child.once('exit', resolve));
      second.child.kill('SIGTERM');
      const killer = setTimeout(() => second!.child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(second.dataDir, { recursive: true, force: true });
  });

  it('run a due time once: one run row, one mail', async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'report-cluster-chdb-'));
    const slot = uniqueName('slot');
    const child = spawn(fromRoot('node_modules', '.bin', 'vite-node'), [fromRoot('apps', 'service', 'src', 'main.ts')], {
      cwd: fromRoot(),
      env: {
        ...process.env,
        ...runtimeEnv,
        DATABASE_URL: db.url,
        JWT_SECRET: TEST_JWT_SECRET,
        // Replicas share EXPORT_DIR (a shared volume): any of them may render a job another delivers.
        PORT: String(port),
        HOST: '127.0.0.1',
        CLICKHOUSE_DATA_DIR: dataDir,
        INGEST_SLOT: slot,
        INGEST_PUBLICATION: slot,
        INGEST_BATCH_DELAY_MS: '20',
        LOG_FORMAT: 'json',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    second = { child, url: `http://127.0.0.1:${port}`, output, dataDir };
    const deadline = Date.now() + 150_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`second process exited ${child.exitCode}:\n${output.join('')}`);
      // Ready: the snapshot is done and changes stream.
      const streaming = await fetch(`${second.url}/health/ready`).then(
        async (response) => response.status === 200 && ((await response.json()) as { status: string }).status === 'ready',
        () => false,
      );
      if (streaming) break;
      if (Date.now() > deadline) throw new Error(`second process not streaming within 150 s:\n${output.join('').slice(-4000)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }

    // Created on the first process; the second arms it at its next sync (≤ 10 s), before it is due.
    const at = new Date(Math.ceil((Date.now() + 16_000) / 1000) * 1000);
    const schedule = await createSchedule({ name: 'Grappe', cron: cronAt(at, 'Africa/Bamako'), type: 'json', sections: ['overview'], recipients: ['grappe@depanneteliman.ml'], webhook_url: webhook.url });
    const received = await smtp.waitFor((message) => message.mail.subject?.includes('« Grappe »') ?? false, 90_000);
    expect(received.at).toBeGreaterThanOrEqual(at.getTime());
    const [run] = await runs(schedule.id);
    expect((await finished(schedule.id, run!.id)).status).toBe('delivered');
    // Give a second run, mail or webhook time to show up if there were one.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const all = await runs(schedule.id);
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ due_at: at.toISOString(), trigger: 'cron', status: 'delivered' });
    expect(smtp.messages.filter((message) => message.mail.subject?.includes('« Grappe »'))).toHaveLength(1);
    expect(webhook.hooks.filter((hook) => hook.json?.schedule?.id === schedule.id)).toHaveLength(1);
    // Both processes fired: the second says whether it ran the due time or found it taken.
    const logged = output.join('').split('\n').filter((line) => line.includes(schedule.id));
    const fired = logged.filter((line) => /scheduled report started|run by another replica/.test(line));
    expect(fired, logged.join('\n')).toHaveLength(1);
    const secondRan = fired[0]!.includes('scheduled report started');
    // Until now the first process never met another: a taken due time can only be this one.
    expect(runtime.app.get(ReportScheduler).status().taken_elsewhere).toBe(secondRan ? 1 : 0);
  });
});
