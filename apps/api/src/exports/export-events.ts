// A job's progress and end, told to whoever waits: the socket room `export:<id>` (every replica, through
// the realtime adapter) and, in this process, export_statistics waiting for its job to finish.
import { EventEmitter } from 'node:events';
import { Inject, Injectable } from '@nestjs/common';
import type { ExportFinished, ExportProgress } from '../../../../libs/metrics/src/exports.js';
import { StatisticsGateway } from '../realtime/statistics.gateway.js';
import type { ExportJob } from './export-jobs.repository.js';

export const exportRoom = (id: string): string => `export:${id}`;

@Injectable()
export class ExportEvents {
  private readonly local = new EventEmitter();

  constructor(@Inject(StatisticsGateway) private readonly gateway: StatisticsGateway) {
    // Every export_statistics request waiting on a job listens; there may be many at once.
    this.local.setMaxListeners(0);
  }

  progress(job: Pick<ExportJob, 'id' | 'status' | 'progress'>): void {
    const event: ExportProgress = { export_id: job.id, status: job.status, progress: job.progress };
    this.gateway.emitToRoom(exportRoom(job.id), 'export:progress', event);
  }

  finished(job: Pick<ExportJob, 'id' | 'fileSize' | 'error'> & { status: 'completed' | 'failed'; progress: number }): void {
    const event: ExportFinished = { export_id: job.id, status: job.status, progress: job.progress, file_size: job.fileSize, error: job.error };
    this.gateway.emitToRoom(exportRoom(job.id), 'export:progress', { export_id: job.id, status: job.status, progress: job.progress });
    this.gateway.emitToRoom(exportRoom(job.id), 'export:finished', event);
    this.local.emit(job.id, event);
  }

  /** Resolves when job `id` finishes in this process, or after `ms` (null). */
  finishedWithin(id: string, ms: number): Promise<ExportFinished | null> {
    return new Promise((resolve) => {
      const done = (event: ExportFinished | null): void => {
        clearTimeout(timer);
        this.local.off(id, done);
        resolve(event);
      };
      const timer = setTimeout(() => done(null), ms);
      this.local.on(id, done);
    });
  }
}
