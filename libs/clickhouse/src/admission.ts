// Admission control in front of the analytical engine. The embedded engine runs one query at a
// time and keeps whatever is handed to it, in order, even for a client that went away: without a
// gate of ours, 200 concurrent requests meant 30 s hangs for everyone, health probes included.
// Every read goes through a bounded queue with priorities (live screens and health, then
// dashboards, then exports, then analysts, then background work), each waiting with a deadline
// and a cancellation signal taken from the caller's context (AsyncLocalStorage, set per HTTP
// request or by the worker that runs the query). A full queue or a passed deadline is an
// EngineBusyError (the API answers 503 with Retry-After), never an unbounded wait. Writes of the
// ingest do not come through here: they must never be refused.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ClickHouse, InsertRequest, QueryParams } from './clickhouse.js';

/** Highest first. */
export const ENGINE_PRIORITIES = ['live', 'interactive', 'export', 'analyst', 'background'] as const;
export type EnginePriority = (typeof ENGINE_PRIORITIES)[number];

export interface EngineContext {
  priority: EnginePriority;
  /** Epoch ms after which a query still waiting is refused. */
  deadline: number;
  /** Aborted when the caller no longer wants the answer (its client went away). */
  signal?: AbortSignal;
  /** Engine time taken by this context's queries is added here (ms; the wait for a turn is not). */
  account?: { busyMs: number };
}

const contexts = new AsyncLocalStorage<EngineContext>();

/** Runs `work` with queries admitted as `context` says (priority, deadline, cancellation). */
export function withEngineContext<T>(context: EngineContext, work: () => T): T {
  return contexts.run(context, work);
}

export function currentEngineContext(): EngineContext | undefined {
  return contexts.getStore();
}

/**
 * Runs `work` with the current priority and deadline but no cancellation: for a computation shared
 * by several requests, which one of them going away must not cancel.
 */
export function withoutCancellation<T>(work: () => T): T {
  const context = contexts.getStore();
  return context?.signal ? contexts.run(withoutSignal(context), work) : work();
}

/** A copy of `context` without its cancellation signal (for work several requests share). */
export function withoutSignal(context: EngineContext): EngineContext {
  const { signal: _, ...rest } = context;
  return rest;
}

/** How each context's queued queries are moved when the context is raised (set by the admission that holds them). */
const requeuers = new WeakMap<EngineContext, () => void>();

/**
 * Raises `context` (a computation shared by several requests) to the priority and deadline of
 * `joiner` where those are higher or later, its queued queries included: a live screen that joins a
 * dashboard request's computation must not wait, or be refused, as that request would be.
 */
export function raiseEngineContext(context: EngineContext, joiner: EngineContext | undefined): void {
  if (!joiner) return;
  const higher = ENGINE_PRIORITIES.indexOf(joiner.priority) < ENGINE_PRIORITIES.indexOf(context.priority);
  const later = joiner.deadline > context.deadline;
  if (!higher && !later) return;
  if (higher) context.priority = joiner.priority;
  if (later) context.deadline = joiner.deadline;
  requeuers.get(context)?.();
}

export type RefusalReason = 'queue_full' | 'deadline' | 'cancelled' | 'closed';

/** The engine is too busy to take this query now; retry after `retryAfterSeconds`. */
export class EngineBusyError extends Error {
  constructor(
    readonly reason: RefusalReason,
    readonly retryAfterSeconds: number,
    detail: string,
  ) {
    super(detail);
    this.name = 'EngineBusyError';
  }
}

export interface AdmissionSettings {
  /** Queries handed to the engine at once (1 for the embedded engine). */
  concurrency: number;
  /** Queries waiting at most, all priorities together. */
  maxQueued: number;
  /** Deadline of a query run outside any context (ms). */
  defaultWaitMs: number;
}

interface Waiter {
  priority: number;
  /** Arrival order of the waiter's context: a request's queries are served before later requests'. */
  sequence: number;
  context: EngineContext;
  enqueuedAt: number;
  start: () => void;
  refuse: (error: EngineBusyError) => void;
  /** Refuses the waiter at its context's deadline (set once queued). */
  timer: NodeJS.Timeout | undefined;
  onAbort?: () => void;
}

export interface AdmissionStatus {
  concurrency: number;
  running: number;
  queued: Record<EnginePriority, number>;
  admitted: number;
  refused: Record<RefusalReason, number>;
  /** The same refusals by the priority of the query refused. */
  refused_by_priority: Record<EnginePriority, number>;
  /** Time spent waiting for a turn, over the last 1 000 admitted queries (ms). */
  wait_ms: { p50: number; p99: number; max: number };
  /** Engine time taken by admitted queries since the start, by priority (ms; who uses the engine). */
  busy_ms: Record<EnginePriority, number>;
}

