// Requests take turns across event-loop iterations when the loop is saturated, so that it keeps
// accepting connections.
//
// libuv accepts one connection per loop iteration (libuv PR #3696), and an iteration runs the
// callbacks of every socket that was ready. With 200 busy keep-alive clients an iteration lasted
// ~36 ms, so new connections (a liveness probe, a wall of screens after a restart) waited in the
// kernel's accept queue: measured on a bare Node server costing 0.18 ms a request, 30 accepts/s,
// 300 connections queued, and a new client's first answer after 10 s while the old ones were
// served in 50 ms. So: within one iteration, requests run at once until BUDGET ms have passed since
// the first of them; later ones wait in a FIFO and run a few per iteration (setImmediate queued
// from an immediate runs in the next iteration). Iterations stay short, every connection is accepted
// within a few of them, and requests are served in arrival order whatever connection they came on.
// Health probes have a lane of their own, served in alternation with the rest, so that a probe does
// not wait behind a crowd (nor a crowd of probes starve the rest).
import type { FastifyInstance } from 'fastify';

/** Time a burst of requests may run inline in one loop iteration before the rest take turns. */
export const TURN_BUDGET_MS = 2;
/** Waiting requests run per loop iteration (alternating between the lanes while both wait). */
export const TURNS_PER_ITERATION = 4;

/** Health probes have their own lane, served alternately with the rest: a probe never waits behind a crowd. */
export type TurnLane = 'probe' | 'request';

export interface LoopTurnsClock {
  now(): number;
  /** Runs `callback` in a later loop iteration's check phase (setImmediate). */
  later(callback: () => void): void;
}

const REAL_CLOCK: LoopTurnsClock = { now: () => performance.now(), later: (callback) => void setImmediate(callback) };

export class LoopTurns {
  private readonly lanes: Record<TurnLane, Array<() => void>> = { probe: [], request: [] };
  /** When this iteration's first request arrived; cleared by an immediate, i.e. at the iteration's end. */
  private burstStart: number | null = null;
  private draining = false;
  private deferredTotal = 0;
  private peak = 0;

  constructor(
    private readonly budgetMs = TURN_BUDGET_MS,
    private readonly clock: LoopTurnsClock = REAL_CLOCK,
  ) {}

  /** Runs `turn` now, or queues it in its lane behind the requests already waiting. */
  take(turn: () => void, lane: TurnLane = 'request'): void {
    const now = this.clock.now();
    if (this.burstStart === null) {
      this.burstStart = now;
      this.clock.later(() => (this.burstStart = null));
    }
    if (this.waiting === 0 && now - this.burstStart < this.budgetMs) return turn();
    this.lanes[lane].push(turn);
    this.deferredTotal += 1;
    this.peak = Math.max(this.peak, this.waiting);
    if (!this.draining) {
      this.draining = true;
      this.clock.later(() => this.drain());
    }
  }

  private get waiting(): number {
    return this.lanes.probe.length + this.lanes.request.length;
  }

  /** A few waiting requests per iteration, oldest first in each lane, the lanes in alternation. */
  private drain(): void {
    const turns: Array<() => void> = [];
    let lane: TurnLane = 'probe';
    while (turns.length < TURNS_PER_ITERATION && this.waiting > 0) {
      const next = this.lanes[lane].shift();
      if (next) turns.push(next);
      lane = lane === 'probe' ? 'request' : 'probe';
    }
    if (this.waiting > 0) this.clock.later(() => this.drain());
    else this.draining = false;
    for (const turn of turns) turn();
  }

  status(): { waiting: number; deferred_total: number; peak_waiting: number } {
    return { waiting: this.waiting, deferred_total: this.deferredTotal, peak_waiting: this.peak };
  }
}

/** The first onRequest hook: every request takes its turn, health probes in their own lane. */
export function takeTurns(fastify: FastifyInstance, turns: LoopTurns): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    turns.take(() => done(), isHealthProbe(request.url.split('?')[0]!) ? 'probe' : 'request');
  });
}

/** Liveness and readiness answer from memory (or share one probe). */
export function isHealthProbe(path: string): boolean {
  return path === '/health' || path === '/health/' || path === '/health/ready' || path === '/health/ready/';
}
