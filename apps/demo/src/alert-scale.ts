// Thresholds of the default 24-hour alert rules at the demo's own scale. The guide's figures (100
// requests, 1 000 000 XOF) describe one marketplace's normal day; the demo's normal day is several
// times that, so with them every threshold alert would be raised at once and stay raised, and
// an alert would mean nothing. A count or a sum grows with the marketplace: the demo takes its
// busiest 24 hours of the last four weeks, as its own data shows them, and sets the threshold
// clearly above (a quarter more, and at least four times the counting noise more). A failure rate
// does not grow with the marketplace: the guide's threshold stays (the demo's normal 24-hour
// failure rate is below it).
//
// Definitions are those of the alert metrics (docs/alerts.md): requests created; revenue = the
// amounts of completed client payments created.
import type pg from 'pg';

const HOUR_MS = 3_600_000;
const DAY_HOURS = 24;
/** How far back the busiest day is looked for. */
export const SCALE_DAYS = 28;
/** The threshold is at least this much above the busiest day... */
const MARGIN = 1.25;
/** ...and at least this many standard deviations of counting noise above it. */
const NOISE_SDS = 4;

export interface DemoAlertScale {
  /** Threshold for requests over 24 h. */
  requests: number;
  /** Threshold for revenue over 24 h, XOF. */
  revenueXof: number;
  /** The busiest 24 h it was derived from (windows ending on each hour of the last SCALE_DAYS days). */
  busiest: { requests: number; revenueXof: number; payments: number };
}

const HOURLY_SQL = `
  SELECT hour, sum(requests)::bigint AS requests, sum(revenue)::numeric AS revenue, sum(payments)::bigint AS payments
  FROM (
    SELECT floor(extract(epoch FROM created_at) / 3600)::bigint AS hour, 1 AS requests, 0 AS revenue, 0 AS payments
      FROM depannage_repairrequest WHERE created_at >= $1 AND created_at < $2
    UNION ALL
    SELECT floor(extract(epoch FROM created_at) / 3600)::bigint, 0, amount, 1
      FROM depannage_payment
     WHERE status = 'completed' AND payment_type = 'client_payment' AND created_at >= $1 AND created_at < $2
  ) AS events
  GROUP BY hour`;

/** Rounds up to two significant digits (570, 13 000 000): a threshold a person reads at a glance. */
export function roundUpTwoDigits(value: number): number {
  if (value <= 0) return 0;
  const unit = 10 ** Math.max(0, Math.floor(Math.log10(value)) - 1);
  return Math.ceil(value / unit) * unit;
}

/**
 * Measures the demo's busiest 24 hours before `now` and returns thresholds above them. Null when
 * the data holds no request in the period (nothing to scale to).
 */
export async function demoAlertScale(pool: pg.Pool | pg.ClientBase, now: Date): Promise<DemoAlertScale | null> {
  const end = Math.floor(now.getTime() / HOUR_MS);
  const start = end - (SCALE_DAYS + 1) * DAY_HOURS;
  const { rows } = await pool.query<{ hour: string; requests: string; revenue: string; payments: string }>(HOURLY_SQL, [
    new Date(start * HOUR_MS),
    new Date(end * HOUR_MS),
  ]);
  const hours = end - start;
  const requests = new Float64Array(hours);
  const revenue = new Float64Array(hours);
  const payments = new Float64Array(hours);
  for (const row of rows) {
    const index = Number(row.hour) - start;
    requests[index] = Number(row.requests);
    revenue[index] = Number(row.revenue);
    payments[index] = Number(row.payments);
  }
  // Rolling 24-hour sums ending on each hour of the last SCALE_DAYS days.
  const busiest = { requests: 0, revenueXof: 0, payments: 0 };
  const window = { requests: 0, revenue: 0, payments: 0 };
  for (let index = 0; index < hours; index++) {
    window.requests += requests[index]!;
    window.revenue += revenue[index]!;
    window.payments += payments[index]!;
    if (index >= DAY_HOURS) {
      window.requests -= requests[index - DAY_HOURS]!;
      window.revenue -= revenue[index - DAY_HOURS]!;
      window.payments -= payments[index - DAY_HOURS]!;
    }
    if (index < DAY_HOURS - 1) continue;
    busiest.requests = Math.max(busiest.requests, window.requests);
    if (window.revenue > busiest.revenueXof) {
      busiest.revenueXof = window.revenue;
      busiest.payments = window.payments;
    }
  }
  if (busiest.requests === 0) return null;
  // Counting noise: √n for a count; for a sum of n payments of similar size, √2 × mean × √n.
  const meanPayment = busiest.payments > 0 ? busiest.revenueXof / busiest.payments : 0;
  const revenueNoise = Math.SQRT2 * meanPayment * Math.sqrt(busiest.payments);
  return {
    requests: roundUpTwoDigits(Math.max(MARGIN * busiest.requests, busiest.requests + NOISE_SDS * Math.sqrt(busiest.requests))),
    revenueXof: roundUpTwoDigits(Math.max(MARGIN * busiest.revenueXof, busiest.revenueXof + NOISE_SDS * revenueNoise)),
    busiest: { requests: busiest.requests, revenueXof: Math.round(busiest.revenueXof), payments: busiest.payments },
  };
}
