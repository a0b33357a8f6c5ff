// The soak's writers, in a child process (child_process.fork) so that their work never runs on the
// service's event loop nor counts in its memory: several demo simulators side by side (one
// simulator runs one transaction at a time, and one transaction takes a few milliseconds, so a
// single one cannot reach hundreds of changes a second), each at an equal share of the rate.
// The parent asks for the counts since its last question, and finally stops them.
import pg from 'pg';
import { Simulator } from '../apps/demo/src/simulator.js';

export interface WriterJob {
  databaseUrl: string;
  /** Simulator steps (transactions) per second, all simulators together. */
  stepsPerSecond: number;
  simulators: number;
}

export interface WriterCounts {
  steps: number;
  /** Steps with nothing to act on (no pending request to assign...): no row written. */
  skipped: number;
  /** Steps rolled back (a conflict between simulators, a deadlock...). */
  failed: number;
}

export type WriterRequest = { type: 'start'; job: WriterJob } | { type: 'sample' } | { type: 'stop' };
export type WriterReply =
  | { type: 'started' }
  | { type: 'sample'; counts: WriterCounts; failures: string[] }
  | { type: 'stopped'; totals: WriterCounts; byKind: Record<string, number> }
  | { type: 'failed'; error: string };

let pool: pg.Pool | null = null;
const simulators: Simulator[] = [];
const reported: WriterCounts = { steps: 0, skipped: 0, failed: 0 };
const failureMessages: string[] = [];

function totals(): WriterCounts {
  const sum: WriterCounts = { steps: 0, skipped: 0, failed: 0 };
  for (const simulator of simulators) {
    const stats = simulator.stats;
    sum.steps += stats.steps ?? 0;
    sum.skipped += stats.skipped ?? 0;
    sum.failed += stats.failed ?? 0;
  }
  return sum;
}

function start(job: WriterJob): void {
  pool = new pg.Pool({ connectionString: job.databaseUrl, max: job.simulators + 1 });
  for (let i = 0; i < job.simulators; i++) {
    const simulator = new Simulator(pool, {
      ratePerSecond: job.stepsPerSecond / job.simulators,
      seed: 7919 * (i + 1),
      log: () => undefined,
      // Kept for the report (a few), counted by the simulator itself.
      warn: (message) => {
        if (failureMessages.length < 20) failureMessages.push(message);
      },
    });
    simulators.push(simulator);
    simulator.start();
  }
}

async function stop(): Promise<WriterReply> {
  await Promise.all(simulators.map((simulator) => simulator.stop()));
  await pool?.end();
  const byKind: Record<string, number> = {};
  for (const simulator of simulators) {
    for (const [kind, count] of Object.entries(simulator.stats)) byKind[kind] = (byKind[kind] ?? 0) + count;
  }
  return { type: 'stopped', totals: totals(), byKind };
}

function serve(): void {
  const send = (reply: WriterReply): void => {
    process.send!(reply);
  };
  process.on('message', (message: WriterRequest) => {
    void (async () => {
      try {
        if (message.type === 'start') {
          start(message.job);
          send({ type: 'started' });
        } else if (message.type === 'sample') {
          const now = totals();
          const counts = { steps: now.steps - reported.steps, skipped: now.skipped - reported.skipped, failed: now.failed - reported.failed };
          Object.assign(reported, now);
          send({ type: 'sample', counts, failures: failureMessages.splice(0) });
        } else {
          send(await stop());
        }
      } catch (error) {
        send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
}

if (process.send) serve();
