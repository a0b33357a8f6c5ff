// The demo's alerts mean something: its seeded history and an hour of its simulator at its normal
// pace (the demo's mode: events at the rates of the history, rhythm.ts) raise no alert, neither
// anomaly nor threshold (the 24-hour thresholds scaled to the demo, alert-scale.ts, as the demo
// sets them); a burst of cancelled requests and failed logins in one city does raise the
// matching anomaly and threshold alerts. Real Postgres, ingest and embedded ClickHouse.
//
// The simulator writes the database's now(), so the hour is compressed: the history is seeded to
// end an hour ago, then the simulator runs one hour of its clock (360 steps at 0.1 step/s of
// simulated time; the events per hour do not depend on the step rate) as fast as it can. The
// alert rules' last hour then holds exactly that simulated hour, judged against the seed's weeks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertsService } from '../../apps/api/src/alerts/alerts.service.js';
import { demoAlertScale, type DemoAlertScale } from '../../apps/demo/src/alert-scale.js';
import { Rhythm } from '../../apps/demo/src/rhythm.js';
import { seedDemoData } from '../../apps/demo/src/seed.js';
import { Simulator } from '../../apps/demo/src/simulator.js';
import type { Alert } from '../../libs/metrics/src/alerts.js';
import { createTestDatabase, type TestDatabase } from '../factories/databases.js';
import { startTestRuntime, type TestRuntime } from '../factories/runtime.js';

/** Two fifths of the demo's default size (DEMO_REQUESTS), to keep the seed and snapshot short. */
const REQUESTS = 20_000;
const HOUR_MS = 3_600_000;
/**
 * Steps per simulated second: a tenth of a step is enough for the events of the busiest hour (a
 * few hundred); the demo's 5 only adds position reports.
 */
const STEPS_PER_SECOND = 0.1;

let db: TestDatabase;
let runtime: TestRuntime;
let alerts: AlertsService;
let scale: DemoAlertScale;
let simulator: Simulator;
let seededUntil: Date;
let rhythm: Rhythm;
const timings: Record<string, number> = {};

async function timed<T>(name: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await work();
  } finally {
    timings[name] = Date.now() - started;
  }
}

async function openAlerts(): Promise<Alert[]> {
  const page = await alerts.list({ status: 'open', ruleId: null, from: null, to: null, page: 1, pageSize: 500 });
  return page.results;
}

beforeAll(async () => {
  db = await createTestDatabase();
  seededUntil = new Date(Date.now() - HOUR_MS);
  await timed('seed', () => seedDemoData(db.pool, { requests: REQUESTS, seed: 1, now: seededUntil }));
  const measured = await demoAlertScale(db.pool, seededUntil);
  expect(measured).not.toBeNull();
  scale = measured!;
  rhythm = await Rhythm.measure(db.pool, seededUntil);
  expect(rhythm.weeks).toBe(8);
  // As the demo does: the counts' thresholds from its scale, the failure rate's the guide's (10 %).
  runtime = await timed('snapshot', () =>
    startTestRuntime(db, {
      REQUEST_THRESHOLD: String(scale.requests),
      REVENUE_THRESHOLD: String(scale.revenueXof),
      ALERT_EVALUATION_SECONDS: '3600',
    }),
  );
  alerts = runtime.app.get(AlertsService, { strict: false });

  let simulated = seededUntil.getTime();
  simulator = new Simulator(db.pool, { ratePerSecond: STEPS_PER_SECOND, seed: 11, rhythm, clock: () => simulated, log: () => undefined });
  await timed('simulated hour', async () => {
    for (let step = 0; step < 3600 * STEPS_PER_SECOND; step++) {
      simulated = seededUntil.getTime() + (step * 1000) / STEPS_PER_SECOND;
      await simulator.step();
    }
  });
  await runtime.ingest.catchUp(60_000);
}, 240_000);

afterAll(async () => {
  console.log('demo-alerts timings (ms):', JSON.stringify(timings), 'simulator:', JSON.stringify(simulator?.stats), 'scale:', JSON.stringify(scale));
  await runtime?.destroy();
  await db?.drop();
});

