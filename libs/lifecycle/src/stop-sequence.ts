// What a process started, stopped in the reverse order of starting (each part stops before what it
// depends on), each step logged with its duration; a failed step is logged and does not keep the
// later ones from running, and close() then rejects naming every failure. Used by the API runtime,
// the ingest service and the demo database, whose stops the entry point drives (Ctrl-C, deadline).
import type { Logger } from '@nestjs/common';
import { errorMessage } from '../../errors/src/error-message.js';

export class StopSequence {
  private readonly steps: Array<{ step: string; run: () => Promise<void> }> = [];
  private closing: Promise<void> | null = null;
  private current: string | null = null;

  constructor(private readonly logger: Pick<Logger, 'log' | 'error'>) {}

  /** Registers what stops `step`; it will run before everything registered earlier. */
  add(step: string, run: () => Promise<void>): void {
    this.steps.push({ step, run });
  }

  /** Whether close() was called. */
  get started(): boolean {
    return this.closing !== null;
  }

  /** The step close() is waiting on; null when idle or done. */
  currentStep(): string | null {
    return this.current;
  }

  /** Runs every step once, newest first; a second call returns the same promise. */
  close(): Promise<void> {
    this.closing ??= this.runAll();
    return this.closing;
  }

  /** close() after a failed start: its own failure is logged, the start's error is what the caller throws. */
  async closeAfterFailedStart(): Promise<void> {
    await this.close().catch((error: unknown) =>
      this.logger.error({ message: 'cleanup after a failed start also failed', error: errorMessage(error) }),
    );
  }

  private async runAll(): Promise<void> {
    const failures: string[] = [];
    for (const { step, run } of [...this.steps].reverse()) {
      this.current = step;
      const started = Date.now();
      try {
        await run();
        this.logger.log(`stopped: ${step} (${Date.now() - started} ms)`);
      } catch (error) {
        const reason = errorMessage(error);
        failures.push(`${step}: ${reason}`);
        this.logger.error(`could not stop cleanly: ${step}: ${reason}`);
      }
    }
    this.current = null;
    if (failures.length > 0) throw new Error(`shutdown steps failed: ${failures.join('; ')}`);
  }
}