const WAIT_SAMPLES = 1000;

export class AdmissionControl {
  private running = 0;
  /** One FIFO per priority. */
  private readonly queues: Waiter[][] = ENGINE_PRIORITIES.map(() => []);
  private queued = 0;
  private admitted = 0;
  private readonly refused: Record<RefusalReason, number> = { queue_full: 0, deadline: 0, cancelled: 0, closed: 0 };
  private readonly waits: number[] = [];
  private readonly busy: number[] = ENGINE_PRIORITIES.map(() => 0);
  private readonly refusedByPriority: number[] = ENGINE_PRIORITIES.map(() => 0);
  private closed = false;
  /**
   * Contexts (requests) in arrival order, and those already let in: a request fans out into many
   * queries, some after others; once one of its queries got a turn, the rest are never refused
   * for a full queue (that would waste what it already computed), only newcomers are.
   */
  private readonly sequences = new WeakMap<EngineContext, number>();
  /** Contexts with a query queued or run: never refused for a full queue again. */
  private readonly accepted = new WeakSet<EngineContext>();
  /** Contexts with a query run: never evicted (what they computed would be lost). */
  private readonly entered = new WeakSet<EngineContext>();
  private nextSequence = 0;

  constructor(readonly settings: AdmissionSettings) {
    if (settings.concurrency < 1 || settings.maxQueued < 0) throw new RangeError('admission: concurrency ≥ 1 and maxQueued ≥ 0');
  }

  /** Runs `work` when its turn comes under the current context; refuses with EngineBusyError. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const context = currentEngineContext() ?? { priority: 'interactive', deadline: Date.now() + this.settings.defaultWaitMs };
    await this.admit(context);
    const started = performance.now();
    try {
      return await work();
    } finally {
      const busyMs = performance.now() - started;
      this.busy[ENGINE_PRIORITIES.indexOf(context.priority)]! += busyMs;
      if (context.account) context.account.busyMs += busyMs;
      this.running--;
      this.next();
    }
  }

  status(): AdmissionStatus {
    const sorted = [...this.waits].sort((a, b) => a - b);
    const at = (p: number): number => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!);
    return {
      concurrency: this.settings.concurrency,
      running: this.running,
      queued: Object.fromEntries(ENGINE_PRIORITIES.map((name, i) => [name, this.queues[i]!.length])) as Record<EnginePriority, number>,
      admitted: this.admitted,
      refused: { ...this.refused },
      refused_by_priority: Object.fromEntries(ENGINE_PRIORITIES.map((name, i) => [name, this.refusedByPriority[i]!])) as Record<EnginePriority, number>,
      wait_ms: { p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0 },
      busy_ms: Object.fromEntries(ENGINE_PRIORITIES.map((name, i) => [name, Math.round(this.busy[i]!)])) as Record<EnginePriority, number>,
    };
  }

  /** Refuses everything waiting (shutdown). */
  close(): void {
    this.closed = true;
    for (const queue of this.queues) {
      for (const waiter of queue.splice(0)) this.drop(waiter, new EngineBusyError('closed', 5, 'the service is stopping'));
    }
    this.queued = 0;
  }

  private admit(context: EngineContext): Promise<void> {
    const priority = ENGINE_PRIORITIES.indexOf(context.priority);
    if (this.closed) return Promise.reject(this.count(new EngineBusyError('closed', 5, 'the service is stopping'), priority));
    if (context.signal?.aborted) return Promise.reject(this.count(new EngineBusyError('cancelled', 1, 'the request was abandoned'), priority));
    let sequence = this.sequences.get(context);
    if (sequence === undefined) {
      sequence = this.nextSequence++;
      this.sequences.set(context, sequence);
    }
    if (this.running < this.settings.concurrency && this.queued === 0) {
      this.running++;
      this.accepted.add(context);
      this.entered.add(context);
      this.record(0);
      return Promise.resolve();
    }
    // Live work (health, live rooms) is small and bounded: never refused for a full queue.
    const capped = context.priority !== 'live' && !this.accepted.has(context);
    if (capped && this.queued >= this.settings.maxQueued && !this.evictBelow(priority)) {
      return Promise.reject(
        this.count(new EngineBusyError('queue_full', this.retryAfter(), `the analytics engine is busy (${this.queued} queries waiting); retry shortly`), priority),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        priority,
        sequence: sequence!,
        context,
        enqueuedAt: Date.now(),
        start: resolve,
        refuse: reject,
        timer: undefined,
      };
      waiter.timer = this.deadlineTimer(waiter);
      if (context.signal) {
        waiter.onAbort = () => this.remove(waiter, new EngineBusyError('cancelled', 1, 'the request was abandoned'));
        context.signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.enqueue(waiter);
      this.queued++;
      this.accepted.add(context);
      requeuers.set(context, () => this.requeue(context));
    });
  }

