// Export jobs as users see them: created for their owner, listed, read, waited for, downloaded and
// deleted. An export belongs to its creator: another user's id reads as unknown (404), and an id
// that is not a UUID never reaches the store or the disk. Download links carry a signed grant.
import { randomUUID } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { AppConfig } from '../../../../libs/config/src/config.js';
import type { ExportJobView, ExportRequest } from '../../../../libs/metrics/src/exports.js';
import { RoomDirectory, RoomRefused } from '../realtime/room-directory.js';
import { APP_CONFIG, JWT_SECRET } from '../tokens.js';
import { DownloadGrants } from './download-grant.js';
import { ExportEvents } from './export-events.js';
import { EXPORT_ID } from './export-files.js';
import { ExportJobsRepository, type ExportJob } from './export-jobs.repository.js';
import { ConflictError, NotFoundError } from '../errors/domain-errors.js';
import { ExportWorker } from './export-worker.js';

export const EXPORTS_PATH = '/depannage/api/statistics/exports';

/** Not this user's export, or no such export: the same answer (404), so ids cannot be probed. */
export class ExportNotFound extends NotFoundError {
  constructor(id: string) {
    super(`export inconnu : ${JSON.stringify(id.slice(0, 64))}`);
    this.name = 'ExportNotFound';
  }
}

/** The export exists but has no file to give (still running, failed, or its file is gone): 409 with its status and progress. */
export class ExportNotReady extends ConflictError {
  constructor(
    message: string,
    private readonly job: Pick<ExportJob, 'status' | 'progress'>,
  ) {
    super(message);
    this.name = 'ExportNotReady';
  }

  override body(): { detail: string; status: string; progress: number } {
    return { detail: this.message, status: this.job.status, progress: this.job.progress };
  }
}

export interface ExportFileStream {
  job: ExportJob;
  stream: ReadStream;
  size: number;
}

@Injectable()
export class ExportsService implements OnModuleInit {
  private readonly logger = new Logger('statistics.export');
  readonly grants: DownloadGrants;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(JWT_SECRET) secret: string,
    @Inject(ExportJobsRepository) private readonly jobs: ExportJobsRepository,
    @Inject(ExportWorker) private readonly worker: ExportWorker,
    @Inject(ExportEvents) private readonly events: ExportEvents,
    @Inject(RoomDirectory) private readonly rooms: RoomDirectory,
  ) {
    this.grants = new DownloadGrants(secret);
  }

  onModuleInit(): void {
    // Room export:<id>: the job as GET exports/<id>/ shows it, then export:progress / export:finished.
    this.rooms.register('export', (argument) => {
      if (argument === null || !EXPORT_ID.test(argument)) throw new RoomRefused('export rooms are export:<export id>');
      return {
        tables: [],
        tick: false,
        volatile: [],
        admit: async (viewer) => {
          const job = await this.jobs.get(argument);
          // Its owner, or an administrator (user_type admin); anyone else is told it does not exist.
          if (!job || (job.ownerId !== viewer.id && viewer.userType !== 'admin')) throw new RoomRefused(`unknown export ${argument}`);
        },
        current: async () => {
          const job = await this.jobs.get(argument);
          return { data: job ? this.view(job, null) : null, data_as_of: null };
        },
      };
    });
  }

  async create(ownerId: number, request: ExportRequest, scheduleId: string | null = null): Promise<ExportJob> {
    const now = new Date();
    const job = await this.jobs.insert({
      id: randomUUID(),
      ownerId,
      request,
      scheduleId,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.config.exports.retentionHours * 3600_000),
    });
    this.logger.log({ message: 'export requested', export_id: job.id, user_id: ownerId, type: request.type, filters: request.filters, sections: request.sections, raw: request.raw, schedule_id: scheduleId });
    this.worker.kick();
    return job;
  }

  /** The owner's export; ExportNotFound for anyone else, an unknown or a malformed id. */
  async get(ownerId: number, id: string): Promise<ExportJob> {
    const job = await this.find(id);
    if (!job || job.ownerId !== ownerId) throw new ExportNotFound(id);
    return job;
  }

  /** Any export by id (a signed grant, a schedule). */
  async find(id: string): Promise<ExportJob | null> {
    if (!EXPORT_ID.test(id)) return null;
    return this.jobs.get(id);
  }

  list(ownerId: number, page: number, pageSize: number): Promise<{ count: number; jobs: ExportJob[] }> {
    return this.jobs.listByOwner(ownerId, page, pageSize);
  }

  /** Waits up to `ms` for the job to finish (here or on another replica), then reads it. */
  async waitFor(job: ExportJob, ms: number): Promise<ExportJob> {
    const deadline = Date.now() + ms;
    let current = job;
    while (current.status === 'pending' || current.status === 'running') {
      const left = deadline - Date.now();
      if (left <= 0) break;
      // Woken at once when it ends in this process; otherwise the store is read again (another replica).
      await this.events.finishedWithin(job.id, Math.min(left, 500));
      const latest = await this.jobs.get(job.id);
      // Deleted while we waited: it is gone for its owner too.
      if (!latest) throw new ExportNotFound(job.id);
      current = latest;
    }
    return current;
  }

  /** Deletes the export and its file; a running job stops at its next step. */
  async delete(ownerId: number, id: string): Promise<void> {
    const job = await this.get(ownerId, id);
    await this.jobs.delete(job.id);
    if (job.storedName) await rm(join(this.config.exports.dir, job.storedName), { force: true });
    this.logger.log({ message: 'export deleted', export_id: job.id, user_id: ownerId, status: job.status });
  }

  /** The finished file of `job`, opened for streaming. */
  async open(job: ExportJob): Promise<ExportFileStream> {
    if (job.status !== 'completed' || !job.storedName) {
      throw new ExportNotReady(job.status === 'failed' ? `the export failed: ${job.error}` : `the export is ${job.status} (${job.progress} %); try again when it is completed`, job);
    }
    const path = join(this.config.exports.dir, job.storedName);
    const info = await stat(path).catch(() => null);
    if (!info) throw new ExportNotReady('the export file is gone (deleted from EXPORT_DIR); ask for a new export', job);
    return { job, stream: createReadStream(path), size: info.size };
  }

  /** A signed link to the file, valid EXPORT_LINK_SECONDS; `base` = scheme://host of the link. */
  downloadUrl(job: ExportJob, base: string | null): string | null {
    if (job.status !== 'completed') return null;
    const { grant } = this.grants.sign(job.id, this.config.exports.linkSeconds);
    const path = `${EXPORTS_PATH}/${job.id}/download/?grant=${grant}`;
    const origin = this.config.exports.publicUrl ?? base;
    return origin ? `${origin}${path}` : path;
  }

  view(job: ExportJob, base: string | null): ExportJobView {
    return {
      export_id: job.id,
      type: job.type,
      status: job.status,
      progress: job.progress,
      file_size: job.fileSize,
      download_url: this.downloadUrl(job, base),
      file_name: job.fileName,
      data_as_of: job.dataAsOf,
      error: job.error,
      filters: job.request.filters,
      sections: job.request.sections,
      raw: job.request.raw,
      dashboard: job.request.dashboard ? { id: job.request.dashboard.id, name: job.request.dashboard.name } : null,
      created_at: job.createdAt,
      completed_at: job.completedAt,
      expires_at: job.expiresAt,
    };
  }
}
