// Repair requests (R, depannage_repairrequest). The request figures, specialties, geography and
// the technicians' jobs are sums over these aggregates; the tricky parts are said where they are.
import type { DailyAggregate } from './daily-aggregate.js';

/** Completed requests with both instants set: the rows every timing is a mean over. */
export const TIMED = "status = 'completed' AND assigned_at IS NOT NULL AND completed_at IS NOT NULL";

/** Urgent = urgency_level urgent or sos, or the frontend's is_urgent flag (metrics.md, decided). */
export const URGENT = "toUInt8(urgency_level IN ('urgent', 'sos') OR is_urgent)";

/** A completed request with a technician: a job of that technician. */
export const COMPLETED_JOB = "status = 'completed' AND technician_id IS NOT NULL";

/** Earnings count a NULL final_price as 0 (metrics.md: sums treat NULL as 0). */
const SIGNED_PRICE_OR_ZERO = 'toDecimal128(sign, 0) * ifNull(final_price, toDecimal64(0, 2))';

/**
 * Requests per UTC creation day and (status, specialty, city, urgency). Timings are summed in
 * microseconds as Int128: 10 M rows of months-long intervals overflow Int64.
 */
export const REQUESTS_DAILY: DailyAggregate = {
  table: 'agg_requests_daily',
  view: 'mv_agg_requests_daily',
  log: 'depannage_repairrequest_signed',
  source: 'depannage_repairrequest',
  day: { column: 'created_at', expression: "toDate(created_at, 'UTC')" },
  where: null,
  dimensions: { status: 'status', specialty_needed: 'specialty_needed', city: 'city', urgent: URGENT },
  measures: {
    requests: 'toInt64(sign)',
    timed: `toInt64(sign) * (${TIMED})`,
    response_us: `if(${TIMED}, toInt128(sign) * (toUnixTimestamp64Micro(assumeNotNull(assigned_at)) - toUnixTimestamp64Micro(created_at)), 0)`,
    completion_us: `if(${TIMED}, toInt128(sign) * (toUnixTimestamp64Micro(assumeNotNull(completed_at)) - toUnixTimestamp64Micro(assumeNotNull(assigned_at))), 0)`,
    priced: 'toInt64(sign) * (final_price IS NOT NULL)',
    price_sum: SIGNED_PRICE_OR_ZERO,
  },
};

/** Completed requests per UTC day of completion (not creation): the trends' and live "completed". */
export const REQUEST_COMPLETIONS_DAILY: DailyAggregate = {
  table: 'agg_request_completions_daily',
  view: 'mv_agg_request_completions_daily',
  log: 'depannage_repairrequest_signed',
  source: 'depannage_repairrequest',
  day: { column: 'completed_at', expression: "toDate(assumeNotNull(completed_at), 'UTC')" },
  where: "status = 'completed' AND completed_at IS NOT NULL",
  dimensions: {},
  measures: { completed: 'toInt64(sign)' },
};

/** Jobs and earnings per technician and UTC creation day of the request. */
export const TECHNICIAN_JOBS_DAILY: DailyAggregate = {
  table: 'agg_technician_jobs_daily',
  view: 'mv_agg_technician_jobs_daily',
  log: 'depannage_repairrequest_signed',
  source: 'depannage_repairrequest',
  day: { column: 'created_at', expression: "toDate(created_at, 'UTC')" },
  where: COMPLETED_JOB,
  dimensions: { technician_id: 'assumeNotNull(technician_id)' },
  measures: { jobs: 'toInt64(sign)', earnings: SIGNED_PRICE_OR_ZERO },
};

/** The same, all time: the all-period top technicians read one row per technician. */
export const TECHNICIAN_JOBS_ALL: DailyAggregate = { ...TECHNICIAN_JOBS_DAILY, table: 'agg_technician_jobs_all', view: 'mv_agg_technician_jobs_all', day: null };
