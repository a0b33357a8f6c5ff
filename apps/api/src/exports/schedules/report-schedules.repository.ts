// Report schedules and their runs in the state store (tables report_schedules and report_runs,
// state/migrations/*/0004_report_schedules.sql and 0005_report_runs.sql): the only place their SQL
// lives, the same SQL on SQLite and Postgres. A run is claimed by inserting its row: UNIQUE
// (schedule_id, due_at) with ON CONFLICT DO NOTHING lets exactly one replica's insert take effect for
// a due time, and that replica runs it. Later writes are conditional on still being its runner.
import { Inject, Injectable } from '@nestjs/common';
import type { ExportRequest } from '../../../../../libs/metrics/src/exports.js';
import type { ReportRunOrigin, ReportRunStatus } from '../../../../../libs/metrics/src/report-schedules.js';
import type { StateQueries, StateStore } from '../../../../../libs/state/src/store.js';
import { STATE_STORE } from '../../tokens.js';
import { applyReportSchedulePatch, type ReportScheduleInput, type ReportSchedulePatch } from './dto/report-schedule.js';

export interface ReportSchedule extends ReportScheduleInput {
  id: string;
  ownerId: number;
  createdAt: string;
  updatedAt: string;
}

export interface ReportRun {
  id: string;
  scheduleId: string;
  dueAt: string;
  origin: ReportRunOrigin;
  status: ReportRunStatus;
  attempts: number;
  exportId: string | null;
  error: string | null;
  deliveredEmail: string[];
  deliveredWebhook: boolean;
  runner: string | null;
  leaseExpiresAt: string | null;
  startedAt: string;
  finishedAt: string | null;
}

/** What a runner records while its run goes on. */
export interface RunProgress {
  attempts: number;
  exportId: string | null;
  error: string | null;
  deliveredEmail: string[];
  deliveredWebhook: boolean;
}

interface ScheduleRow {
  id: string;
  owner_id: number;
  name: string;
  cron: string;
  timezone: string;
  request: string;
  recipients: string;
  webhook_url: string | null;
  enabled: number;
  created_at: string;
  updated_at: string;
}

interface RunRow {
  id: string;
  schedule_id: string;
  due_at: string;
  origin: ReportRunOrigin;
  status: ReportRunStatus;
  attempts: number;
  export_id: string | null;
  error: string | null;
  delivered_email: string;
  delivered_webhook: number;
  runner: string | null;
  lease_expires_at: string | null;
  started_at: string;
  finished_at: string | null;
}

const SCHEDULE_COLUMNS = 'id, owner_id, name, cron, timezone, request, recipients, webhook_url, enabled, created_at, updated_at';
const RUN_COLUMNS = `id, schedule_id, due_at, origin, status, attempts, export_id, error, delivered_email, delivered_webhook, runner,
  lease_expires_at, started_at, finished_at`;

