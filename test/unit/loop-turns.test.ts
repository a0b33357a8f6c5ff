// The HTTP waiting line of a saturated event loop (apps/api/src/http/loop-turns.ts), on a clock
// the test moves by hand: `later` callbacks run at the next simulated iteration, as setImmediate's
// queued from an immediate do.
import { describe, expect, it } from 'vitest';
import { LoopTurns, TURN_BUDGET_MS, TURNS_PER_ITERATION, isHealthProbe, type LoopTurnsClock } from '../../apps/api/src/http/loop-turns.js';

class ManualLoop implements LoopTurnsClock {
  time = 0;
  private pending: Array<() => void> = [];
  now(): number {
    return this.time;
  }
  later(callback: () => void): void {
    this.pending.push(callback);
  }
  /** The check phase of the current iteration: what was queued before it, not what it queues. */
  endIteration(): void {
    const due = this.pending;
    this.pending = [];
    for (const callback of due) callback();
  }
}

describe('LoopTurns', () => {
  it('runs requests at once while a burst stays within the budget', () => {
    const loop = new ManualLoop();
    const turns = new LoopTurns(TURN_BUDGET_MS, loop);
    const ran: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      turns.take(() => ran.push(i));
      loop.time += (TURN_BUDGET_MS / 10);
    }
    expect(ran).toEqual([0, 1, 2, 3, 4]);
    expect(turns.status()).toEqual({ waiting: 0, deferred_total: 0, peak_waiting: 0 });
  });

  it('past the budget, later requests wait and run a few per iteration, in arrival order', () => {
    const loop = new ManualLoop();
    const turns = new LoopTurns(TURN_BUDGET_MS, loop);
    const ran: number[] = [];
    turns.take(() => ran.push(0));
    loop.time += TURN_BUDGET_MS; // the first request used the whole budget
    for (let i = 1; i <= 10; i += 1) turns.take(() => ran.push(i));
    expect(ran).toEqual([0]);
    expect(turns.status().waiting).toBe(10);

    const perIteration: number[][] = [];
    while (turns.status().waiting > 0) {
      const before = ran.length;
      loop.endIteration();
      perIteration.push(ran.slice(before));
    }
    expect(ran).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(perIteration.every((batch) => batch.length <= TURNS_PER_ITERATION)).toBe(true);
    expect(perIteration.length).toBe(Math.ceil(10 / TURNS_PER_ITERATION));
    expect(turns.status()).toEqual({ waiting: 0, deferred_total: 10, peak_waiting: 10 });
  });

  it('a request arriving in a fresh iteration still waits behind those already waiting (no overtaking)', () => {
    const loop = new ManualLoop();
    const turns = new LoopTurns(TURN_BUDGET_MS, loop);
    const ran: string[] = [];
    turns.take(() => ran.push('first'));
    loop.time += TURN_BUDGET_MS;
    for (let i = 0; i < 2 * TURNS_PER_ITERATION; i += 1) turns.take(() => ran.push(`waiting ${i}`));
    loop.endIteration(); // a first batch runs, the burst is over
    loop.time += 0.01;
    turns.take(() => ran.push('new arrival'));
    expect(ran).not.toContain('new arrival');
    loop.endIteration();
    loop.endIteration();
    expect(ran.at(-1)).toBe('new arrival');
    expect(ran.indexOf('new arrival')).toBe(1 + 2 * TURNS_PER_ITERATION);
  });

  it('once the line is empty, requests run at once again', () => {
    const loop = new ManualLoop();
    const turns = new LoopTurns(TURN_BUDGET_MS, loop);
    const ran: number[] = [];
    turns.take(() => ran.push(0));
    loop.time += TURN_BUDGET_MS;
    turns.take(() => ran.push(1));
    loop.endIteration();
    expect(ran).toEqual([0, 1]);
    loop.endIteration(); // nothing left; the next iteration begins a new burst
    turns.take(() => ran.push(2));
    expect(ran).toEqual([0, 1, 2]);
  });

  it('health probes have their own lane: a probe waits behind other probes only, the lanes alternate', () => {
    const loop = new ManualLoop();
    const turns = new LoopTurns(TURN_BUDGET_MS, loop);
    const ran: string[] = [];
    turns.take(() => ran.push('first'));
    loop.time += TURN_BUDGET_MS;
    for (let i = 0; i < 20; i += 1) turns.take(() => ran.push(`request ${i}`));
    turns.take(() => ran.push('probe'), 'probe');
    loop.endIteration();
    expect(ran[1]).toBe('probe'); // first of the next batch, ahead of 20 waiting requests
    expect(ran.slice(2)).toEqual(['request 0', 'request 1', 'request 2'].slice(0, TURNS_PER_ITERATION - 1));

    // A crowd of probes does not starve the rest: in every batch, as many requests as probes.
    for (let i = 0; i < 20; i += 1) turns.take(() => ran.push(`probe ${i}`), 'probe');
    const before = ran.length;
    loop.endIteration();
    const batch = ran.slice(before);
    expect(batch.filter((name) => name.startsWith('probe')).length).toBe(TURNS_PER_ITERATION / 2);
    expect(batch.filter((name) => name.startsWith('request')).length).toBe(TURNS_PER_ITERATION / 2);
  });

  it('knows the health probes among paths', () => {
    expect(['/health', '/health/', '/health/ready', '/health/ready/'].every(isHealthProbe)).toBe(true);
    expect(['/health/details', '/healthz', '/depannage/api/statistics/real_time_stats/', '/metrics'].some(isHealthProbe)).toBe(false);
  });
});
