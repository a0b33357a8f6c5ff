// Requests created in the period (status as of now): status buckets, urgency, timings.
import type { ClickHouse } from '../../../../../libs/clickhouse/src/clickhouse.js';
import { count, meanHours, percent } from '../../../../../libs/metrics/src/exact.js';
import type { RequestStats } from '../../../../../libs/metrics/src/types.js';
import { partialDay, wholeDays, type WindowName, type WindowParams } from './params.js';

/**
 * The rows of agg_requests_daily for a window: whole days from the aggregate, plus the partial
 * first day computed from the signed log with the same expressions as mv_agg_requests_daily.
 */
export function requestFacts(window: WindowName): string {
  const timed = "status = 'completed' AND assigned_at IS NOT NULL AND completed_at IS NOT NULL";
  return `
    SELECT status, specialty_needed, city, urgent, requests, timed, response_us, completion_us, priced, price_sum
    FROM agg_requests_daily WHERE ${wholeDays(window)}
    UNION ALL
    SELECT status, specialty_needed, city, toUInt8(urgency_level IN ('urgent', 'sos') OR is_urgent),
           toInt64(sign), toInt64(sign) * (${timed}),
           if(${timed}, toInt128(sign) * (toUnixTimestamp64Micro(assumeNotNull(assigned_at)) - toUnixTimestamp64Micro(created_at)), 0),
           if(${timed}, toInt128(sign) * (toUnixTimestamp64Micro(assumeNotNull(completed_at)) - toUnixTimestamp64Micro(assumeNotNull(assigned_at))), 0),
           toInt64(sign) * (final_price IS NOT NULL),
           toDecimal128(sign, 0) * ifNull(final_price, toDecimal64(0, 2))
    FROM depannage_repairrequest_signed WHERE ${partialDay('created_at', window)}`;
}

export async function requestStats(clickhouse: ClickHouse, params: WindowParams): Promise<RequestStats> {
  // Timings: completed requests with both instants set; negative intervals kept as stored. Sums are
  // microseconds in Int128: 10 M rows of months-long intervals overflow Int64.
  const [row] = await clickhouse.query<Record<string, string>>(
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
  const r = row!;
  const total = count(r.total!);
  const completed = count(r.completed!);
  const timed = BigInt(r.timed_count!);
  return {
    total,
    pending: count(r.pending!),
    in_progress: count(r.in_progress!),
    completed,
    cancelled: count(r.cancelled!),
    urgent: count(r.urgent_count!),
    success_rate: percent(completed, total),
    avg_response_time_hours: meanHours(BigInt(r.response_total!), timed),
    avg_completion_time_hours: meanHours(BigInt(r.completion_total!), timed),
  };
}
