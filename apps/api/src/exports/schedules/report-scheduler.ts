// Runs scheduled reports. Every replica arms a `cron` CronJob per enabled schedule (in the
// schedule's time zone, registered in Nest's SchedulerRegistry): at boot from the store, at once on
// this replica's create/patch/delete, and on the others within SYNC_MS (they re-read the store).
// When a due time comes, each replica tries to insert the run row keyed (schedule_id, due_at); the
// one whose insert took effect runs it, so a due time runs once however many replicas share the
// store. A run creates an export job as the schedule's owner (the same file as a user's export),
// waits for it, then mails it and/or posts the webhook (report-delivery.ts). A failed render or
// delivery is retried with exponential backoff (REPORT_MAX_ATTEMPTS, REPORT_RETRY_BASE_SECONDS),
// then recorded failed with the reason and logged. A run holds a lease it renews: a run whose
// process died is recorded failed by whichever replica sees the lease expired; a stop records the
// runs under way as failed. No run stays `running`.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob, CronTime } from 'cron';
import type { AppConfig } from '../../../../../libs/config/src/config.js';
import type { ReportDeliveredEvent, ReportRunView, ReportScheduleView } from '../../../../../libs/metrics/src/report-schedules.js';
import { AccessAuthenticator, AccessRefused, isAdministrator } from '../../auth/admin.guard.js';
import { APP_CONFIG } from '../../tokens.js';
import type { ExportJob } from '../export-jobs.repository.js';
import { EXPORTS_PATH, ExportsService } from '../exports.service.js';
import { DeliveryError, fitsAsAttachment, ReportDelivery, reportMail } from './report-delivery.js';
import { ReportSchedulesRepository, type ReportRun, type ReportSchedule, type RunProgress } from './report-schedules.repository.js';
import { errorMessage } from '../../../../../libs/errors/src/error-message.js';

const JOB_PREFIX = 'statistics.report.';
const SYNC_INTERVAL = 'statistics.report.sync';
/** Schedules changed on another replica are re-armed here this often; abandoned runs are looked for too. */
const SYNC_MS = 10_000;
/** A running run's lease, renewed every third of it: a run not renewed for this long is abandoned. */
const LEASE_MS = 60_000;
/** Longest a run waits for its export (the export queue may be long; a raw export of a year is big). */
const RENDER_WAIT_MS = 10 * 60_000;
/** The wait for an export is cut in slices of this length, to notice a stop or a deleted job. */
const WAIT_SLICE_MS = 2_000;
const MAX_RETRY_DELAY_MS = 3600_000;
/** Longest a stop waits for the runs under way to record that they were interrupted. */
const SHUTDOWN_WAIT_MS = 10_000;

/** Why a run stops before its end: the service stops, or the run is no longer this runner's. */
class RunStopped extends Error {
  constructor(
    message: string,
    readonly lost: boolean,
  ) {
    super(message);
  }
}

/** The run cannot succeed whatever the wait (its owner lost access): failed at once. */
class RunRefused extends Error {}

interface ArmedSchedule {
  job: CronJob;
  /** updated_at of the schedule armed: another value in the store means re-arm. */
  version: string;
  /** The cron time the next tick is for (the same on every replica: the claim's key). */
  nextDue: Date;
}

interface RunningReport {
  abort: AbortController;
  done: Promise<void>;
}

function message(error: unknown): string {
  return errorMessage(error);
}

export function runView(run: ReportRun): ReportRunView {
  return {
    id: run.id,
    schedule_id: run.scheduleId,
    due_at: run.dueAt,
    trigger: run.origin,
    started_at: run.startedAt,
    finished_at: run.finishedAt,
    status: run.status,
    attempts: run.attempts,
    export_id: run.exportId,
    error: run.error,
    delivered_to: { email: run.deliveredEmail, webhook: run.deliveredWebhook },
  };
}

/** The next cron time of `schedule` (UTC ISO), null when disabled or it will not fire again. */
export function nextRunAt(schedule: ReportSchedule, now: Date = new Date()): string | null {
  if (!schedule.enabled) return null;
  try {
    // getNextDateFrom reads a Date in the zone it is given (the process's own otherwise).
    return new CronTime(schedule.cron, schedule.timezone).getNextDateFrom(now, schedule.timezone).toJSDate().toISOString();
  } catch {
    return null;
  }
}