describe('the demo at its normal pace', () => {
  it('scales the 24-hour thresholds above its busiest day', () => {
    expect(scale.requests).toBeGreaterThan(scale.busiest.requests);
    expect(scale.revenueXof).toBeGreaterThan(scale.busiest.revenueXof);
    // The guide's figures are below the demo's normal day: with them every threshold alert would be on.
    expect(scale.busiest.requests).toBeGreaterThan(100);
    expect(scale.busiest.revenueXof).toBeGreaterThan(1_000_000);
  });

  it('simulates an hour of the history’s activity, and keeps its step rate with position reports', () => {
    const stats = simulator.stats;
    expect(stats.failed).toBe(0);
    expect(stats.steps).toBe(3600 * STEPS_PER_SECOND);
    // As many new requests as the history has in this hour of the week (a night hour has next to
    // none): the expected count, within Poisson noise (5 standard deviations, and 5 for small counts).
    let expected = 0;
    for (let step = 0; step < 3600 * STEPS_PER_SECOND; step++) {
      expected += rhythm.rate('create_request', seededUntil.getTime() + (step * 1000) / STEPS_PER_SECOND) / STEPS_PER_SECOND;
    }
    const created = stats.create_request ?? 0;
    expect(Math.abs(created - expected), `${created} requests created, ${expected.toFixed(1)} expected`).toBeLessThanOrEqual(5 * Math.sqrt(expected) + 5);
    expect(stats.position_update ?? 0).toBeGreaterThan(created);
  });

  it('cancels only requests that waited a day, so the day’s failure rate stays the history’s', async () => {
    const { rows } = await db.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM depannage_repairrequest WHERE status = 'cancelled' AND created_at >= now() - interval '24 hours' AND updated_at > $1`,
      [seededUntil],
    );
    expect(Number(rows[0]!.n)).toBe(0);
  });

  it('raises no alert: no anomaly, no threshold', async () => {
    const report = await alerts.evaluate('all');
    expect(report).toMatchObject({ evaluated: true, failedRules: 0 });
    expect(report.rules).toBeGreaterThanOrEqual(10);
    expect((await openAlerts()).map((alert) => alert.message)).toEqual([]);
  });
});

describe('an abnormal burst', () => {
  it('raises the matching anomaly and threshold alerts', async () => {
    // 80 requests in Bamako cancelled within minutes, and 30 failed logins from Bamako.
    const burst = await timed('burst', async () => {
      const cancelled = await db.pool.query(
        `INSERT INTO depannage_repairrequest (created_at, updated_at, title, specialty_needed, priority, urgency_level,
                                              min_experience_level, status, address, travel_cost, is_urgent, city, "postalCode",
                                              service_type, no_show_count, mission_validated, client_id)
         SELECT now(), now(), 'Demande annulée', 'plumber', 'normal', 'normal', 'junior', 'cancelled', 'Badalabougou', 0, false,
                'Bamako', '', '', 0, false, (SELECT min(id) FROM depannage_client)
           FROM generate_series(1, 80)`,
      );
      const failedLogins = await db.pool.query(
        `INSERT INTO users_auditlog (ip_address, user_agent, event_type, status, "timestamp", geo_country, geo_city, risk_score, metadata, location)
         SELECT ('197.155.1.' || g)::inet, 'python-requests/2.31', 'login', 'failure', now(), 'Mali', 'Bamako', 90, '{"reason": "Mot de passe incorrect"}', 'Bamako, Mali'
           FROM generate_series(1, 30) AS g`,
      );
      await runtime.ingest.catchUp(30_000);
      return { cancelled: cancelled.rowCount, failedLogins: failedLogins.rowCount };
    });
    expect(burst).toEqual({ cancelled: 80, failedLogins: 30 });
    const report = await alerts.evaluate('all');
    expect(report.failedRules).toBe(0);
    const raised = (await openAlerts()).map((alert) => `${alert.rule_id} ${alert.scope.city ?? ''}`.trim());
    // (The failure rate's anomaly rule needs five requests in the same hour of three past weeks,
    // which Bamako's night hours do not have; its threshold rule judges the day.)
    expect(raised).toEqual(
      expect.arrayContaining(['default-failure-rate-threshold', 'default-requests-anomaly-city Bamako', 'default-failed-logins-anomaly-city Bamako']),
    );
    // Nothing else moved: no other city is flagged.
    expect(raised.filter((key) => key.includes('-city ') && !key.endsWith(' Bamako'))).toEqual([]);
  });
});
