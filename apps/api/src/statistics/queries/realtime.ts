// real_time_stats: activity over the last 24 h and 7 days, and the current session figures.
import type { ClickHouse } from '../../../../../libs/clickhouse/src/clickhouse.js';
import { centsToNumber, count, toCents } from '../../../../../libs/metrics/src/exact.js';
import type { RealTimeStats, WindowActivity } from '../../../../../libs/metrics/src/types.js';
import { AT, type WindowParams } from './params.js';

export async function realTimeFigures(
  clickhouse: ClickHouse,
  params: WindowParams,
): Promise<Omit<RealTimeStats, 'current_time'>> {
  const [row] = await clickhouse.query<Record<string, string>>(
    `SELECT
       (SELECT countIf(created_at >= {last24h:${AT}}) FROM depannage_repairrequest FINAL WHERE created_at >= {last7d:${AT}}) AS requests_24h,
       (SELECT count() FROM depannage_repairrequest FINAL WHERE created_at >= {last7d:${AT}}) AS requests_7d,
       (SELECT countIf(completed_at >= {last24h:${AT}}) FROM depannage_repairrequest FINAL WHERE status = 'completed' AND completed_at >= {last7d:${AT}}) AS completed_24h,
       (SELECT count() FROM depannage_repairrequest FINAL WHERE status = 'completed' AND completed_at >= {last7d:${AT}}) AS completed_7d,
       (SELECT countIf(created_at >= {last24h:${AT}}) FROM users_user FINAL WHERE created_at >= {last7d:${AT}}) AS users_24h,
       (SELECT count() FROM users_user FINAL WHERE created_at >= {last7d:${AT}}) AS users_7d,
       (SELECT countIf(created_at >= {last24h:${AT}}) FROM depannage_review FINAL WHERE created_at >= {last7d:${AT}}) AS reviews_24h,
       (SELECT count() FROM depannage_review FINAL WHERE created_at >= {last7d:${AT}}) AS reviews_7d,
       (SELECT toString(sumIf(amount, created_at >= {last24h:${AT}})) FROM depannage_payment FINAL
          WHERE status = 'completed' AND payment_type = 'client_payment' AND created_at >= {last7d:${AT}}) AS revenue_24h,
       (SELECT toString(sum(amount)) FROM depannage_payment FINAL
          WHERE status = 'completed' AND payment_type = 'client_payment' AND created_at >= {last7d:${AT}}) AS revenue_7d,
       (SELECT count() FROM users_user FINAL WHERE last_login >= {last24h:${AT}}) AS online_users,
       (SELECT countIf(is_available AND is_verified) FROM depannage_technician FINAL) AS active_technicians`,
    params,
  );
  const r = row!;
  const activity = (suffix: '24h' | '7d'): WindowActivity => ({
    new_requests: count(r[`requests_${suffix}`]!),
    completed_requests: count(r[`completed_${suffix}`]!),
    new_users: count(r[`users_${suffix}`]!),
    new_reviews: count(r[`reviews_${suffix}`]!),
    revenue: centsToNumber(toCents(r[`revenue_${suffix}`]!)),
  });
  return {
    last_24h: activity('24h'),
    last_7d: activity('7d'),
    active_sessions: { online_users: count(r.online_users!), active_technicians: count(r.active_technicians!) },
  };
}