export function scheduleView(schedule: ReportSchedule, lastRun: ReportRun | null, smtpConfigured: boolean): ReportScheduleView {
  const { filters } = schedule.request;
  return {
    id: schedule.id,
    name: schedule.name,
    cron: schedule.cron,
    timezone: schedule.timezone,
    type: schedule.request.type,
    period: filters.period,
    from: filters.from,
    to: filters.to,
    city: filters.city,
    specialty: filters.specialty,
    sections: schedule.request.sections,
    raw: schedule.request.raw,
    recipients: schedule.recipients,
    webhook_url: schedule.webhookUrl,
    enabled: schedule.enabled,
    owner: schedule.ownerId,
    created_at: schedule.createdAt,
    updated_at: schedule.updatedAt,
    next_run_at: nextRunAt(schedule),
    last_run: lastRun ? runView(lastRun) : null,
    smtp_configured: smtpConfigured,
  };
}

/** Whether `due` is one of the cron times of `schedule` (it may have changed since it was armed). */
function firesAt(schedule: ReportSchedule, due: Date): boolean {
  try {
    return new CronTime(schedule.cron, schedule.timezone).getNextDateFrom(new Date(due.getTime() - 1000), schedule.timezone).toMillis() === due.getTime();
  } catch {
    return false;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const stop = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve();
    }, ms);
    signal.addEventListener('abort', stop, { once: true });
  });
}

