// Technician profiles and the top 10 by completed jobs among requests created in the period.
import type { ClickHouse } from '../../../../../libs/clickhouse/src/clickhouse.js';
import { centsToNumber, count, ratio, toCents } from '../../../../../libs/metrics/src/exact.js';
import type { TopTechnician } from '../../../../../libs/metrics/src/types.js';
import { AT, type WindowParams } from './params.js';
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
       SELECT assumeNotNull(technician_id) AS technician_id, count() AS total_jobs,
              sum(ifNull(final_price, toDecimal64(0, 2))) AS earnings
       FROM depannage_repairrequest FINAL
       WHERE status = 'completed' AND technician_id IS NOT NULL AND created_at >= {since:${AT}}
       GROUP BY technician_id
     ),
     ratings AS (
       SELECT technician_id, sum(toInt64(rating)) AS rating_sum, count() AS ratings
       FROM depannage_review FINAL
       WHERE ${VISIBLE_REVIEW} AND created_at >= {since:${AT}}
       GROUP BY technician_id
     )
     SELECT t.id AS id, u.username AS username, trimBoth(concat(u.first_name, ' ', u.last_name)) AS full_name,
            t.specialty AS specialty, j.total_jobs AS total_jobs, toString(j.earnings) AS earnings,
            toString(ifNull(r.rating_sum, 0)) AS rating_sum, toString(ifNull(r.ratings, 0)) AS ratings
     FROM jobs AS j
     INNER JOIN (SELECT id, user_id, specialty FROM depannage_technician FINAL) AS t ON t.id = j.technician_id
     LEFT JOIN (SELECT id, username, first_name, last_name FROM users_user FINAL) AS u ON u.id = t.user_id
     LEFT JOIN ratings AS r ON r.technician_id = t.id
     ORDER BY j.total_jobs DESC, t.id ASC
     LIMIT 10
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
