// When the ingest writes (apps/ingest/src/batcher.ts), on a clock the test moves by hand and writes
// the test ends by hand: full batches at once, small ones after the delay, one write at a time with
// group commit after a pause as long as the last write, the socket held behind a long write,
// nothing written after a failed write until the stream restarts, nothing after a stop.
import { describe, expect, it } from 'vitest';
import type { Batch } from '../../apps/ingest/src/batch.js';
import { Batcher, type BatcherClock } from '../../apps/ingest/src/batcher.js';
import type { PgOutputMessage, Relation } from '../../apps/ingest/src/pgoutput.js';

const client: Relation = { oid: 1, schema: 'public', name: 'depannage_client', columns: [] };
const begin: PgOutputMessage = { tag: 'begin', finalLsn: 0n, commitTime: new Date('2026-12-01T10:00:00Z'), xid: 7 };

class ManualClock implements BatcherClock {
  time = 0;
  private timers: Array<{ at: number; callback: () => void; handle: number }> = [];
  private next = 1;
  now(): number {
    return this.time;
  }
  schedule(callback: () => void, ms: number): unknown {
    const handle = this.next++;
    this.timers.push({ at: this.time + ms, callback, handle });
    return handle;
  }
  cancel(handle: unknown): void {
    this.timers = this.timers.filter((timer) => timer.handle !== handle);
  }
  get pending(): number[] {
    return this.timers.map((timer) => timer.at - this.time);
  }
  advance(ms: number): void {
    this.time += ms;
    const due = this.timers.filter((timer) => timer.at <= this.time);
    this.timers = this.timers.filter((timer) => timer.at > this.time);
    for (const timer of due) timer.callback();
  }
}

/** A write the test finishes (or fails) when it wants. */
interface PendingWrite {
  batch: Batch;
  finish(): Promise<void>;
  fail(error: Error): Promise<void>;
}

function harness(batchRows = 10, batchDelayMs = 50) {
  const clock = new ManualClock();
  const writes: PendingWrite[] = [];
  const events: string[] = [];
  const failures: Error[] = [];
  const batcher = new Batcher(
    { batchRows, batchDelayMs },
    {
      write: (batch) =>
        new Promise<void>((resolve, reject) => {
          const settle = async (fn: () => void): Promise<void> => {
            fn();
            await batcher.settled(); // the batcher's own follow-up (release, next schedule) has run
          };
          writes.push({ batch, finish: () => settle(resolve), fail: (error) => settle(() => reject(error)) });
        }),
      failed: (error) => failures.push(error),
      hold: () => events.push('hold'),
      release: () => events.push('release'),
    },
    clock,
  );
  let lsn = 1n;
  let id = 1;
  /** One committed transaction of `changes` inserts. */
  const transaction = (changes: number): void => {
    batcher.add(begin, lsn++);
    for (let i = 0; i < changes; i += 1) {
      batcher.add({ tag: 'insert', relation: client, row: { values: new Map([['id', String(id++)], ['user_id', '5'], ['is_active', 't'], ['created_at', '2026-12-01 10:00:00+00']]), unchanged: [] } }, lsn++);
    }
    const endLsn = lsn++;
    batcher.add({ tag: 'commit', commitLsn: endLsn - 1n, endLsn, commitTime: new Date('2026-12-01T10:00:01Z') }, endLsn);
  };
  return { clock, writes, events, failures, batcher, transaction };
}

describe('Batcher', () => {
  it('writes a full batch at once and a small one after the delay', () => {
    const { clock, writes, transaction } = harness(10, 50);
    transaction(3);
    expect(writes).toHaveLength(0);
    expect(clock.pending).toEqual([50]);
    clock.advance(49);
    expect(writes).toHaveLength(0);
    clock.advance(1);
    expect(writes).toHaveLength(1);
    expect(writes[0]!.batch).toMatchObject({ changes: 3, transactions: 1 });

    const full = harness(10, 50);
    full.transaction(10);
    expect(full.writes).toHaveLength(1);
    expect(full.writes[0]!.batch.changes).toBe(10);
  });

  it('is idle only with nothing received, waiting or being written', () => {
    const { batcher, clock, writes, transaction } = harness();
    expect(batcher.idle).toBe(true);
    batcher.add(begin, 1n);
    expect(batcher.idle).toBe(false); // inside a transaction
    batcher.reset();
    expect(batcher.idle).toBe(true);
    transaction(1);
    expect(batcher.idle).toBe(false); // committed, not written
    clock.advance(50);
    expect(writes).toHaveLength(1);
    expect(batcher.idle).toBe(false); // being written
  });

  it('one write at a time: what arrives meanwhile goes next, after a pause as long as the write took', async () => {
    const { clock, writes, transaction } = harness(10, 50);
    transaction(10); // full: written at once
    expect(writes).toHaveLength(1);
    transaction(2);
    transaction(2);
    clock.advance(50); // the delay passes during the write: still one write at a time
    expect(writes).toHaveLength(1);
    clock.advance(30); // the write took 80 ms
    await writes[0]!.finish();
    expect(writes).toHaveLength(1);
    expect(clock.pending).toEqual([80]);
    clock.advance(80);
    expect(writes).toHaveLength(2);
    expect(writes[1]!.batch).toMatchObject({ changes: 4, transactions: 2 });
  });

  it('after a write, a full batch waiting behind it goes at once', async () => {
    const { writes, transaction } = harness(10, 50);
    transaction(10);
    transaction(12);
    expect(writes).toHaveLength(1);
    await writes[0]!.finish();
    expect(writes).toHaveLength(2);
    expect(writes[1]!.batch.changes).toBe(12);
  });

  it('holds the socket when the batch behind a write reaches twice the limit, and releases it when the write ends', async () => {
    const { writes, events, transaction } = harness(10, 50);
    transaction(10);
    transaction(15);
    expect(events).toEqual([]);
    transaction(5); // 20 waiting
    expect(events).toEqual(['hold']);
    transaction(5);
    expect(events).toEqual(['hold']); // once
    await writes[0]!.finish();
    expect(events).toEqual(['hold', 'release']);
    expect(writes[1]!.batch.changes).toBe(25);
  });

  it('after a failed write, writes nothing more until the stream restarts from the acknowledged position', async () => {
    const { batcher, clock, writes, failures, transaction } = harness(10, 50);
    transaction(10);
    transaction(3);
    await writes[0]!.fail(new Error('engine down'));
    expect(failures.map((error) => error.message)).toEqual(['engine down']);
    clock.advance(1000);
    transaction(10);
    expect(writes).toHaveLength(1);
    expect(batcher.idle).toBe(false); // the slot must not advance past the failed batch

    batcher.reset(); // the stream restarts: Postgres resends from the last acknowledged position
    expect(batcher.idle).toBe(true);
    transaction(10);
    expect(writes).toHaveLength(2);
    expect(writes[1]!.batch.changes).toBe(10); // what was gathered before the restart is not written
  });

  it('writes nothing after a stop (the running write ends), and again after a start', async () => {
    const { batcher, clock, writes, transaction } = harness(10, 50);
    transaction(10);
    transaction(2);
    batcher.stop();
    await writes[0]!.finish();
    clock.advance(1000);
    transaction(10);
    expect(writes).toHaveLength(1);
    expect(clock.pending).toEqual([]);
    await batcher.settled();

    batcher.start();
    batcher.reset();
    transaction(10);
    expect(writes).toHaveLength(2);
  });
});
