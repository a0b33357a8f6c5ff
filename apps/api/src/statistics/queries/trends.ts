// Trend buckets (daily, weekly, monthly), fixed windows that ignore `period`. ClickHouse sums per
// UTC day since the earliest bucket; days are then folded into buckets here, gap-filled with 0.
import type { ClickHouse } from '../../../../../libs/clickhouse/src/clickhouse.js';
import { centsToNumber, count, toCents } from '../../../../../libs/metrics/src/exact.js';
import type { TrendBucket, TrendBucketWithUsers, Trends } from '../../../../../libs/metrics/src/types.js';
import { trendCalendar } from '../../../../../libs/metrics/src/windows.js';
import { AT, type WindowParams } from './params.js';

interface DayFigures {
  requests: number;
  completed: number;
  revenueCents: bigint;
  newUsers: number;
}

export async function trends(clickhouse: ClickHouse, params: WindowParams, now: Date): Promise<Trends> {
  const rows = await clickhouse.query<{ day: string; requests: string; completed: string; revenue: string; new_users: string }>(
    `SELECT toString(day) AS day, sum(requests) AS requests, sum(completed) AS completed,
            toString(sum(revenue)) AS revenue, sum(new_users) AS new_users
     FROM (
       SELECT toDate(created_at, 'UTC') AS day, count() AS requests, 0 AS completed, toDecimal128(0, 2) AS revenue, 0 AS new_users
       FROM depannage_repairrequest FINAL WHERE created_at >= {trendSince:${AT}} GROUP BY day
       UNION ALL
       SELECT toDate(assumeNotNull(completed_at), 'UTC'), 0, count(), toDecimal128(0, 2), 0
       FROM depannage_repairrequest FINAL
       WHERE status = 'completed' AND completed_at >= {trendSince:${AT}} GROUP BY 1
       UNION ALL
       SELECT toDate(created_at, 'UTC'), 0, 0, toDecimal128(sum(amount), 2), 0
       FROM depannage_payment FINAL
       WHERE status = 'completed' AND payment_type = 'client_payment' AND created_at >= {trendSince:${AT}} GROUP BY 1
       UNION ALL
       SELECT toDate(created_at, 'UTC'), 0, 0, toDecimal128(0, 2), count()
       FROM users_user FINAL WHERE created_at >= {trendSince:${AT}} GROUP BY 1
     )
     GROUP BY day`,
    params,
  );
  const byDay = new Map<string, DayFigures>();
  for (const row of rows) {
    byDay.set(row.day, {
      requests: count(row.requests),
      completed: count(row.completed),
      revenueCents: toCents(row.revenue),
      newUsers: count(row.new_users),
    });
  }
  const calendar = trendCalendar(now);
  const sum = (days: (day: string) => boolean): DayFigures => {
    const total: DayFigures = { requests: 0, completed: 0, revenueCents: 0n, newUsers: 0 };
    for (const [day, figures] of byDay) {
      if (!days(day)) continue;
      total.requests += figures.requests;
      total.completed += figures.completed;
      total.revenueCents += figures.revenueCents;
      total.newUsers += figures.newUsers;
    }
    return total;
  };
  const bucket = (figures: DayFigures): TrendBucket => ({
    requests: figures.requests,
    completed: figures.completed,
    revenue: centsToNumber(figures.revenueCents),
  });
  const withUsers = (figures: DayFigures): TrendBucketWithUsers => ({ ...bucket(figures), new_users: figures.newUsers });

  const daily: Record<string, TrendBucketWithUsers> = {};
  for (const day of calendar.days) daily[day] = withUsers(sum((d) => d === day));
  const weekly: Record<string, TrendBucket> = {};
  for (const week of calendar.weeks) weekly[week.key] = bucket(sum((d) => week.days.includes(d)));
  const monthly: Record<string, TrendBucketWithUsers> = {};
  // Buckets are whole UTC calendar months: the current one holds what exists so far.
  for (const month of calendar.months) monthly[month] = withUsers(sum((d) => d.startsWith(month)));
  return { daily, weekly, monthly };
}
