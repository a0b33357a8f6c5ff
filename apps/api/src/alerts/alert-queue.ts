// Alert evaluations and administrators' actions on alerts run one at a time: each reads, then
// writes, alert state. The queue waits for one at most ROUND_LIMIT_MS: one that never settles (a
// query that hangs) must not silence every later evaluation and block shutdown; it is logged with
// the step it was in, and left to finish on its own.
import { Injectable, Logger } from '@nestjs/common';

/** Longest a queued evaluation or acknowledgement may hold the queue. */
export const ROUND_LIMIT_MS = 60_000;

@Injectable()
export class AlertQueue {
  private readonly logger = new Logger('statistics.alerts');
  private chain: Promise<unknown> = Promise.resolve();
  /** What the work under way is doing (logged if it does not finish). */
  step = 'idle';
  /** How long one may hold the queue (ms). */
  limitMs = ROUND_LIMIT_MS;
  /** Works that overran the limit (the queue went ahead without them). */
  overruns = 0;

  /** Runs `work` after the previous one. */
  run<T>(work: () => Promise<T>): Promise<T> {
    const previous = this.chain;
    const run = previous.then(work, work);
    // Its time counts from its start, not from its place in line (a round queued behind a slow one
    // has not overrun anything yet).
    this.chain = previous
      .then(() => settlesWithin(run, this.limitMs))
      .then((settled) => {
        if (settled) return;
        this.overruns++;
        this.logger.error({ message: 'alert evaluation or action did not finish in time; the next ones go ahead', step: this.step, limit_ms: this.limitMs });
      });
    return run;
  }

  /** Whether the work under way ends within `ms` (shutdown's wait). */
  idleWithin(ms: number): Promise<boolean> {
    return settlesWithin(this.chain, ms);
  }
}

/** Whether `promise` settles (either way) within `ms`; it is not cancelled otherwise. */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  const settled = promise.then(
    () => true,
    () => true,
  );
  return Promise.race([settled, late]).finally(() => clearTimeout(timer));
}
