// The alert queue runs one work at a time and goes ahead without one that holds it past its limit,
// counting that from the work's start: a work that waited its turn behind a slow one has not
// overrun anything (a one-hour soak logged 60 such false overruns, "step: idle").
import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AlertQueue } from '../../apps/api/src/alerts/alert-queue.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(() => Logger.overrideLogger(false));
afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));

it('runs works one at a time, in order', async () => {
  const queue = new AlertQueue();
  const order: string[] = [];
  const first = queue.run(async () => {
    order.push('first starts');
    await sleep(30);
    order.push('first ends');
  });
  const second = queue.run(async () => {
    order.push('second starts');
  });
  await Promise.all([first, second]);
  expect(order).toEqual(['first starts', 'first ends', 'second starts']);
});

it('times a work from its start, not from when it was queued', async () => {
  const queue = new AlertQueue();
  queue.limitMs = 200;
  // Each takes 120 ms, under the limit; the second waits 120 ms for its turn (240 ms after it was queued).
  await Promise.all([queue.run(() => sleep(120)), queue.run(() => sleep(120))]);
  await sleep(150);
  expect(queue.overruns).toBe(0);
});

it('goes ahead without a work that overruns, and counts it', async () => {
  const queue = new AlertQueue();
  queue.limitMs = 50;
  void queue.run(() => sleep(400));
  const started = Date.now();
  await queue.run(async () => undefined);
  expect(Date.now() - started).toBeLessThan(350);
  expect(queue.overruns).toBe(1);
});
