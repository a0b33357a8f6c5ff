// Export jobs in the state store (table export_jobs, state/migrations/*/0003_export_jobs.sql): the
// only place their SQL lives, the same SQL on SQLite and Postgres. A job is claimed by one replica
// with a single conditional UPDATE (so two replicas never run the same job), held by a lease its
// runner renews, and every later write is conditional on still holding it: a runner that lost its
// job (deleted, or taken over after its lease expired) learns it from a 0-row update and stops.
import { Inject, Injectable } from '@nestjs/common';
import type { ExportRequest, ExportStatus, ExportType } from '../../../../libs/metrics/src/exports.js';
import type { StateStore } from '../../../../libs/state/src/store.js';
import { STATE_STORE } from '../tokens.js';

export interface ExportJob {
  id: string;
  ownerId: number;
  type: ExportType;
  status: ExportStatus;
  progress: number;
  request: ExportRequest;
  scheduleId: string | null;
  fileName: string | null;
  storedName: string | null;
  contentType: string | null;
  fileSize: number | null;
  /** The figures' data_as_of (oldest of the sections'), once completed. */
  dataAsOf: string | null;
  error: string | null;
  attempts: number;
  runner: string | null;
  leaseExpiresAt: string | null;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  expiresAt: string;
}

interface ExportJobRow {
  id: string;
  owner_id: number;
  type: ExportType;
  status: ExportStatus;
  progress: number;
  request: string;
  schedule_id: string | null;
  file_name: string | null;
  stored_name: string | null;
  content_type: string | null;
  file_size: number | null;
  data_as_of: string | null;
  error: string | null;
  attempts: number;
  runner: string | null;
  lease_expires_at: string | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  expires_at: string;
}

const COLUMNS = `id, owner_id, type, status, progress, request, schedule_id, file_name, stored_name, content_type, file_size, data_as_of,
  error, attempts, runner, lease_expires_at, created_at, started_at, completed_at, expires_at`;

function toJob(row: ExportJobRow): ExportJob {
  return {
    id: row.id,
    ownerId: Number(row.owner_id),
    type: row.type,
    status: row.status,
    progress: Number(row.progress),
    request: JSON.parse(row.request) as ExportRequest,
    scheduleId: row.schedule_id,
    fileName: row.file_name,
    storedName: row.stored_name,
    contentType: row.content_type,
    fileSize: row.file_size === null ? null : Number(row.file_size),
    dataAsOf: row.data_as_of,
    error: row.error,
    attempts: Number(row.attempts),
    runner: row.runner,
    leaseExpiresAt: row.lease_expires_at,
    createdAt: row.created_at,
    startedAt: row.started_at,
    completedAt: row.completed_at,
    expiresAt: row.expires_at,
  };
}

export interface NewExportJob {
  id: string;
  ownerId: number;
  request: ExportRequest;
  scheduleId: string | null;
  createdAt: Date;
  expiresAt: Date;
}

export interface FinishedFile {
  fileName: string;
  storedName: string;
  contentType: string;
  fileSize: number;
  /** The figures' data_as_of; absent = unknown. */
  dataAsOf?: string | null;
}

/** What reclaiming jobs of dead runners did. */
export interface Reclaimed {
  requeued: ExportJob[];
  failed: ExportJob[];
}

const iso = (at: Date): string => at.toISOString();

@Injectable()
export class ExportJobsRepository {
  constructor(@Inject(STATE_STORE) private readonly store: StateStore) {}

  async insert(job: NewExportJob): Promise<ExportJob> {
    await this.store.execute(
      `INSERT INTO export_jobs (id, owner_id, type, status, progress, request, schedule_id, attempts, created_at, expires_at)
       VALUES ($1, $2, $3, 'pending', 0, $4, $5, 0, $6, $7)`,
      [job.id, job.ownerId, job.request.type, JSON.stringify(job.request), job.scheduleId, iso(job.createdAt), iso(job.expiresAt)],
    );
    return (await this.get(job.id))!;
  }

  async get(id: string): Promise<ExportJob | null> {
    const rows = await this.store.query<ExportJobRow>(`SELECT ${COLUMNS} FROM export_jobs WHERE id = $1`, [id]);
    return rows[0] ? toJob(rows[0]) : null;
  }

  /** The owner's jobs, newest first. */
  async listByOwner(ownerId: number, page: number, pageSize: number): Promise<{ count: number; jobs: ExportJob[] }> {
    const [counted] = await this.store.query<{ n: number }>('SELECT CAST(COUNT(*) AS INTEGER) AS n FROM export_jobs WHERE owner_id = $1', [ownerId]);
    const rows = await this.store.query<ExportJobRow>(
      `SELECT ${COLUMNS} FROM export_jobs WHERE owner_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3`,
      [ownerId, pageSize, (page - 1) * pageSize],
    );
    return { count: Number(counted?.n ?? 0), jobs: rows.map(toJob) };
  }

  /** Jobs waiting or running (health). */
  /** Jobs kept (within the retention) by status, for /metrics. */
  async countsByStatus(): Promise<Record<ExportStatus, number>> {
    const rows = await this.store.query<{ status: ExportStatus; n: number }>('SELECT status, CAST(COUNT(*) AS INTEGER) AS n FROM export_jobs GROUP BY status');
    const counts: Record<ExportStatus, number> = { pending: 0, running: 0, completed: 0, failed: 0 };
    for (const row of rows) counts[row.status] = Number(row.n);
    return counts;
  }

  async activeCounts(): Promise<{ pending: number; running: number }> {
    const rows = await this.store.query<{ status: ExportStatus; n: number }>(
      "SELECT status, CAST(COUNT(*) AS INTEGER) AS n FROM export_jobs WHERE status IN ('pending', 'running') GROUP BY status",
    );
    const count = (status: ExportStatus): number => Number(rows.find((row) => row.status === status)?.n ?? 0);
    return { pending: count('pending'), running: count('running') };
  }

