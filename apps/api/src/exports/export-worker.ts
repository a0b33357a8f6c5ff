// Runs export jobs: at most EXPORT_CONCURRENCY at once per process, the oldest waiting first, each
// claimed in the state store so that with several replicas a job runs once. A running job renews
// its lease; a job whose runner died (lease expired) is run again or failed with the reason. A stop
// hands the jobs under way back (pending) for the next start. Files are written to a temporary
// name and renamed once complete; a failure leaves no file and records why.
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { HttpException, Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { withEngineContext } from '../../../../libs/clickhouse/src/admission.js';
import type { AppConfig } from '../../../../libs/config/src/config.js';
import type { IngestFeed } from '../../../../libs/ingest-feed/src/feed.js';
import { APP_CONFIG, INGEST } from '../tokens.js';
import { CONTENT_TYPES, downloadName, STORED_NAME, storedName, TEMP_PREFIX, temporaryPath } from './export-files.js';
import { ExportJobsRepository, type ExportJob } from './export-jobs.repository.js';
import { ExportEvents } from './export-events.js';
import { ExportRenderer } from './export-renderer.js';
import { errorMessage } from '../../../../libs/errors/src/error-message.js';

/** A job interrupted this many times (its runner died each time) is failed rather than run again. */
export const MAX_ATTEMPTS = 2;
/** Jobs waiting in the store are looked for this often (others' jobs, expired leases). */
const POLL_MS = 1000;
/** Expired jobs and stray files are swept this often. */
const RETENTION_SWEEP_MS = 10 * 60_000;
/** A temporary file older than this belongs to no running job (a crash): removed. */
const STRAY_TEMP_MS = 6 * 3600_000;
/** Longest a query of an export job waits for its turn in the engine's queue. */
const EXPORT_QUERY_WAIT_MS = 10 * 60_000;
/** Longest a stop waits for the jobs under way to notice it. */
const SHUTDOWN_WAIT_MS = 10_000;

class JobStopped extends Error {}

interface RunningJob {
  job: ExportJob;
  abort: AbortController;
  progress: number;
  done: Promise<void>;
}

@Injectable()
export class ExportWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('statistics.export');
  readonly runner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly running = new Map<string, RunningJob>();
  private stopped = false;
  private filling: Promise<void> | null = null;
  private refill = false;
  private readonly leaseMs: number;
  private readonly counters = { completed: 0, failed: 0, requeued: 0 };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ExportJobsRepository) private readonly jobs: ExportJobsRepository,
    @Inject(ExportRenderer) private readonly renderer: ExportRenderer,
    @Inject(ExportEvents) private readonly events: ExportEvents,
    @Inject(SchedulerRegistry) private readonly scheduler: SchedulerRegistry,
    @Inject(INGEST) private readonly ingest: IngestFeed,
  ) {
    this.leaseMs = config.exports.jobLeaseSeconds * 1000;
  }

  async onApplicationBootstrap(): Promise<void> {
    await mkdir(this.config.exports.dir, { recursive: true });
    this.scheduler.addInterval('statistics.export.poll', setInterval(() => this.kick(), POLL_MS));
    this.scheduler.addInterval(
      'statistics.export.retention',
      setInterval(() => void this.sweep().catch((error: unknown) => this.logger.error({ message: 'retention sweep failed', error: String(error) })), RETENTION_SWEEP_MS),
    );
    await this.sweep().catch((error: unknown) => this.logger.error({ message: 'retention sweep failed', error: String(error) }));
    this.kick();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.scheduler.deleteInterval('statistics.export.poll');
    this.scheduler.deleteInterval('statistics.export.retention');
    const under = [...this.running.values()];
    for (const running of under) running.abort.abort(new JobStopped('the service is stopping'));
    const settled = Promise.allSettled(under.map((running) => running.done));
    const timer = new Promise((resolve) => setTimeout(resolve, SHUTDOWN_WAIT_MS).unref());
    await Promise.race([settled, timer]);
    await this.filling?.catch(() => undefined);
  }

  status(): { runner: string; running: number; concurrency: number } & typeof this.counters {
    return { runner: this.runner, running: this.running.size, concurrency: this.config.exports.concurrency, ...this.counters };
  }

  /** Looks for work now (a job was created, one ended, or the poll ticked). */
  kick(): void {
    if (this.stopped) return;
    if (this.filling) {
      this.refill = true;
      return;
    }
    this.filling = this.fill()
      .catch((error: unknown) => this.logger.error({ message: 'could not look for export jobs', error: errorMessage(error) }))
      .finally(() => {
        this.filling = null;
        if (this.refill) {
          this.refill = false;
          this.kick();
        }
      });
  }

  private async fill(): Promise<void> {
    // Until the initial copy is in ClickHouse the statistics refuse to answer: jobs wait for it
    // (a first start, or a restart that re-copies) instead of failing.
    if (!this.ingest.freshness().snapshotDone) return;
    const reclaimed = await this.jobs.reclaimExpired(MAX_ATTEMPTS);
    for (const job of reclaimed.requeued) {
      this.counters.requeued++;
      this.logger.warn({ message: 'export job interrupted (its runner stopped); run again', export_id: job.id, runner: job.runner, attempts: job.attempts });
    }
    for (const job of reclaimed.failed) {
      this.logger.error({ message: 'export job interrupted too often; failed', export_id: job.id, attempts: job.attempts });
      this.events.finished({ ...job, status: 'failed', error: `interrupted ${job.attempts} time(s) by a stop of its runner; not retried` });
    }
    while (!this.stopped && this.running.size < this.config.exports.concurrency) {
      const job = await this.jobs.claimNext(this.runner, this.leaseMs);
      if (!job) return;
      this.start(job);
    }
  }

  private start(job: ExportJob): void {
    const abort = new AbortController();
    const entry: RunningJob = { job, abort, progress: 0, done: Promise.resolve() };
    this.running.set(job.id, entry);
    entry.done = this.run(entry).finally(() => {
      this.running.delete(job.id);
      this.kick();
    });
  }

  private async run(entry: RunningJob): Promise<void> {
    const { job, abort } = entry;
    const started = performance.now();
    this.logger.log({ message: 'export started', export_id: job.id, type: job.type, filters: job.request.filters, sections: job.request.sections, raw: job.request.raw, attempt: job.attempts });
    this.events.progress({ ...job, status: 'running', progress: 0 });
    const temporary = temporaryPath(this.config.exports.dir, job.id);
    let lastSent = 0;
    const heartbeat = setInterval(() => {
      this.jobs.heartbeat(job.id, this.runner, entry.progress, this.leaseMs).then(
        (ours) => {
          if (!ours) abort.abort(new JobStopped('the export was deleted or taken over'));
        },
        (error: unknown) => this.logger.warn({ message: 'export lease not renewed', export_id: job.id, error: String(error) }),
      );
    }, Math.max(500, Math.floor(this.leaseMs / 3)));
    const progress = (value: number): void => {
      if (abort.signal.aborted) throw abort.signal.reason instanceof Error ? abort.signal.reason : new JobStopped('stopped');
      const clamped = Math.max(entry.progress, Math.min(99, Math.round(value)));
      if (clamped === entry.progress) return;
      entry.progress = clamped;
      // At most a few events a second: a raw export reports on every page.
      if (Date.now() - lastSent >= 200) {
        lastSent = Date.now();
        this.events.progress({ ...job, status: 'running', progress: clamped });
      }
    };
    try {
      // Exports wait behind live screens and dashboards in the engine's queue, each query up to
      // the job's lease-renewed lifetime: a busy engine slows an export down, never fails it quickly.
      const rendered = await withEngineContext({ priority: 'export', deadline: Date.now() + EXPORT_QUERY_WAIT_MS, signal: abort.signal }, () =>
        this.renderer.render(job.request, temporary, progress),
      );
      progress(99);
      const name = storedName(job.id, rendered.extension);
      await rename(temporary, join(this.config.exports.dir, name));
      const { size } = await stat(join(this.config.exports.dir, name));
      const file = {
        fileName: downloadName(job.request.filters, new Date(), rendered.extension),
        storedName: name,
        contentType: CONTENT_TYPES[rendered.extension]!,
        fileSize: size,
        dataAsOf: rendered.dataAsOf,
      };
      if (!(await this.jobs.complete(job.id, this.runner, file))) {
        // Deleted (or taken over) meanwhile: the file belongs to nobody.
        await rm(join(this.config.exports.dir, name), { force: true });
        throw new JobStopped('the export was deleted or taken over');
      }
      this.counters.completed++;
      this.logger.log({ message: 'export completed', export_id: job.id, type: job.type, bytes: size, data_as_of: rendered.dataAsOf, seconds: Number(((performance.now() - started) / 1000).toFixed(3)) });
      this.events.finished({ ...job, ...file, status: 'completed', progress: 100, error: null });
    } catch (error) {
      await rm(temporary, { force: true });
      if (error instanceof JobStopped || abort.signal.aborted) {
        const reason = abort.signal.reason instanceof Error ? abort.signal.reason.message : String(error);
        if (this.stopped && (await this.jobs.release(job.id, this.runner).catch(() => false))) {
          this.logger.warn({ message: 'export interrupted by the stop; it runs again at the next start', export_id: job.id });
        } else {
          this.logger.log({ message: 'export stopped', export_id: job.id, reason });
        }
        return;
      }
      const message = describe(error);
      this.counters.failed++;
      this.logger.error({ message: 'export failed', export_id: job.id, type: job.type, error: message });
      if (await this.jobs.fail(job.id, this.runner, message).catch(() => false)) {
        this.events.finished({ ...job, status: 'failed', error: message });
      }
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** Deletes jobs and files past EXPORT_RETENTION_HOURS, and temporary files nobody writes any more. */
  async sweep(now: Date = new Date()): Promise<{ jobs: number; files: number }> {
    let jobs = 0;
    let files = 0;
    for (const job of await this.jobs.expired(now)) {
      if (job.storedName) await rm(join(this.config.exports.dir, job.storedName), { force: true });
      if (await this.jobs.delete(job.id)) jobs++;
    }
    const kept = await this.jobs.storedNames();
    for (const name of await readdir(this.config.exports.dir)) {
      const path = join(this.config.exports.dir, name);
      const info = await stat(path).catch(() => null);
      if (!info?.isFile()) continue;
      // Only our own names: EXPORT_DIR may be shared with other files.
      const age = now.getTime() - info.mtimeMs;
      const stray = name.startsWith(TEMP_PREFIX) ? age > STRAY_TEMP_MS : STORED_NAME.test(name) && !kept.has(name) && age > 60_000;
      if (stray) {
        await rm(path, { force: true });
        files++;
      }
    }
    if (jobs + files > 0) this.logger.log({ message: 'expired exports deleted', jobs, files });
    return { jobs, files };
  }
}

/** The reason a job failed, as its owner should read it (an HTTP refusal says its own detail). */
function describe(error: unknown): string {
  if (error instanceof HttpException) {
    const body = error.getResponse();
    if (typeof body === 'string') return body;
    const { error: text, detail } = body as { error?: unknown; detail?: unknown };
    return String(detail ?? text ?? error.message);
  }
  return errorMessage(error);
}
