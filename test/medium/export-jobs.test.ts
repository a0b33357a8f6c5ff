// The export job store on both dialects (a SQLite file, a throwaway Postgres database): two
// replicas claiming at once each get different jobs and every job runs once; a runner that lost its
// job cannot write it; dead runners' jobs are run again or failed; a stop hands jobs back.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { afterAll, describe, expect, it } from 'vitest';
import { ExportJobsRepository } from '../../apps/api/src/exports/export-jobs.repository.js';
import type { ExportRequest } from '../../libs/metrics/src/exports.js';
import { openStateStore } from '../../libs/state/src/open.js';
import type { StateDialect, StateStore } from '../../libs/state/src/store.js';
import { createTestDatabase } from '../factories/databases.js';

Logger.overrideLogger(false);
const scratch = mkdtempSync(join(tmpdir(), 'export-jobs-'));
const cleanups: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

/** Two stores on one target, as two replicas would open it. */
async function twoReplicas(dialect: StateDialect): Promise<[StateStore, StateStore]> {
  let config;
  if (dialect === 'sqlite') {
    config = { stateDatabaseUrl: undefined, stateSqlitePath: join(scratch, `${Math.random().toString(36).slice(2)}.sqlite`) };
  } else {
    const db = await createTestDatabase({ schema: false });
    cleanups.push(() => db.drop());
    config = { stateDatabaseUrl: db.url, stateSqlitePath: join(scratch, 'unused.sqlite') };
  }
  const first = await openStateStore(config);
  const second = await openStateStore(config);
  cleanups.push(async () => {
    await first.close();
    await second.close();
  });
  return [first, second];
}

const REQUEST: ExportRequest = { type: 'json', filters: { period: 'all', from: null, to: null, city: null, specialty: null }, sections: ['overview'], raw: false };

describe.each(['sqlite', 'postgres'] as const)('export jobs on %s', (dialect) => {
  it('two replicas claiming at once run every job exactly once, oldest first', async () => {
    const [a, b] = (await twoReplicas(dialect)).map((store) => new ExportJobsRepository(store));
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      ids.push(id);
      await a!.insert({ id, ownerId: 1, request: REQUEST, scheduleId: null, createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)), expiresAt: new Date(Date.UTC(2027, 0, 1)) });
    }
    const claimed: Array<{ by: string; id: string }> = [];
    const drain = async (repository: ExportJobsRepository, by: string): Promise<void> => {
      for (;;) {
        const job = await repository.claimNext(by, 60_000);
        if (!job) return;
        claimed.push({ by, id: job.id });
      }
    };
    await Promise.all([drain(a!, 'a'), drain(b!, 'b'), drain(a!, 'a2'), drain(b!, 'b2')]);
    expect(claimed.map((claim) => claim.id).sort()).toEqual(ids);
    expect(new Set(claimed.map((claim) => claim.by)).size).toBeGreaterThan(1);
    const first = await a!.get(ids[0]!);
    expect(first).toMatchObject({ status: 'running', attempts: 1, progress: 0 });
  });

  it('only the holder writes a running job; dead runners are run again, then failed; a stop hands jobs back', async () => {
    const [store] = await twoReplicas(dialect);
    const repository = new ExportJobsRepository(store!);
    const make = async (id: string): Promise<void> => {
      await repository.insert({ id, ownerId: 7, request: REQUEST, scheduleId: null, createdAt: new Date(), expiresAt: new Date(Date.now() + 3600_000) });
    };
    await make('10000000-0000-4000-8000-000000000001');
    const job = (await repository.claimNext('runner-1', 1))!;
    expect(await repository.heartbeat(job.id, 'runner-2', 50, 60_000)).toBe(false);
    expect(await repository.complete(job.id, 'runner-2', { fileName: 'x', storedName: 'y', contentType: 'z', fileSize: 1 })).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Its lease (1 ms) has expired: run again (attempt 2), then, dead again, failed.
    expect((await repository.reclaimExpired(2)).requeued.map((j) => j.id)).toEqual([job.id]);
    expect(await repository.complete(job.id, 'runner-1', { fileName: 'x', storedName: 'y', contentType: 'z', fileSize: 1 })).toBe(false);
    const again = (await repository.claimNext('runner-3', 1))!;
    expect(again).toMatchObject({ id: job.id, attempts: 2 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await repository.reclaimExpired(2)).failed.map((j) => j.id)).toEqual([job.id]);
    expect(await repository.get(job.id)).toMatchObject({ status: 'failed', runner: null, error: 'interrupted 2 time(s) by a stop of its runner; not retried' });

    await make('10000000-0000-4000-8000-000000000002');
    const held = (await repository.claimNext('runner-4', 60_000))!;
    expect(await repository.heartbeat(held.id, 'runner-4', 40, 60_000)).toBe(true);
    expect(await repository.release(held.id, 'runner-4')).toBe(true);
    expect(await repository.get(held.id)).toMatchObject({ status: 'pending', progress: 0, runner: null });
    const done = (await repository.claimNext('runner-5', 60_000))!;
    expect(await repository.complete(done.id, 'runner-5', { fileName: 'f.json', storedName: `${done.id}.json`, contentType: 'application/json', fileSize: 12 })).toBe(true);
    expect(await repository.get(done.id)).toMatchObject({ status: 'completed', progress: 100, fileSize: 12, storedName: `${done.id}.json` });
    expect((await repository.listByOwner(7, 1, 10)).jobs.map((j) => j.id)).toEqual([done.id, job.id]);
    expect(await repository.activeCounts()).toEqual({ pending: 0, running: 0 });
  });
});