  /**
   * Takes the oldest pending job for `runner` (first come, first served), or null when none waits.
   * The UPDATE re-checks `status = 'pending'`, so of two replicas picking the same id one wins.
   */
  async claimNext(runner: string, leaseMs: number, now: Date = new Date()): Promise<ExportJob | null> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const [next] = await this.store.query<{ id: string }>(
        "SELECT id FROM export_jobs WHERE status = 'pending' ORDER BY created_at, id LIMIT 1",
      );
      if (!next) return null;
      const claimed = await this.store.execute(
        `UPDATE export_jobs SET status = 'running', runner = $2, lease_expires_at = $3, started_at = $4, attempts = attempts + 1, progress = 0, error = NULL
         WHERE id = $1 AND status = 'pending'`,
        [next.id, runner, iso(new Date(now.getTime() + leaseMs)), iso(now)],
      );
      if (claimed === 1) return this.get(next.id);
    }
    return null;
  }

  /** Extends the runner's lease and records progress; false when the job is no longer this runner's. */
  async heartbeat(id: string, runner: string, progress: number, leaseMs: number): Promise<boolean> {
    const changed = await this.store.execute(
      "UPDATE export_jobs SET progress = $3, lease_expires_at = $4 WHERE id = $1 AND runner = $2 AND status = 'running'",
      [id, runner, progress, iso(new Date(Date.now() + leaseMs))],
    );
    return changed === 1;
  }

  async complete(id: string, runner: string, file: FinishedFile, at: Date = new Date()): Promise<boolean> {
    const changed = await this.store.execute(
      `UPDATE export_jobs SET status = 'completed', progress = 100, file_name = $3, stored_name = $4, content_type = $5, file_size = $6,
         completed_at = $7, data_as_of = $8, runner = NULL, lease_expires_at = NULL, error = NULL
       WHERE id = $1 AND runner = $2 AND status = 'running'`,
      [id, runner, file.fileName, file.storedName, file.contentType, file.fileSize, iso(at), file.dataAsOf ?? null],
    );
    return changed === 1;
  }

  async fail(id: string, runner: string, error: string, at: Date = new Date()): Promise<boolean> {
    const changed = await this.store.execute(
      `UPDATE export_jobs SET status = 'failed', error = $3, completed_at = $4, runner = NULL, lease_expires_at = NULL
       WHERE id = $1 AND runner = $2 AND status = 'running'`,
      [id, runner, error, iso(at)],
    );
    return changed === 1;
  }

  /** The runner stops (shutdown): its job waits again, to be run from the start by the next runner. */
  async release(id: string, runner: string): Promise<boolean> {
    const changed = await this.store.execute(
      `UPDATE export_jobs SET status = 'pending', progress = 0, runner = NULL, lease_expires_at = NULL, started_at = NULL,
         error = 'interrupted by a stop of the service; run again'
       WHERE id = $1 AND runner = $2 AND status = 'running'`,
      [id, runner],
    );
    return changed === 1;
  }

  /**
   * Running jobs whose runner's lease expired (it crashed or was killed): run again while they
   * have attempts left, else failed with the reason. Never left `running`.
   */
  async reclaimExpired(maxAttempts: number, now: Date = new Date()): Promise<Reclaimed> {
    const rows = await this.store.query<ExportJobRow>(
      `SELECT ${COLUMNS} FROM export_jobs WHERE status = 'running' AND lease_expires_at < $1`,
      [iso(now)],
    );
    const result: Reclaimed = { requeued: [], failed: [] };
    for (const job of rows.map(toJob)) {
      if (job.attempts < maxAttempts) {
        const changed = await this.store.execute(
          `UPDATE export_jobs SET status = 'pending', progress = 0, runner = NULL, lease_expires_at = NULL, started_at = NULL,
             error = 'interrupted: its runner stopped without finishing; run again'
           WHERE id = $1 AND status = 'running' AND runner = $2 AND lease_expires_at = $3`,
          [job.id, job.runner, job.leaseExpiresAt],
        );
        if (changed === 1) result.requeued.push(job);
      } else {
        const changed = await this.store.execute(
          `UPDATE export_jobs SET status = 'failed', completed_at = $4, runner = NULL, lease_expires_at = NULL,
             error = $5
           WHERE id = $1 AND status = 'running' AND runner = $2 AND lease_expires_at = $3`,
          [job.id, job.runner, job.leaseExpiresAt, iso(now), `interrupted ${job.attempts} time(s) by a stop of its runner; not retried`],
        );
        if (changed === 1) result.failed.push(job);
      }
    }
    return result;
  }

  async delete(id: string): Promise<boolean> {
    return (await this.store.execute('DELETE FROM export_jobs WHERE id = $1', [id])) === 1;
  }

  /** Jobs past their expiry (any status but running), oldest first. */
  async expired(now: Date = new Date(), limit = 500): Promise<ExportJob[]> {
    const rows = await this.store.query<ExportJobRow>(
      `SELECT ${COLUMNS} FROM export_jobs WHERE expires_at <= $1 AND status <> 'running' ORDER BY expires_at LIMIT $2`,
      [iso(now), limit],
    );
    return rows.map(toJob);
  }

  /** Stored file names of every job still present (retention keeps these files). */
  async storedNames(): Promise<Set<string>> {
    const rows = await this.store.query<{ stored_name: string }>('SELECT stored_name FROM export_jobs WHERE stored_name IS NOT NULL');
    return new Set(rows.map((row) => row.stored_name));
  }
}
