// Requests created in the period (status as of now): status buckets, urgency, timings.
import type { ClickHouse } from '../../../../../libs/clickhouse/src/clickhouse.js';
import { count, meanHours, percent } from '../../../../../libs/metrics/src/exact.js';
import type { RequestStats } from '../../../../../libs/metrics/src/types.js';
import { AT, type WindowParams } from './params.js';

export async function requestStats(clickhouse: ClickHouse, params: WindowParams): Promise<RequestStats> {
  // Timings use only completed requests with both instants set; negative intervals are kept as
  // stored. Sums are in microseconds as Int128: 10 M rows of months-long intervals overflow Int64.
  const [row] = await clickhouse.query<Record<string, string>>(
    `SELECT count() AS total,
            countIf(status = 'pending') AS pending,
            countIf(status = 'in_progress') AS in_progress,
            countIf(status = 'completed') AS completed,
            countIf(status = 'cancelled') AS cancelled,
            countIf(urgency_level IN ('urgent', 'sos') OR is_urgent) AS urgent,
            countIf(timed) AS timed_count,
            toString(sumIf(toInt128(toUnixTimestamp64Micro(assumeNotNull(assigned_at))) - toUnixTimestamp64Micro(created_at), timed)) AS response_us,
            toString(sumIf(toInt128(toUnixTimestamp64Micro(assumeNotNull(completed_at))) - toUnixTimestamp64Micro(assumeNotNull(assigned_at)), timed)) AS completion_us
     FROM (
       SELECT *, status = 'completed' AND assigned_at IS NOT NULL AND completed_at IS NOT NULL AS timed
       FROM depannage_repairrequest FINAL
       WHERE created_at >= {since:${AT}}
     )`,
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
    urgent: count(r.urgent!),
    success_rate: percent(completed, total),
    avg_response_time_hours: meanHours(BigInt(r.response_us!), timed),
    avg_completion_time_hours: meanHours(BigInt(r.completion_us!), timed),
  };
}