@Injectable()
export class ReportScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('statistics.export');
  readonly runner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly armed = new Map<string, ArmedSchedule>();
  private readonly running = new Map<string, RunningReport>();
  private syncing: Promise<void> | null = null;
  private stopped = false;
  /** Runs this process ran, and due times another replica had claimed first. */
  private readonly counters = { ran: 0, taken_elsewhere: 0 };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ReportSchedulesRepository) private readonly schedules: ReportSchedulesRepository,
    @Inject(ExportsService) private readonly exports: ExportsService,
    @Inject(ReportDelivery) private readonly delivery: ReportDelivery,
    @Inject(SchedulerRegistry) private readonly registry: SchedulerRegistry,
    @Inject(HttpAdapterHost) private readonly http: HttpAdapterHost,
    @Inject(AccessAuthenticator) private readonly access: AccessAuthenticator,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.sync();
    this.registry.addInterval(SYNC_INTERVAL, setInterval(() => void this.sync(), SYNC_MS));
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.registry.doesExist('interval', SYNC_INTERVAL)) this.registry.deleteInterval(SYNC_INTERVAL);
    for (const id of [...this.armed.keys()]) this.disarm(id);
    const under = [...this.running.values()];
    for (const running of under) running.abort.abort(new RunStopped('interrupted by a stop of the service', false));
    const settled = Promise.allSettled(under.map((running) => running.done));
    await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, SHUTDOWN_WAIT_MS).unref())]);
    await this.syncing;
  }

  status(): { runner: string; armed: number; running: number; smtp_configured: boolean; ran: number; taken_elsewhere: number } {
    return { runner: this.runner, armed: this.armed.size, running: this.running.size, smtp_configured: this.delivery.smtpConfigured, ...this.counters };
  }

  /** Arms (or re-arms) a created or changed schedule; disarms it when disabled. */
  changed(schedule: ReportSchedule): void {
    this.arm(schedule);
  }

  removed(id: string): void {
    this.disarm(id);
  }

  /**
   * Records abandoned runs as failed, then arms what the store holds: new and changed schedules
   * (another replica's changes), and disarms deleted and disabled ones.
   */
  sync(): Promise<void> {
    this.syncing ??= this.syncNow()
      .catch((error: unknown) => this.logger.error({ message: 'report schedules not synchronised with the state store', error: message(error) }))
      .finally(() => {
        this.syncing = null;
      });
    return this.syncing;
  }

  private async syncNow(): Promise<void> {
    if (this.stopped) return;
    for (const run of await this.schedules.failAbandoned()) {
      this.logger.error({ message: 'scheduled report interrupted (its process stopped); recorded failed', schedule_id: run.scheduleId, run_id: run.id, due_at: run.dueAt, error: run.error });
    }
    const enabled = await this.schedules.listEnabled();
    if (this.stopped) return;
    const current = new Set(enabled.map((schedule) => schedule.id));
    for (const schedule of enabled) {
      // Newer only: a change made here while this sync was reading is already armed (updated_at
      // only grows, and ISO-8601 text sorts as time).
      const armed = this.armed.get(schedule.id);
      if (!armed || schedule.updatedAt > armed.version) this.arm(schedule);
    }
    for (const id of [...this.armed.keys()]) if (!current.has(id)) this.disarm(id);
  }

  private arm(schedule: ReportSchedule): void {
    this.disarm(schedule.id);
    if (!schedule.enabled || this.stopped) return;
    let job: CronJob;
    try {
      job = CronJob.from({ cronTime: schedule.cron, timeZone: schedule.timezone, onTick: () => this.tick(schedule.id), start: false });
    } catch (error) {
      this.logger.error({ message: 'report schedule cannot be armed', schedule_id: schedule.id, cron: schedule.cron, timezone: schedule.timezone, error: message(error) });
      return;
    }
    this.armed.set(schedule.id, { job, version: schedule.updatedAt, nextDue: job.nextDate().toJSDate() });
    this.registry.addCronJob(JOB_PREFIX + schedule.id, job);
    job.start();
  }

  private disarm(id: string): void {
    const armed = this.armed.get(id);
    if (!armed) return;
    this.armed.delete(id);
    void armed.job.stop();
    if (this.registry.doesExist('cron', JOB_PREFIX + id)) this.registry.deleteCronJob(JOB_PREFIX + id);
  }

  private tick(id: string): void {
    const armed = this.armed.get(id);
    if (!armed) return;
    // The cron library re-arms before it calls back: nextDate() is already the time after this one.
    const due = armed.nextDue;
    armed.nextDue = armed.job.nextDate().toJSDate();
    void this.fire(id, due, armed.version).catch((error: unknown) =>
      this.logger.error({ message: 'scheduled report not started', schedule_id: id, due_at: due.toISOString(), error: message(error) }),
    );
  }

  /** A due time of schedule `id`: claimed here, or by another replica (then nothing to do). */
  private async fire(id: string, due: Date, version: string): Promise<void> {
    if (this.stopped) return;
    const schedule = await this.schedules.get(id);
    if (!schedule || !schedule.enabled) {
      // Deleted or disabled on another replica since the last sync.
      this.disarm(id);
      return;
    }
    if (schedule.updatedAt !== version) {
      this.arm(schedule);
      if (!firesAt(schedule, due)) return;
    }
    const run = { id: randomUUID(), scheduleId: id, dueAt: due, origin: 'cron' as const, runner: this.runner, leaseMs: LEASE_MS };
    if (!(await this.schedules.claimRun(run))) {
      this.counters.taken_elsewhere++;
      this.logger.log({ message: 'scheduled report due time run by another replica', schedule_id: id, due_at: due.toISOString(), runner: this.runner });
      return;
    }
    const claimed = await this.schedules.getRun(run.id);
    if (claimed) this.start(claimed, schedule);
  }

  /** "Run now": a run due now, whatever the cron; resolves once it is recorded (it goes on in the background). */
  async runNow(schedule: ReportSchedule): Promise<ReportRun> {
    for (let attempt = 0; attempt < 5; attempt++) {
      // Never on a whole second, where it could take the key of a cron due time (they are whole seconds).
      const at = Date.now() + attempt;
      const run = { id: randomUUID(), scheduleId: schedule.id, dueAt: new Date(at % 1000 === 0 ? at + 1 : at), origin: 'manual' as const, runner: this.runner, leaseMs: LEASE_MS };
      if (await this.schedules.claimRun(run)) {
        const claimed = (await this.schedules.getRun(run.id))!;
        this.start(claimed, schedule);
        return claimed;
      }
    }
    throw new Error(`could not record a run of schedule ${schedule.id}`);
  }

  private start(run: ReportRun, schedule: ReportSchedule): void {
    const abort = new AbortController();
    const entry: RunningReport = { abort, done: Promise.resolve() };
    this.running.set(run.id, entry);
    this.counters.ran++;
    this.logger.log({ message: 'scheduled report started', schedule_id: schedule.id, run_id: run.id, due_at: run.dueAt, trigger: run.origin, runner: this.runner });
    entry.done = this.execute(run, schedule, abort)
      .catch((error: unknown) => this.logger.error({ message: 'scheduled report run broke off', schedule_id: schedule.id, run_id: run.id, error: message(error) }))
      .finally(() => this.running.delete(run.id));
  }

  private async execute(run: ReportRun, schedule: ReportSchedule, abort: AbortController): Promise<void> {
    const state: RunProgress = { attempts: 0, exportId: null, error: null, deliveredEmail: [], deliveredWebhook: false };
    const lost = (): void => abort.abort(new RunStopped('the run is no longer this process’s (schedule deleted, or recorded abandoned)', true));
    const heartbeat = setInterval(() => {
      this.schedules.heartbeat(run.id, this.runner, LEASE_MS).then(
        (ours) => {
          if (!ours) lost();
        },
        (error: unknown) => this.logger.warn({ message: 'report run lease not renewed', run_id: run.id, error: message(error) }),
      );
    }, LEASE_MS / 3);
    const save = async (): Promise<void> => {
      if (await this.schedules.progress(run.id, this.runner, state)) return;
      lost();
      throw abort.signal.reason;
    };
    let job: ExportJob | null = null;
    try {
      for (let attempt = 1; ; attempt++) {
        state.attempts = attempt;
        await save();
        try {
          await this.ownerMayExport(schedule);
          job = await this.render(schedule, job, state, save, abort.signal);
          await this.deliver(schedule, run, job, state, abort.signal);
          state.error = null;
          await this.schedules.finish(run.id, this.runner, 'delivered', state);
          this.logger.log({
            message: 'scheduled report delivered',
            schedule_id: schedule.id,
            run_id: run.id,
            export_id: job.id,
            attempts: attempt,
            email: state.deliveredEmail.length,
            webhook: state.deliveredWebhook,
          });
          return;
        } catch (error) {
          if (abort.signal.aborted) throw abort.signal.reason;
          state.error = message(error);
          const permanent = (error instanceof DeliveryError && error.permanent) || error instanceof RunRefused;
          if (permanent || attempt >= this.config.reports.maxAttempts) {
            await this.schedules.finish(run.id, this.runner, 'failed', state);
            this.logger.error({ message: 'scheduled report failed', schedule_id: schedule.id, run_id: run.id, export_id: state.exportId, attempts: attempt, permanent, error: state.error });
            return;
          }
          const delayMs = Math.min(this.config.reports.retryBaseSeconds * 1000 * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS);
          this.logger.warn({ message: 'scheduled report attempt failed; retrying', schedule_id: schedule.id, run_id: run.id, attempt, retry_in_s: delayMs / 1000, error: state.error });
          await save();
          await sleep(delayMs, abort.signal);
        }
      }
    } catch (error) {
      const stop = abort.signal.reason instanceof RunStopped ? abort.signal.reason : null;
      if (stop?.lost) {
        this.logger.warn({ message: 'scheduled report stopped', schedule_id: schedule.id, run_id: run.id, reason: stop.message });
        return;
      }
      state.error = stop ? `${stop.message}${state.error ? `; last error: ${state.error}` : ''}` : message(error);
      await this.schedules.finish(run.id, this.runner, 'failed', state).catch(() => false);
      this.logger.error({ message: 'scheduled report failed', schedule_id: schedule.id, run_id: run.id, attempts: state.attempts, error: state.error });
    } finally {
      clearInterval(heartbeat);
    }
  }

  /**
   * A run exports as the schedule's owner, so the owner must still be an active administrator or
   * staff member (as for any statistics request): a schedule does not outlive its owner's access.
   */
  private async ownerMayExport(schedule: ReportSchedule): Promise<void> {
    try {
      await this.access.current(schedule.ownerId, isAdministrator);
    } catch (error) {
      if (error instanceof AccessRefused) throw new RunRefused(`the schedule's owner (user ${schedule.ownerId}) no longer has access to the statistics: ${error.detail}`);
      throw error;
    }
  }

  /** The run's export, completed: the previous attempt's if it is still good, else a new one. */
  private async render(schedule: ReportSchedule, previous: ExportJob | null, state: RunProgress, save: () => Promise<void>, signal: AbortSignal): Promise<ExportJob> {
    let job = previous ? await this.exports.find(previous.id) : null;
    if (!job || job.status === 'failed') {
      job = await this.exports.create(schedule.ownerId, schedule.request, schedule.id);
      state.exportId = job.id;
      await save();
    }
    const deadline = Date.now() + RENDER_WAIT_MS;
    while (job.status === 'pending' || job.status === 'running') {
      if (signal.aborted) throw signal.reason;
      if (Date.now() >= deadline) throw new Error(`the export ${job.id} did not finish within ${RENDER_WAIT_MS / 60_000} minutes (${job.status}, ${job.progress} %)`);
      await this.exports.waitFor(job, Math.min(WAIT_SLICE_MS, deadline - Date.now()));
      const current = await this.exports.find(job.id);
      if (!current) throw new Error(`the export ${job.id} was deleted before it finished`);
      job = current;
    }
    if (job.status === 'failed') throw new Error(`the export failed: ${job.error}`);
    return job;
  }

  /** Mail to the recipients not reached yet, webhook if not delivered yet; throws what failed. */
  private async deliver(schedule: ReportSchedule, run: ReportRun, job: ExportJob, state: RunProgress, signal: AbortSignal): Promise<void> {
    const link = this.link(job);
    const failures: DeliveryError[] = [];
    const reached = new Set(state.deliveredEmail.map((address) => address.toLowerCase()));
    const pending = schedule.recipients.filter((address) => !reached.has(address.toLowerCase()));
    if (pending.length > 0) {
      try {
        const attached = fitsAsAttachment(job.fileSize!, this.config.exports.maxAttachmentMb);
        const attachment = attached ? { filename: job.fileName!, contentType: job.contentType!, content: (await this.exports.open(job)).stream } : null;
        const mail = reportMail({
          scheduleName: schedule.name,
          cron: schedule.cron,
          timezone: schedule.timezone,
          type: job.type,
          filters: job.request.filters,
          dataAsOf: job.dataAsOf,
          generatedAt: job.completedAt,
          fileName: job.fileName!,
          fileSize: job.fileSize!,
          link: link.url,
          linkExpiresAt: link.expiresAt,
          attached,
          maxAttachmentMb: this.config.exports.maxAttachmentMb,
        });
        state.deliveredEmail.push(...(await this.delivery.sendMail(pending, mail, attachment)));
      } catch (error) {
        const accepted = (error as { accepted?: string[] }).accepted;
        if (accepted) state.deliveredEmail.push(...accepted);
        failures.push(error instanceof DeliveryError ? error : new DeliveryError(`mail not sent: ${message(error)}`, false));
      }
    }
    if (signal.aborted) throw signal.reason;
    if (schedule.webhookUrl && !state.deliveredWebhook) {
      const event: ReportDeliveredEvent = {
        event: 'report.delivered',
        sent_at: new Date().toISOString(),
        schedule: {
          id: schedule.id,
          name: schedule.name,
          cron: schedule.cron,
          timezone: schedule.timezone,
          type: schedule.request.type,
          filters: schedule.request.filters,
          sections: schedule.request.sections,
          raw: schedule.request.raw,
          owner: schedule.ownerId,
        },
        run: runView({ ...run, attempts: state.attempts, exportId: state.exportId, error: state.error, deliveredEmail: [...state.deliveredEmail], deliveredWebhook: false }),
        export: { export_id: job.id, file_name: job.fileName!, file_size: job.fileSize!, download_url: link.url, data_as_of: job.dataAsOf, expires_at: link.expiresAt },
      };
      try {
        await this.delivery.postWebhook(schedule.webhookUrl, event);
        state.deliveredWebhook = true;
      } catch (error) {
        failures.push(error instanceof DeliveryError ? error : new DeliveryError(`webhook not delivered: ${message(error)}`, false));
      }
    }
    if (failures.length > 0) throw new DeliveryError(failures.map((failure) => failure.message).join('; '), failures.every((failure) => failure.permanent));
  }

  /**
   * An absolute signed link to the file, valid as long as the file is kept (EXPORT_RETENTION_HOURS),
   * not EXPORT_LINK_SECONDS: a mail is read hours later, and the link dies with the file anyway.
   */
  private link(job: ExportJob): { url: string; expiresAt: string } {
    const seconds = Math.max(60, Math.floor((Date.parse(job.expiresAt) - Date.now()) / 1000));
    const { grant, expiresAt } = this.exports.grants.sign(job.id, seconds);
    return { url: `${this.origin()}${EXPORTS_PATH}/${job.id}/download/?grant=${grant}`, expiresAt: expiresAt.toISOString() };
  }

  /** EXPORT_PUBLIC_URL, else http://HOST:PORT of this process (the port it actually listens on). */
  private origin(): string {
    if (this.config.exports.publicUrl) return this.config.exports.publicUrl;
    const address = this.http.httpAdapter?.getHttpServer()?.address() as { port: number } | string | null | undefined;
    const port = typeof address === 'object' && address !== null ? address.port : this.config.port;
    const host = this.config.host.includes(':') ? `[${this.config.host}]` : this.config.host;
    return `http://${host}:${port}`;
  }
}
