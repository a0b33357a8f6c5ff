// Technician profiles and the top 10 by completed jobs among requests created in the period.
import type { ClickHouse } from '../../../../../libs/clickhouse/src/clickhouse.js';
import { centsToNumber, count, ratio, toCents } from '../../../../../libs/metrics/src/exact.js';
import type { TopTechnician } from '../../../../../libs/metrics/src/types.js';
import { partialDay, wholeDays, type WindowParams } from './params.js';
import { VISIBLE_REVIEW } from './satisfaction.js';

export interface TechnicianProfiles {
  verified: number;
  available: number;
}

export async function technicianProfiles(clickhouse: ClickHouse): Promise<TechnicianProfiles> {
  const [row] = await clickhouse.query<Record<string, string>>(
    `SELECT countIf(is_verified) AS verified, countIf(is_available AND is_verified) AS available
     FROM depannage_technician FINAL`,
  );
  return { verified: count(row!.verified!), available: count(row!.available!) };
}

export async function topTechnicians(clickhouse: ClickHouse, params: WindowParams): Promise<TopTechnician[]> {
  // Jobs, earnings and ratings are aggregated separately, then joined: the original joined
  // requests with reviews first and multiplied jobs and earnings by the number of reviews.
  const rows = await clickhouse.query<{
    id: string;
    username: string;
    full_name: string;
    specialty: string;
    total_jobs: string;
    earnings: string;
    rating_sum: string;
    ratings: string;
  }>(
    `WITH jobs AS (
       SELECT technician_id, sum(jobs) AS total_jobs, sum(earnings) AS total_earnings
       FROM (
         SELECT technician_id, jobs, earnings FROM agg_technician_jobs_daily WHERE ${wholeDays('since')}
         UNION ALL
         SELECT assumeNotNull(technician_id), toInt64(sign), toDecimal128(sign, 0) * ifNull(final_price, toDecimal64(0, 2))
         FROM depannage_repairrequest_signed
         WHERE status = 'completed' AND technician_id IS NOT NULL AND ${partialDay('created_at', 'since')}
       )
       GROUP BY technician_id
       HAVING total_jobs > 0
     ),
     technicians AS (SELECT id, user_id, specialty FROM depannage_technician FINAL),
     leaders AS (
       SELECT j.technician_id AS technician_id, j.total_jobs AS total_jobs, j.total_earnings AS total_earnings, t.user_id AS user_id, t.specialty AS specialty
       FROM jobs AS j INNER JOIN technicians AS t ON t.id = j.technician_id
       ORDER BY j.total_jobs DESC, j.technician_id ASC
       LIMIT 10
     ),
     ratings AS (
       SELECT technician_id, sum(rating_sum) AS rating_total, sum(reviews) AS rating_count
       FROM (
         SELECT technician_id, rating_sum, reviews FROM agg_technician_ratings_daily
         WHERE ${wholeDays('since')} AND technician_id IN (SELECT technician_id FROM leaders)
         UNION ALL
         SELECT technician_id, toInt64(sign) * rating, toInt64(sign)
         FROM depannage_review_signed
         WHERE ${VISIBLE_REVIEW} AND ${partialDay('created_at', 'since')} AND technician_id IN (SELECT technician_id FROM leaders)
       )
       GROUP BY technician_id
     )
     SELECT leaders.technician_id AS id, u.username AS username, trimBoth(concat(u.first_name, ' ', u.last_name)) AS full_name,
            leaders.specialty AS specialty, leaders.total_jobs AS total_jobs, toString(leaders.total_earnings) AS earnings,
            toString(ifNull(r.rating_total, 0)) AS rating_sum, toString(ifNull(r.rating_count, 0)) AS ratings
     FROM leaders
     LEFT JOIN (SELECT id, username, first_name, last_name FROM users_user FINAL WHERE id IN (SELECT user_id FROM leaders)) AS u ON u.id = leaders.user_id
     LEFT JOIN ratings AS r ON r.technician_id = leaders.technician_id
     ORDER BY leaders.total_jobs DESC, leaders.technician_id ASC
     SETTINGS join_use_nulls = 1`,
    params,
  );
  return rows.map((row) => ({
    id: count(row.id),
    name: row.full_name || row.username,
    specialty: row.specialty,
    total_jobs: count(row.total_jobs),
    avg_rating: ratio(BigInt(row.rating_sum), BigInt(row.ratings)),
    total_earnings: centsToNumber(toCents(row.earnings)),
  }));
}