function toSchedule(row: ScheduleRow): ReportSchedule {
  return {
    id: row.id,
    ownerId: Number(row.owner_id),
    name: row.name,
    cron: row.cron,
    timezone: row.timezone,
    request: JSON.parse(row.request) as ExportRequest,
    recipients: JSON.parse(row.recipients) as string[],
    webhookUrl: row.webhook_url,
    enabled: Number(row.enabled) === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toRun(row: RunRow): ReportRun {
  return {
    id: row.id,
    scheduleId: row.schedule_id,
    dueAt: row.due_at,
    origin: row.origin,
    status: row.status,
    attempts: Number(row.attempts),
    exportId: row.export_id,
    error: row.error,
    deliveredEmail: JSON.parse(row.delivered_email) as string[],
    deliveredWebhook: Number(row.delivered_webhook) === 1,
    runner: row.runner,
    leaseExpiresAt: row.lease_expires_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

const iso = (at: Date): string => at.toISOString();

export interface NewRun {
  id: string;
  scheduleId: string;
  dueAt: Date;
  origin: ReportRunOrigin;
  runner: string;
  leaseMs: number;
}

@Injectable()
export class ReportSchedulesRepository {
  constructor(@Inject(STATE_STORE) private readonly store: StateStore) {}

  async insert(id: string, ownerId: number, input: ReportScheduleInput, at: Date = new Date()): Promise<ReportSchedule> {
    await this.store.execute(
      `INSERT INTO report_schedules (${SCHEDULE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)`,
      [id, ownerId, input.name, input.cron, input.timezone, JSON.stringify(input.request), JSON.stringify(input.recipients), input.webhookUrl, input.enabled, iso(at)],
    );
    return (await this.get(id))!;
  }

  async get(id: string): Promise<ReportSchedule | null> {
    return this.find(this.store, id, false);
  }

  /** The owner's schedules, oldest first (the order they were made in). */
  async listByOwner(ownerId: number, page: number, pageSize: number): Promise<{ count: number; schedules: ReportSchedule[] }> {
    const [counted] = await this.store.query<{ n: number }>('SELECT CAST(COUNT(*) AS INTEGER) AS n FROM report_schedules WHERE owner_id = $1', [ownerId]);
    const rows = await this.store.query<ScheduleRow>(
      `SELECT ${SCHEDULE_COLUMNS} FROM report_schedules WHERE owner_id = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3`,
      [ownerId, pageSize, (page - 1) * pageSize],
    );
    return { count: Number(counted?.n ?? 0), schedules: rows.map(toSchedule) };
  }

  /** Every enabled schedule, whoever owns it (what each replica arms). */
  async listEnabled(): Promise<ReportSchedule[]> {
    const rows = await this.store.query<ScheduleRow>(`SELECT ${SCHEDULE_COLUMNS} FROM report_schedules WHERE enabled = 1 ORDER BY id`);
    return rows.map(toSchedule);
  }

  /**
   * Applies `patch` to the owner's schedule and validates the result (ReportScheduleValidationError
   * when invalid, nothing written); null when the owner has no schedule with this id.
   */
  async update(ownerId: number, id: string, patch: ReportSchedulePatch, at: Date = new Date()): Promise<ReportSchedule | null> {
    return this.store.transaction(async (tx) => {
      const current = await this.find(tx, id, true);
      if (!current || current.ownerId !== ownerId) return null;
      const next = applyReportSchedulePatch(current, patch);
      // Strictly later than the last change, so that every replica sees a new version to re-arm.
      const updatedAt = iso(new Date(Math.max(at.getTime(), Date.parse(current.updatedAt) + 1)));
      await tx.execute(
        `UPDATE report_schedules SET name = $2, cron = $3, timezone = $4, request = $5, recipients = $6, webhook_url = $7, enabled = $8, updated_at = $9
         WHERE id = $1`,
        [id, next.name, next.cron, next.timezone, JSON.stringify(next.request), JSON.stringify(next.recipients), next.webhookUrl, next.enabled, updatedAt],
      );
      return { ...current, ...next, updatedAt };
    });
  }

  /** Deletes the owner's schedule and its runs; false when the owner has none with this id. */
  async delete(ownerId: number, id: string): Promise<boolean> {
    return this.store.transaction(async (tx) => {
      // Explicitly, rather than only through ON DELETE CASCADE: the same result whatever a store's foreign-key setting.
      const owned = await tx.query<{ id: string }>('SELECT id FROM report_schedules WHERE id = $1 AND owner_id = $2', [id, ownerId]);
      if (owned.length === 0) return false;
      await tx.execute('DELETE FROM report_runs WHERE schedule_id = $1', [id]);
      return (await tx.execute('DELETE FROM report_schedules WHERE id = $1', [id])) === 1;
    });
  }

  /**
   * Claims the run of `scheduleId` due at `dueAt` for `runner`: true when this insert took effect,
   * false when another replica (or an earlier fire) already has that due time, or the schedule is gone.
   */
  async claimRun(run: NewRun, now: Date = new Date()): Promise<boolean> {
    const inserted = await this.store.execute(
      `INSERT INTO report_runs (id, schedule_id, due_at, origin, status, attempts, delivered_email, delivered_webhook, runner, lease_expires_at, started_at)
       SELECT $1, $2, $3, $4, 'running', 0, '[]', 0, $5, $6, $7
       WHERE EXISTS (SELECT 1 FROM report_schedules WHERE id = $2)
       ON CONFLICT (schedule_id, due_at) DO NOTHING`,
      [run.id, run.scheduleId, iso(run.dueAt), run.origin, run.runner, iso(new Date(now.getTime() + run.leaseMs)), iso(now)],
    );
    return inserted === 1;
  }

  async getRun(id: string): Promise<ReportRun | null> {
    const rows = await this.store.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM report_runs WHERE id = $1`, [id]);
    return rows[0] ? toRun(rows[0]) : null;
  }

  /** A schedule's runs, newest due time first. */
  async listRuns(scheduleId: string, page: number, pageSize: number): Promise<{ count: number; runs: ReportRun[] }> {
    const [counted] = await this.store.query<{ n: number }>('SELECT CAST(COUNT(*) AS INTEGER) AS n FROM report_runs WHERE schedule_id = $1', [scheduleId]);
    const rows = await this.store.query<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM report_runs WHERE schedule_id = $1 ORDER BY due_at DESC, id DESC LIMIT $2 OFFSET $3`,
      [scheduleId, pageSize, (page - 1) * pageSize],
    );
    return { count: Number(counted?.n ?? 0), runs: rows.map(toRun) };
  }

  /** The latest run (by due time) of each of `scheduleIds` that has one. */
  async lastRuns(scheduleIds: readonly string[]): Promise<Map<string, ReportRun>> {
    if (scheduleIds.length === 0) return new Map();
    const placeholders = scheduleIds.map((_, i) => `$${i + 1}`).join(', ');
    const rows = await this.store.query<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM report_runs r
       WHERE r.schedule_id IN (${placeholders})
         AND r.due_at = (SELECT MAX(l.due_at) FROM report_runs l WHERE l.schedule_id = r.schedule_id)`,
      scheduleIds,
    );
    return new Map(rows.map((row) => [row.schedule_id, toRun(row)]));
  }

  /** Extends the runner's lease; false when the run is no longer this runner's (deleted, or failed as abandoned). */
  async heartbeat(id: string, runner: string, leaseMs: number, now: Date = new Date()): Promise<boolean> {
    const changed = await this.store.execute(
      "UPDATE report_runs SET lease_expires_at = $3 WHERE id = $1 AND runner = $2 AND status = 'running'",
      [id, runner, iso(new Date(now.getTime() + leaseMs))],
    );
    return changed === 1;
  }

  async progress(id: string, runner: string, state: RunProgress): Promise<boolean> {
    const changed = await this.store.execute(
      `UPDATE report_runs SET attempts = $3, export_id = $4, error = $5, delivered_email = $6, delivered_webhook = $7
       WHERE id = $1 AND runner = $2 AND status = 'running'`,
      [id, runner, state.attempts, state.exportId, state.error, JSON.stringify(state.deliveredEmail), state.deliveredWebhook],
    );
    return changed === 1;
  }

  async finish(id: string, runner: string, status: 'delivered' | 'failed', state: RunProgress, at: Date = new Date()): Promise<boolean> {
    const changed = await this.store.execute(
      `UPDATE report_runs SET status = $3, attempts = $4, export_id = $5, error = $6, delivered_email = $7, delivered_webhook = $8,
         finished_at = $9, runner = NULL, lease_expires_at = NULL
       WHERE id = $1 AND runner = $2 AND status = 'running'`,
      [id, runner, status, state.attempts, state.exportId, state.error, JSON.stringify(state.deliveredEmail), state.deliveredWebhook, iso(at)],
    );
    return changed === 1;
  }

  /**
   * Running runs whose runner stopped renewing its lease (the process died): recorded failed with
   * the reason, so that no run stays `running`. Conditional on the lease read, so a run whose
   * runner renewed meanwhile is left alone.
   */
  async failAbandoned(now: Date = new Date()): Promise<ReportRun[]> {
    const rows = await this.store.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM report_runs WHERE status = 'running' AND lease_expires_at < $1`, [iso(now)]);
    const failed: ReportRun[] = [];
    for (const run of rows.map(toRun)) {
      const error = `interrupted: the process running it (${run.runner}) stopped before it finished${run.error ? `; last error: ${run.error}` : ''}`;
      const changed = await this.store.execute(
        `UPDATE report_runs SET status = 'failed', error = $4, finished_at = $5, runner = NULL, lease_expires_at = NULL
         WHERE id = $1 AND status = 'running' AND runner = $2 AND lease_expires_at = $3`,
        [run.id, run.runner, run.leaseExpiresAt, error, iso(now)],
      );
      if (changed === 1) failed.push({ ...run, status: 'failed', error, finishedAt: iso(now), runner: null, leaseExpiresAt: null });
    }
    return failed;
  }

  private async find(queries: StateQueries, id: string, forUpdate: boolean): Promise<ReportSchedule | null> {
    // FOR UPDATE: a concurrent PATCH of the same schedule waits rather than being lost (SQLite's
    // transactions hold the file's write lock from the start).
    const lock = forUpdate && queries.dialect === 'postgres' ? ' FOR UPDATE' : '';
    const rows = await queries.query<ScheduleRow>(`SELECT ${SCHEDULE_COLUMNS} FROM report_schedules WHERE id = $1${lock}`, [id]);
    return rows[0] ? toSchedule(rows[0]) : null;
  }
}
