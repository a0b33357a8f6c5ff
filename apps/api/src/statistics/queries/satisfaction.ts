// Satisfaction over visible, approved reviews (V*) created in the period.
import type { ClickHouse } from '../../../../../libs/clickhouse/src/clickhouse.js';
import { count, percent, ratio } from '../../../../../libs/metrics/src/exact.js';
import type { SatisfactionStats } from '../../../../../libs/metrics/src/types.js';
import { partialDay, wholeDays, type WindowName, type WindowParams } from './params.js';

/** V*: the reviews that count. Nothing approves reviews automatically, so most stay out until moderated. */
export const VISIBLE_REVIEW = "is_visible AND moderation_status = 'approved'";

/** Rows of agg_reviews_daily for a window (whole days + partial first day from the signed log). */
export function reviewFacts(window: WindowName): string {
  return `
    SELECT counted, rating, would_recommend, reviews FROM agg_reviews_daily WHERE ${wholeDays(window)}
    UNION ALL
    SELECT toUInt8(${VISIBLE_REVIEW}), rating, toUInt8(would_recommend), toInt64(sign)
    FROM depannage_review_signed WHERE ${partialDay('created_at', window)}`;
}

export async function satisfactionStats(clickhouse: ClickHouse, params: WindowParams): Promise<SatisfactionStats> {
  const [row] = await clickhouse.query<Record<string, string>>(
    `SELECT sum(reviews) AS review_count, toString(sum(reviews * rating)) AS rating_total,
            sumIf(reviews, rating >= 4) AS satisfied, sumIf(reviews, would_recommend = 1) AS recommending
     FROM (${reviewFacts('since')})
     WHERE counted = 1`,
    params,
  );
  const reviews = count(row!.review_count!);
  return {
    total_reviews: reviews,
    avg_rating: ratio(BigInt(row!.rating_total!), BigInt(reviews)),
    satisfaction_rate: percent(count(row!.satisfied!), reviews),
    recommendation_rate: percent(count(row!.recommending!), reviews),
  };
}