  /** In arrival order of requests within the waiter's priority (a request's later queries join its earlier ones' place). */
  private enqueue(waiter: Waiter): void {
    const queue = this.queues[waiter.priority]!;
    let index = queue.length;
    while (index > 0 && queue[index - 1]!.sequence > waiter.sequence) index--;
    queue.splice(index, 0, waiter);
  }

  /** Moves the waiting queries of a raised context to its priority now, with its deadline now. */
  private requeue(context: EngineContext): void {
    const priority = ENGINE_PRIORITIES.indexOf(context.priority);
    for (const queue of this.queues) {
      for (const waiter of queue.filter((candidate) => candidate.context === context)) {
        queue.splice(queue.indexOf(waiter), 1);
        waiter.priority = priority;
        clearTimeout(waiter.timer);
        waiter.timer = this.deadlineTimer(waiter);
        this.enqueue(waiter);
      }
    }
  }

  private deadlineTimer(waiter: Waiter): NodeJS.Timeout {
    return setTimeout(
      () => this.remove(waiter, new EngineBusyError('deadline', this.retryAfter(), 'the analytics engine is busy: no turn before the deadline; retry shortly')),
      Math.max(0, waiter.context.deadline - Date.now()),
    );
  }

  /**
   * Makes room for a query of `priority` by refusing the newest waiter of a lower one whose request
   * has not started yet (refusing a started one would waste what it computed).
   */
  private evictBelow(priority: number): boolean {
    for (let lower = this.queues.length - 1; lower > priority; lower--) {
      const queue = this.queues[lower]!;
      let index = queue.length - 1;
      while (index >= 0 && this.entered.has(queue[index]!.context)) index--;
      if (index >= 0) {
        // Every waiting query of that request goes: one refused query fails the whole request.
        const victim = queue[index]!.context;
        for (const waiter of queue.filter((candidate) => candidate.context === victim)) {
          this.remove(waiter, new EngineBusyError('queue_full', this.retryAfter(), 'the analytics engine is busy with more urgent work; retry shortly'));
        }
        return true;
      }
    }
    return false;
  }

  private next(): void {
    while (this.running < this.settings.concurrency && this.queued > 0) {
      const queue = this.queues.find((candidates) => candidates.length > 0)!;
      const waiter = queue.shift()!;
      this.queued--;
      this.release(waiter);
      this.running++;
      this.entered.add(waiter.context);
      this.record(Date.now() - waiter.enqueuedAt);
      waiter.start();
    }
  }

  private remove(waiter: Waiter, error: EngineBusyError): void {
    const queue = this.queues[waiter.priority]!;
    const index = queue.indexOf(waiter);
    if (index < 0) return;
    queue.splice(index, 1);
    this.queued--;
    this.drop(waiter, error);
  }

  private drop(waiter: Waiter, error: EngineBusyError): void {
    this.release(waiter);
    this.count(error, waiter.priority);
    waiter.refuse(error);
  }

  private release(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    if (waiter.onAbort) waiter.context.signal?.removeEventListener('abort', waiter.onAbort);
  }

  private count(error: EngineBusyError, priority: number): EngineBusyError {
    this.refused[error.reason]++;
    this.refusedByPriority[priority]!++;
    return error;
  }

  private record(waitMs: number): void {
    this.admitted++;
    this.waits.push(waitMs);
    if (this.waits.length > WAIT_SAMPLES) this.waits.shift();
  }

  /** Seconds a refused client should wait: about the time to drain what is queued, at least 1. */
  private retryAfter(): number {
    const { p50 } = this.status().wait_ms;
    return Math.max(1, Math.min(30, Math.ceil(((p50 || 50) * Math.max(1, this.queued)) / 1000)));
  }
}

/**
 * The engine as the API sees it: reads (query, command, ping) wait their turn; inserts go straight
 * through (the ingest writes with the engine itself; the API's own measurements are small).
 */
export class AdmittedClickHouse implements ClickHouse {
  readonly engine: ClickHouse['engine'];
  readonly database: string;

  constructor(
    readonly inner: ClickHouse,
    readonly admission: AdmissionControl,
  ) {
    this.engine = inner.engine;
    this.database = inner.database;
  }

  query<Row = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<Row[]> {
    return this.admission.run(() => this.inner.query<Row>(sql, params));
  }

  command(sql: string, params?: QueryParams): Promise<void> {
    return this.admission.run(() => this.inner.command(sql, params));
  }

  insert(request: InsertRequest): Promise<void> {
    return this.inner.insert(request);
  }

  ping(): Promise<void> {
    return this.admission.run(() => this.inner.ping());
  }

  close(): Promise<void> {
    this.admission.close();
    return this.inner.close();
  }
}
