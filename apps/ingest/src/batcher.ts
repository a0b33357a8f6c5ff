// When the stream's transactions are written (batch.ts gathers them). One write at a time. A batch
// of INGEST_BATCH_ROWS changes goes at once; a smaller one after INGEST_BATCH_DELAY_MS. What arrives
// during a write is written next (group commit): at once if full, else after a pause as long as
// that write took, so that under a steady trickle the ingest keeps at most about half of the engine
// (a batch's cost is mostly per table and per part written, not per row, and every write slows the
// statistics queries running alongside it; on a quiet engine a write takes tens of milliseconds).
// If the batch waiting behind a write reaches twice the limit, the replication socket is held
// until the write ends. After a failed write nothing more is written until the stream restarts
// from the last acknowledged position (reset): acknowledging a later batch would skip the failed one.
import { addToBatch, emptyBatch, type Batch } from './batch.js';
import type { PgOutputMessage } from './pgoutput.js';

export interface BatcherOptions {
  batchRows: number;
  batchDelayMs: number;
}

export interface BatcherHooks {
  /** Writes the batch and acknowledges it; a rejection is a failed write. */
  write(batch: Batch): Promise<void>;
  /** A write failed: nothing more is written until reset(). */
  failed(error: Error): void;
  /** Stop reading the replication socket, and read it again. */
  hold(): void;
  release(): void;
}

export interface BatcherClock {
  now(): number;
  schedule(callback: () => void, ms: number): unknown;
  cancel(handle: unknown): void;
}

const REAL_CLOCK: BatcherClock = {
  now: () => performance.now(),
  schedule: (callback, ms) => setTimeout(callback, ms),
  cancel: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class Batcher {
  private batch: Batch = emptyBatch();
  private inTransaction = false;
  private writing: Promise<void> | null = null;
  private timer: unknown = null;
  private held = false;
  private failedWrite = false;
  private stopped = false;

  constructor(
    private readonly options: BatcherOptions,
    private readonly hooks: BatcherHooks,
    private readonly clock: BatcherClock = REAL_CLOCK,
  ) {}

  /** Adds one decoded message at WAL position `position`; a commit may start a write. Throws what batch.ts refuses. */
  add(message: PgOutputMessage, position: bigint): void {
    const event = addToBatch(this.batch, message, position);
    if (event === 'begin') this.inTransaction = true;
    else if (event === 'commit') {
      this.inTransaction = false;
      this.schedule();
    }
  }

  /** The stream starts (again) from the acknowledged position: Postgres resends what was gathered. */
  reset(): void {
    this.cancelTimer();
    this.batch = emptyBatch();
    this.inTransaction = false;
    this.failedWrite = false;
  }

  /** Writes may start (again) after a stop. */
  start(): void {
    this.stopped = false;
  }

  /** No write starts from now on; the one running goes on (see settled()). */
  stop(): void {
    this.stopped = true;
    this.cancelTimer();
  }

  /** Resolves when the write in progress, if any, has ended (successfully or not). */
  settled(): Promise<void> {
    return this.writing ?? Promise.resolve();
  }

  /** Nothing received is waiting or being written: the slot may advance to a keepalive's position. */
  get idle(): boolean {
    return !this.inTransaction && this.batch.transactions === 0 && this.writing === null && !this.failedWrite;
  }

  private schedule(): void {
    if (this.batch.changes >= this.options.batchRows) this.flush();
    else if (this.timer === null) this.timer = this.clock.schedule(() => this.timerFired(), this.options.batchDelayMs);
  }

  private timerFired(): void {
    this.timer = null;
    this.flush();
  }

  private cancelTimer(): void {
    if (this.timer === null) return;
    this.clock.cancel(this.timer);
    this.timer = null;
  }

  private flush(): void {
    if (this.writing) {
      if (this.batch.changes >= this.options.batchRows * 2 && !this.held) {
        this.held = true;
        this.hooks.hold();
      }
      return;
    }
    if (this.stopped || this.failedWrite || this.batch.transactions === 0) return;
    const batch = this.batch;
    this.batch = emptyBatch();
    const started = this.clock.now();
    this.writing = this.hooks
      .write(batch)
      .catch((error: unknown) => {
        this.failedWrite = true;
        this.hooks.failed(error instanceof Error ? error : new Error(String(error)));
      })
      .finally(() => {
        this.writing = null;
        if (this.held) {
          this.held = false;
          this.hooks.release();
        }
        if (this.batch.transactions === 0 || this.stopped) return;
        this.cancelTimer();
        if (this.batch.changes >= this.options.batchRows) this.flush();
        else this.timer = this.clock.schedule(() => this.timerFired(), this.clock.now() - started);
      });
  }
}
