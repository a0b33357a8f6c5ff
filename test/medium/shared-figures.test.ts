// Computations running at the same time on the same data share their instant and the figures they
// are querying (apps/api/src/statistics/compute.ts, Moment): a figure several of them need is
// queried once, and each answer is the one it would have been alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ingest } from '../../apps/ingest/src/ingest.js';
import { EngineBusyError, withEngineContext } from '../../libs/clickhouse/src/admission.js';
import { seedDemoData } from '../../apps/demo/src/seed.js';
import { computeGlobalStatistics, computeKpis, computeSection, Moment, Moments } from '../../apps/api/src/statistics/compute.js';
import { RecordingClickHouse } from '../factories/clickhouse-wrappers.js';
import { PERIODS } from '../../libs/metrics/src/types.js';
import { periodQuery } from '../../libs/metrics/src/windows.js';
import { createTestClickHouse, createTestDatabase, uniqueName, type TestClickHouse, type TestDatabase } from '../factories/databases.js';

let db: TestDatabase;
let ch: TestClickHouse;
let ingest: Ingest;

beforeAll(async () => {
  db = await createTestDatabase();
  ch = await createTestClickHouse();
  await seedDemoData(db.pool, { requests: 400, seed: 31 });
  const slot = uniqueName('slot');
  ingest = new Ingest({ databaseUrl: db.url, clickhouse: ch.clickhouse, slot, publication: slot, batchRows: 1000, batchDelayMs: 5 });
  await ingest.start();
  await ingest.catchUp();
}, 120_000);

afterAll(async () => {
  await ingest?.stop();
  await db?.drop();
  await ch?.destroy();
});

const activeUsersQueries = (statements: string[]): number => statements.filter((sql) => sql.includes('uniqExact(user_id)')).length;

describe('figures shared by the computations of one moment', () => {
  it('four periods, the overview and the KPIs at once: the 30-day active users queried once, every answer as alone', async () => {
    const now = new Date();
    const engine = new RecordingClickHouse(ch.clickhouse);
    const settings = { acquisitionSpendXof: null };
    const alone = {
      global: [] as unknown[],
      overview: await computeSection(engine, 'overview', periodQuery('all', now)),
      kpis: await computeKpis(engine, periodQuery('all', now), settings),
    };
    for (const period of PERIODS) alone.global.push(await computeGlobalStatistics(engine, periodQuery(period, now)));
    const aloneStatements = engine.statements.length;
    expect(activeUsersQueries(engine.statements)).toBe(PERIODS.length + 2);

    engine.statements.length = 0;
    const moment = new Moment(now);
    const [overview, kpis, ...global] = await Promise.all([
      computeSection(engine, 'overview', periodQuery('all', now), moment),
      computeKpis(engine, periodQuery('all', now), settings, moment),
      ...PERIODS.map((period) => computeGlobalStatistics(engine, periodQuery(period, now), moment)),
    ]);
    expect(global).toEqual(alone.global);
    expect(overview).toEqual(alone.overview);
    expect(kpis).toEqual(alone.kpis);
    expect(activeUsersQueries(engine.statements)).toBe(1);
    expect(engine.statements.length).toBeLessThan(aloneStatements);
    // Only what is in flight is shared: nothing is kept once answered.
    expect(moment.inFlight.size).toBe(0);
  });

  it('a figure refused for another computation is queried again for the one still waiting', async () => {
    const now = new Date();
    const engine = new RecordingClickHouse(ch.clickhouse);
    engine.refuse = (sql) => sql.includes('uniqExact(user_id)');
    const moment = new Moment(now);
    // Two requests with contexts of their own: the first launches the figure and is refused; the second, waiting for it, asks again.
    const first = withEngineContext({ priority: 'interactive', deadline: Date.now() + 10_000 }, () => computeSection(engine, 'overview', periodQuery('all', now), moment));
    const second = withEngineContext({ priority: 'interactive', deadline: Date.now() + 10_000 }, () => computeSection(engine, 'advanced', periodQuery('all', now), moment));
    await expect(first).rejects.toBeInstanceOf(EngineBusyError);
    const answered = await second;
    expect(answered).toEqual(await computeSection(ch.clickhouse, 'advanced', periodQuery('all', now)));
    expect(activeUsersQueries(engine.statements)).toBe(2);
  });
});

describe('moments', () => {
  it('computations on the same data while one runs share its moment; a new one after it ends, a change, or the share time', async () => {
    const moments = new Moments(200);
    const a = moments.take('0/10');
    const b = moments.take('0/10');
    expect(b.moment).toBe(a.moment);
    const c = moments.take('0/11');
    expect(c.moment).not.toBe(a.moment);
    a.release();
    b.release();
    c.release();
    const d = moments.take('0/11');
    expect(d.moment).not.toBe(c.moment);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(moments.take('0/11').moment).not.toBe(d.moment);
  });
});
