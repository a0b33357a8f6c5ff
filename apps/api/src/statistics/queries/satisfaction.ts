// Satisfaction over visible, approved reviews (V*) created in the window.
import { queryOne, type ClickHouse } from '../../../../../libs/clickhouse/src/clickhouse.js';
import { count, percent, ratio } from '../../../../../libs/metrics/src/exact.js';
import type { SatisfactionExtras, SatisfactionStats } from '../../../../../libs/metrics/src/types.js';
import { dailyRows } from '../../../../../libs/metrics/src/catalogue/daily-aggregate.js';
import { REVIEWS_DAILY, VISIBLE_REVIEW } from '../../../../../libs/metrics/src/catalogue/reviews.js';
import { inWindow, isScoped, SCOPED_REQUEST_IDS, type WindowName, type WindowParams } from './params.js';

/**
 * Rows shaped like agg_reviews_daily (plus day) for a window. Unscoped: whole days + partial edge
 * days from the signed log. Scoped: reviews carry no city or specialty, so they are read from the
 * state table through their request.
 */
export function reviewFacts(window: WindowName, scoped: boolean): string {
  if (scoped) {
    return `
    SELECT toDate(created_at, 'UTC') AS day, toUInt8(${VISIBLE_REVIEW}) AS counted, rating,
           toUInt8(would_recommend) AS would_recommend, toInt64(1) AS reviews
    FROM depannage_review FINAL
    WHERE ${inWindow('created_at', window)} AND request_id IN (${SCOPED_REQUEST_IDS})`;
  }
  return dailyRows(REVIEWS_DAILY, window, ['day', 'counted', 'rating', 'would_recommend', 'reviews']);
}

export async function satisfactionStats(clickhouse: ClickHouse, params: WindowParams): Promise<SatisfactionStats> {
  const row = await queryOne<Record<'review_count' | 'rating_total' | 'satisfied' | 'recommending', string>>(
    clickhouse,
    `SELECT sum(reviews) AS review_count, toString(sum(reviews * rating)) AS rating_total,
            sumIf(reviews, rating >= 4) AS satisfied, sumIf(reviews, would_recommend = 1) AS recommending
     FROM (${reviewFacts('since', isScoped(params))})
     WHERE counted = 1`,
    params,
  );
  const reviews = count(row.review_count);
  return {
    total_reviews: reviews,
    avg_rating: ratio(BigInt(row.rating_total), BigInt(reviews)),
    satisfaction_rate: percent(count(row.satisfied), reviews),
    recommendation_rate: percent(count(row.recommending), reviews),
  };
}

/** V* per raw rating: '1'..'5' always, then any other stored value, ascending. */
export async function satisfactionExtras(clickhouse: ClickHouse, params: WindowParams): Promise<SatisfactionExtras> {
  const rows = await clickhouse.query<{ rating: string; review_count: string }>(
    `SELECT rating, sum(reviews) AS review_count
     FROM (${reviewFacts('since', isScoped(params))})
     WHERE counted = 1
     GROUP BY rating
     HAVING review_count != 0
     ORDER BY rating`,
    params,
  );
  const distribution = new Map<string, number>(['1', '2', '3', '4', '5'].map((rating) => [rating, 0]));
  for (const row of rows) distribution.set(String(row.rating), count(row.review_count));
  return { rating_distribution: Object.fromEntries(distribution) };
}
