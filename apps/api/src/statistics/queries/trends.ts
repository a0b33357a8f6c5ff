// Trend buckets (daily, weekly, monthly), fixed calendar windows that ignore the period (metrics.md)
// but follow the request scope. Buckets are whole UTC days, so they come from the daily
// aggregates (or, scoped to a city or specialty the aggregates lack, from the state tables);
// days are folded into buckets here, gap-filled with 0.
import type { ClickHouse } from '../../../../../libs/clickhouse/src/clickhouse.js';
import { centsToNumber, count, ratio, toCents } from '../../../../../libs/metrics/src/exact.js';
import type { RatingBucket, TrendBucket, TrendBucketWithUsers, TrendExtras, Trends } from '../../../../../libs/metrics/src/types.js';
import { trendCalendar } from '../../../../../libs/metrics/src/windows.js';
import { REVENUE } from '../../../../../libs/metrics/src/catalogue/payments.js';
import { paymentFacts } from './financial.js';
import { AT, isScoped, REQUEST_SCOPE, type WindowParams } from './params.js';
import { reviewFacts } from './satisfaction.js';

/** Folds per-day figures into the three bucket series; a day without figures counts as `empty`. */
function buckets<Day, Bucket>(
  now: Date,
  byDay: Map<string, Day>,
  add: (total: Day, day: Day) => Day,
  empty: () => Day,
  finish: (total: Day) => Bucket,
): { daily: Record<string, Bucket>; weekly: Record<string, Bucket>; monthly: Record<string, Bucket> } {
  const calendar = trendCalendar(now);
  const sum = (inBucket: (day: string) => boolean): Bucket => {
    let total = empty();
    for (const [day, figures] of byDay) if (inBucket(day)) total = add(total, figures);
    return finish(total);
  };
  const series = <Key extends string>(keys: Key[], inBucket: (key: Key, day: string) => boolean): Record<string, Bucket> =>
    Object.fromEntries(keys.map((key) => [key, sum((day) => inBucket(key, day))]));
  return {
    daily: series(calendar.days, (key, day) => key === day),
    weekly: series(calendar.weeks.map((week) => week.key), (key, day) => calendar.weeks.find((week) => week.key === key)!.days.includes(day)),
    // Buckets are whole UTC calendar months: the current one holds what exists so far.
    monthly: series(calendar.months, (key, day) => day.startsWith(key)),
  };
}

interface DayFigures {
  requests: number;
  completed: number;
  revenueCents: bigint;
  newUsers: number;
}

export async function trends(clickhouse: ClickHouse, params: WindowParams, now: Date): Promise<Trends> {
  const completions = isScoped(params)
    ? `SELECT toDate(assumeNotNull(completed_at), 'UTC') AS day, toInt64(1) AS completed FROM depannage_repairrequest FINAL
       WHERE status = 'completed' AND completed_at >= {trend:${AT}} AND ${REQUEST_SCOPE}`
    : 'SELECT day, completed FROM agg_request_completions_daily WHERE day >= {trendDay:Date32}';
  const rows = await clickhouse.query<{ day_text: string; request_count: string; completed_count: string; revenue_total: string; user_count: string }>(
    `SELECT toString(day) AS day_text, sum(requests) AS request_count, sum(completed) AS completed_count,
            toString(sum(revenue)) AS revenue_total, sum(new_users) AS user_count
     FROM (
       SELECT day, requests, 0 AS completed, toDecimal128(0, 2) AS revenue, 0 AS new_users
       FROM agg_requests_daily WHERE day >= {trendDay:Date32} AND ${REQUEST_SCOPE}
       UNION ALL
       SELECT day, 0, completed, toDecimal128(0, 2), 0 FROM (${completions})
       UNION ALL
       SELECT day, 0, 0, toDecimal128(amount, 2), 0 FROM (${paymentFacts('trend', isScoped(params))}) WHERE ${REVENUE}
       UNION ALL
       SELECT day, 0, 0, toDecimal128(0, 2), users FROM agg_users_daily WHERE day >= {trendDay:Date32}
     )
     GROUP BY day`,
    params,
  );
  const byDay = new Map<string, DayFigures>(
    rows.map((row) => [
      row.day_text,
      {
        requests: count(row.request_count),
        completed: count(row.completed_count),
        revenueCents: toCents(row.revenue_total),
        newUsers: count(row.user_count),
      },
    ]),
  );
  const withUsers = buckets<DayFigures, TrendBucketWithUsers>(
    now,
    byDay,
    (total, day) => ({
      requests: total.requests + day.requests,
      completed: total.completed + day.completed,
      revenueCents: total.revenueCents + day.revenueCents,
      newUsers: total.newUsers + day.newUsers,
    }),
    () => ({ requests: 0, completed: 0, revenueCents: 0n, newUsers: 0 }),
    (total) => ({ requests: total.requests, completed: total.completed, revenue: centsToNumber(total.revenueCents), new_users: total.newUsers }),
  );
  // Weekly buckets have no new_users (metrics.md).
  const weekly = Object.fromEntries(
    Object.entries(withUsers.weekly).map(([key, { new_users: _, ...bucket }]): [string, TrendBucket] => [key, bucket]),
  );
  return { daily: withUsers.daily, weekly, monthly: withUsers.monthly };
}

/** Visible reviews and their mean rating per bucket (V*, by V.created_at). */
export async function trendExtras(clickhouse: ClickHouse, params: WindowParams, now: Date): Promise<TrendExtras> {
  const rows = await clickhouse.query<{ day_text: string; review_count: string; rating_total: string }>(
    `SELECT toString(day) AS day_text, sum(reviews) AS review_count, toString(sum(reviews * rating)) AS rating_total
     FROM (${reviewFacts('trend', isScoped(params))})
     WHERE counted = 1
     GROUP BY day`,
    params,
  );
  const byDay = new Map(rows.map((row) => [row.day_text, { reviews: BigInt(row.review_count), ratingSum: BigInt(row.rating_total) }]));
  const ratings = buckets<{ reviews: bigint; ratingSum: bigint }, RatingBucket>(
    now,
    byDay,
    (total, day) => ({ reviews: total.reviews + day.reviews, ratingSum: total.ratingSum + day.ratingSum }),
    () => ({ reviews: 0n, ratingSum: 0n }),
    (total) => ({ reviews: Number(total.reviews), avg_rating: ratio(total.ratingSum, total.reviews) }),
  );
  return { ratings };
}
