// Requests created in the window (status as of now), in the request scope: status buckets,
// urgency, timings; the raw status split; requests assigned to a technician.
import { queryOne, type ClickHouse } from '../../../../../libs/clickhouse/src/clickhouse.js';
import { count, meanHours, percent } from '../../../../../libs/metrics/src/exact.js';
import type { RequestExtras, RequestStats } from '../../../../../libs/metrics/src/types.js';
import { dailyRows } from '../../../../../libs/metrics/src/catalogue/daily-aggregate.js';
import { REQUESTS_DAILY } from '../../../../../libs/metrics/src/catalogue/requests.js';
import { inWindow, REQUEST_SCOPE, type WindowName, type WindowParams } from './params.js';

/**
 * The rows of agg_requests_daily for a window and the request scope: whole days from the
 * aggregate, plus the partial edge days from the signed log with the view's own expressions.
 */
export function requestFacts(window: WindowName): string {
  return dailyRows(
    REQUESTS_DAILY,
    window,
    ['status', 'specialty_needed', 'city', 'urgent', 'requests', 'timed', 'response_us', 'completion_us', 'priced', 'price_sum'],
    REQUEST_SCOPE,
  );
}

/** Sums behind the timings, kept exact for figures derived from them (resolution time). */
export interface RequestTimings {
  timed: bigint;
  responseMicros: bigint;
  completionMicros: bigint;
}

export interface RequestFigures extends RequestStats {
  timings: RequestTimings;
}

export async function requestStats(clickhouse: ClickHouse, params: WindowParams): Promise<RequestFigures> {
  // Sums are microseconds in Int128: 10 M rows of months-long intervals overflow Int64.
  const r = await queryOne<
    Record<'total' | 'pending' | 'in_progress' | 'completed' | 'cancelled' | 'urgent_count' | 'timed_count' | 'response_total' | 'completion_total', string>
  >(
    clickhouse,
    `SELECT sum(requests) AS total,
            sumIf(requests, status = 'pending') AS pending,
            sumIf(requests, status = 'in_progress') AS in_progress,
            sumIf(requests, status = 'completed') AS completed,
            sumIf(requests, status = 'cancelled') AS cancelled,
            sumIf(requests, urgent = 1) AS urgent_count,
            sum(timed) AS timed_count,
            toString(sum(response_us)) AS response_total,
            toString(sum(completion_us)) AS completion_total
     FROM (${requestFacts('since')})`,
    params,
  );
  const total = count(r.total);
  const completed = count(r.completed);
  const timings: RequestTimings = {
    timed: BigInt(r.timed_count),
    responseMicros: BigInt(r.response_total),
    completionMicros: BigInt(r.completion_total),
  };
  return {
    total,
    pending: count(r.pending),
    in_progress: count(r.in_progress),
    completed,
    cancelled: count(r.cancelled),
    urgent: count(r.urgent_count),
    success_rate: percent(completed, total),
    avg_response_time_hours: meanHours(timings.responseMicros, timings.timed),
    avg_completion_time_hours: meanHours(timings.completionMicros, timings.timed),
    timings,
  };
}

/** Every raw status present, count desc then status asc (unknown values included). */
export async function requestExtras(clickhouse: ClickHouse, params: WindowParams): Promise<RequestExtras> {
  const rows = await clickhouse.query<{ status: string; request_count: string }>(
    `SELECT status, sum(requests) AS request_count
     FROM (${requestFacts('since')})
     GROUP BY status
     HAVING request_count != 0
     ORDER BY request_count DESC, status ASC`,
    params,
  );
  return { by_status: Object.fromEntries(rows.map((row) => [row.status, count(row.request_count)])) };
}

/**
 * Requests created in the window, in scope, with a technician assigned: a signed sum over the
 * change log (each current row counts +1 once), which reads two narrow columns instead of
 * merging every version of the state table.
 */
export async function assignedRequests(clickhouse: ClickHouse, params: WindowParams): Promise<number> {
  const row = await queryOne<{ assigned: string }>(
    clickhouse,
    `SELECT sum(sign) AS assigned FROM depannage_repairrequest_signed
     WHERE technician_id IS NOT NULL AND ${inWindow('created_at', 'since')} AND ${REQUEST_SCOPE}`,
    params,
  );
  return count(row.assigned);
}
