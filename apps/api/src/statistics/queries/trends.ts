// Trend buckets (daily, weekly, monthly), fixed windows that ignore `period`. Buckets are whole
// UTC days, so they come straight from the daily aggregates; days are folded into buckets here,
// gap-filled with 0.
import type { ClickHouse } from '../../../../../libs/clickhouse/src/clickhouse.js';
import { centsToNumber, count, toCents } from '../../../../../libs/metrics/src/exact.js';
import type { TrendBucket, TrendBucketWithUsers, Trends } from '../../../../../libs/metrics/src/types.js';
import { trendCalendar } from '../../../../../libs/metrics/src/windows.js';
import { REVENUE } from './financial.js';
import type { WindowParams } from './params.js';

interface DayFigures {
  requests: number;
  completed: number;
  revenueCents: bigint;
  newUsers: number;
}

export async function trends(clickhouse: ClickHouse, params: WindowParams, now: Date): Promise<Trends> {
  const rows = await clickhouse.query<{ day_text: string; request_count: string; completed_count: string; revenue_total: string; user_count: string }>(
    `SELECT toString(day) AS day_text, sum(requests) AS request_count, sum(completed) AS completed_count,
            toString(sum(revenue)) AS revenue_total, sum(new_users) AS user_count
     FROM (
       SELECT day, requests, 0 AS completed, toDecimal128(0, 2) AS revenue, 0 AS new_users
       FROM agg_requests_daily WHERE day >= {trendSinceDay:Date32}
       UNION ALL
       SELECT day, 0, completed, toDecimal128(0, 2), 0 FROM agg_request_completions_daily WHERE day >= {trendSinceDay:Date32}
       UNION ALL
       SELECT day, 0, 0, toDecimal128(amount, 2), 0 FROM agg_payments_daily WHERE ${REVENUE} AND day >= {trendSinceDay:Date32}
       UNION ALL
       SELECT day, 0, 0, toDecimal128(0, 2), users FROM agg_users_daily WHERE day >= {trendSinceDay:Date32}
     )
     GROUP BY day`,
    params,
  );
  const byDay = new Map<string, DayFigures>();
  for (const row of rows) {
    byDay.set(row.day_text, {
      requests: count(row.request_count),
      completed: count(row.completed_count),
      revenueCents: toCents(row.revenue_total),
      newUsers: count(row.user_count),
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
