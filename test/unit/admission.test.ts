// The engine's admission queue: priorities, FIFO within a priority, deadlines, cancellation of
// abandoned requests, a bounded queue that refuses (or evicts the least urgent), and no hang.
import { describe, expect, it } from 'vitest';
import { AdmissionControl, EngineBusyError, raiseEngineContext, withEngineContext, type EngineContext, type EnginePriority } from '../../libs/clickhouse/src/admission.js';

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function queued(admission: AdmissionControl, priority: EnginePriority, order: string[], name: string, options: { waitMs?: number; signal?: AbortSignal } = {}): Promise<string> {
  return withEngineContext({ priority, deadline: Date.now() + (options.waitMs ?? 5000), ...(options.signal ? { signal: options.signal } : {}) }, () =>
    admission.run(async () => {
      order.push(name);
      return name;
    }),
  );
}

describe('admission control', () => {
  it('runs the most urgent waiting query first, in arrival order within a priority', async () => {
    const admission = new AdmissionControl({ concurrency: 1, maxQueued: 10, defaultWaitMs: 1000 });
    const blocker = gate();
    const running = admission.run(() => blocker.promise);
    const order: string[] = [];
    const all = [
      queued(admission, 'analyst', order, 'analyst'),
      queued(admission, 'background', order, 'alerts'),
      queued(admission, 'interactive', order, 'dashboard-1'),
      queued(admission, 'export', order, 'export'),
      queued(admission, 'interactive', order, 'dashboard-2'),
      queued(admission, 'live', order, 'live'),
    ];
    expect(admission.status().queued).toEqual({ live: 1, interactive: 2, export: 1, analyst: 1, background: 1 });
    blocker.open();
    await running;
    await Promise.all(all);
    expect(order).toEqual(['live', 'dashboard-1', 'dashboard-2', 'export', 'analyst', 'alerts']);
    expect(admission.status()).toMatchObject({ running: 0, admitted: 7 });
  });

  it('refuses a query whose deadline passes while it waits, and one whose client went away', async () => {
    const admission = new AdmissionControl({ concurrency: 1, maxQueued: 10, defaultWaitMs: 1000 });
    const blocker = gate();
    const running = admission.run(() => blocker.promise);
    const order: string[] = [];
    const started = Date.now();
    const late = queued(admission, 'interactive', order, 'late', { waitMs: 50 });
    await expect(late).rejects.toMatchObject({ name: 'EngineBusyError', reason: 'deadline' });
    expect(Date.now() - started).toBeLessThan(1000);
    const abandoned = new AbortController();
    const gone = queued(admission, 'interactive', order, 'gone', { signal: abandoned.signal });
    abandoned.abort();
    await expect(gone).rejects.toMatchObject({ reason: 'cancelled' });
    expect(admission.status().queued.interactive).toBe(0);
    blocker.open();
    await running;
    expect(order).toEqual([]);
    expect(admission.status().refused).toMatchObject({ deadline: 1, cancelled: 1 });
  });

  it('when full, refuses the newcomer or evicts the newest less urgent waiter; a started request keeps its place', async () => {
    const admission = new AdmissionControl({ concurrency: 1, maxQueued: 2, defaultWaitMs: 1000 });
    const blocker = gate();
    const running = admission.run(() => blocker.promise);
    const order: string[] = [];
    const analyst = queued(admission, 'analyst', order, 'analyst');
    const export1 = queued(admission, 'export', order, 'export');
    // Full: another analyst is refused at once with a Retry-After.
    const refused = queued(admission, 'analyst', order, 'analyst-2');
    await expect(refused).rejects.toBeInstanceOf(EngineBusyError);
    await expect(refused).rejects.toMatchObject({ reason: 'queue_full' });
    expect(((await refused.catch((error: EngineBusyError) => error)) as EngineBusyError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    // A dashboard takes the analyst's place; live work is never refused for a full queue.
    const dashboard = queued(admission, 'interactive', order, 'dashboard');
    await expect(analyst).rejects.toMatchObject({ reason: 'queue_full' });
    const live = queued(admission, 'live', order, 'live');
    expect(admission.status().queued).toMatchObject({ live: 1, interactive: 1, export: 1, analyst: 0 });
    blocker.open();
    await running;
    expect(await Promise.all([live, dashboard, export1])).toEqual(['live', 'dashboard', 'export']);
    expect(order).toEqual(['live', 'dashboard', 'export']);
  });

  it('never waits when idle, runs `concurrency` at once, and refuses everything once closed', async () => {
    const admission = new AdmissionControl({ concurrency: 2, maxQueued: 10, defaultWaitMs: 1000 });
    let inside = 0;
    let most = 0;
    const work = async (): Promise<void> => {
      inside++;
      most = Math.max(most, inside);
      await sleep(20);
      inside--;
    };
    await Promise.all(Array.from({ length: 8 }, () => admission.run(work)));
    expect(most).toBe(2);
    const blocker = gate();
    const a = admission.run(() => blocker.promise);
    const b = admission.run(() => blocker.promise);
    const waiting = admission.run(async () => 'never');
    admission.close();
    await expect(waiting).rejects.toMatchObject({ reason: 'closed' });
    await expect(admission.run(async () => 'after')).rejects.toMatchObject({ reason: 'closed' });
    blocker.open();
    await Promise.all([a, b]);
  });
});

describe('admission control of requests that fan out', () => {
  it('once a request is in, its later queries are never refused for a full queue and run before later requests', async () => {
    const admission = new AdmissionControl({ concurrency: 1, maxQueued: 2, defaultWaitMs: 1000 });
    const blocker = gate();
    const running = admission.run(() => blocker.promise);
    const order: string[] = [];
    const context = { priority: 'interactive' as const, deadline: Date.now() + 5000 };
    const later = { priority: 'interactive' as const, deadline: Date.now() + 5000 };
    const run = (ctx: typeof context, name: string): Promise<string> => withEngineContext(ctx, () => admission.run(async () => (order.push(name), name)));
    const first = [run(context, 'a1'), run(context, 'a2')];
    const other = run(later, 'b1');
    await expect(other).rejects.toMatchObject({ reason: 'queue_full' });
    // The queue is full, but request a is in: its third query waits with the others.
    first.push(run(context, 'a3'));
    blocker.open();
    await running;
    expect(await Promise.all(first)).toEqual(['a1', 'a2', 'a3']);
    expect(order).toEqual(['a1', 'a2', 'a3']);
  });

  it('accounts engine time by priority and to the context that asked, without the wait for a turn', async () => {
    const admission = new AdmissionControl({ concurrency: 1, maxQueued: 10, defaultWaitMs: 5000 });
    const blocker = gate();
    const running = withEngineContext({ priority: 'interactive', deadline: Date.now() + 5000 }, () => admission.run(() => blocker.promise));
    const account = { busyMs: 0 };
    // Queued behind the blocker for ~400 ms, then 60 ms of its own work.
    const live = withEngineContext({ priority: 'live', deadline: Date.now() + 5000, account }, () => admission.run(() => sleep(60)));
    await sleep(400);
    blocker.open();
    await Promise.all([running, live]);
    expect(account.busyMs).toBeGreaterThanOrEqual(55);
    expect(account.busyMs, 'the wait for a turn is not the live query\'s').toBeLessThan(350);
    const busy = admission.status().busy_ms;
    expect(busy.interactive).toBeGreaterThanOrEqual(395);
    expect(busy.live).toBe(Math.round(account.busyMs));
    expect(busy.export + busy.analyst + busy.background).toBe(0);
  });

  it('a shared computation raised by a more urgent joiner moves up with its queued queries and keeps the later deadline', async () => {
    const admission = new AdmissionControl({ concurrency: 1, maxQueued: 10, defaultWaitMs: 5000 });
    const blocker = gate();
    const running = admission.run(() => blocker.promise);
    const order: string[] = [];
    const dashboard = queued(admission, 'interactive', order, 'dashboard');
    // A dashboard request's computation, about to be refused at its 100 ms deadline...
    const shared: EngineContext = { priority: 'interactive', deadline: Date.now() + 100 };
    const computation = withEngineContext(shared, () => admission.run(async () => void order.push('shared')));
    const exporter = queued(admission, 'export', order, 'export');
    // ...joined by a live screen, which may wait 5 s and comes first.
    raiseEngineContext(shared, { priority: 'live', deadline: Date.now() + 5000 });
    expect(shared).toMatchObject({ priority: 'live' });
    expect(admission.status().queued).toMatchObject({ live: 1, interactive: 1, export: 1 });
    // A less urgent or earlier joiner changes nothing.
    raiseEngineContext(shared, { priority: 'analyst', deadline: Date.now() + 50 });
    expect(shared.priority).toBe('live');
    await sleep(250);
    blocker.open();
    await Promise.all([running, dashboard, computation, exporter]);
    expect(order).toEqual(['shared', 'dashboard', 'export']);
    expect(admission.status().refused.deadline).toBe(0);
  });
});
