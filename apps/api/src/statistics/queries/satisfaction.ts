// Satisfaction over visible, approved reviews (V*) created in the period.
import type { ClickHouse } from '../../../../../libs/clickhouse/src/clickhouse.js';
import { count, percent, ratio } from '../../../../../libs/metrics/src/exact.js';
import type { SatisfactionStats } from '../../../../../libs/metrics/src/types.js';
import { AT, type WindowParams } from './params.js';

/** V*: the reviews that count. Nothing approves reviews automatically, so most stay out until moderated. */
export const VISIBLE_REVIEW = "is_visible AND moderation_status = 'approved'";

export async function satisfactionStats(clickhouse: ClickHouse, params: WindowParams): Promise<SatisfactionStats> {
  const [row] = await clickhouse.query<Record<string, string>>(
    `SELECT count() AS reviews, toString(sum(toInt64(rating))) AS rating_sum,
            countIf(rating >= 4) AS satisfied, countIf(would_recommend) AS recommending
     FROM depannage_review FINAL
     WHERE ${VISIBLE_REVIEW} AND created_at >= {since:${AT}}`,
    params,
  );
  const reviews = count(row!.reviews!);
  return {
    total_reviews: reviews,
    avg_rating: ratio(BigInt(row!.rating_sum!), BigInt(reviews)),
    satisfaction_rate: percent(count(row!.satisfied!), reviews),
    recommendation_rate: percent(count(row!.recommending!), reviews),
  };
}
