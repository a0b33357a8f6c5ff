// Reviews (V, depannage_review). Satisfaction and technicians' ratings count V* only.
import type { DailyAggregate } from './daily-aggregate.js';

/** V*: the reviews that count. Nothing approves reviews automatically, so most stay out until moderated. */
export const VISIBLE_REVIEW = "is_visible AND moderation_status = 'approved'";

/**
 * Reviews per UTC creation day, counted-or-not, rating and recommendation. Every review is kept
 * (counted = 0 for the others): real_time_stats counts all new reviews, as the source did.
 */
export const REVIEWS_DAILY: DailyAggregate = {
  table: 'agg_reviews_daily',
  view: 'mv_agg_reviews_daily',
  log: 'depannage_review_signed',
  source: 'depannage_review',
  day: { column: 'created_at', expression: "toDate(created_at, 'UTC')" },
  where: null,
  dimensions: { counted: `toUInt8(${VISIBLE_REVIEW})`, rating: 'rating', would_recommend: 'toUInt8(would_recommend)' },
  measures: { reviews: 'toInt64(sign)' },
};

/** V* per technician and UTC creation day: review count and rating sum (mean = sum / count, once). */
export const TECHNICIAN_RATINGS_DAILY: DailyAggregate = {
  table: 'agg_technician_ratings_daily',
  view: 'mv_agg_technician_ratings_daily',
  log: 'depannage_review_signed',
  source: 'depannage_review',
  day: { column: 'created_at', expression: "toDate(created_at, 'UTC')" },
  where: VISIBLE_REVIEW,
  dimensions: { technician_id: 'technician_id' },
  measures: { reviews: 'toInt64(sign)', rating_sum: 'toInt64(sign) * rating' },
};

/** The same, all time. */
export const TECHNICIAN_RATINGS_ALL: DailyAggregate = {
  ...TECHNICIAN_RATINGS_DAILY,
  table: 'agg_technician_ratings_all',
  view: 'mv_agg_technician_ratings_all',
  day: null,
};
