// The figures of the legacy project_statistics (legacy-endpoints.md §1) whose definition differs
// from global_statistics: the rest is read with the global_statistics queries themselves (see
// ../project-statistics.ts). Always over all time (period 'all' parameters), no scope.
import { queryOne, type ClickHouse } from '../../../../../libs/clickhouse/src/clickhouse.js';
import { centsToNumber, count, ratio, toCents } from '../../../../../libs/metrics/src/exact.js';
import type { TopTechnician } from '../../../../../libs/metrics/src/types.js';
import type { WindowParams } from './params.js';
import { requestFacts } from './requests.js';
import { reviewFacts } from './satisfaction.js';

/** Sums over every review (V), exact, for means rounded by the caller. */
export interface AllReviews {
  reviews: bigint;
  ratingSum: bigint;
  /** Reviews with rating ≥ 4. */
  satisfied: bigint;
}

/**
 * Every review, whatever its visibility and moderation: the legacy page predates moderation,
 * whereas global_statistics' satisfaction counts V* only (hence a query of its own, over the same
 * review facts without the `counted` filter).
 */
export async function allReviews(clickhouse: ClickHouse, params: WindowParams): Promise<AllReviews> {
  const row = await queryOne<{ review_count: string; rating_total: string; satisfied_count: string }>(
    clickhouse,
    `SELECT toString(sum(reviews)) AS review_count, toString(sum(reviews * rating)) AS rating_total,
            toString(sumIf(reviews, rating >= 4)) AS satisfied_count
     FROM (${reviewFacts('since', false)})`,
    params,
  );
  return { reviews: BigInt(row.review_count), ratingSum: BigInt(row.rating_total), satisfied: BigInt(row.satisfied_count) };
}

/**
 * Requests created in the last 24 h, 7 × 24 h and 30 × 24 h: the same request facts (aggregate
 * whole days + signed-log edge day) as every other rolling window.
 */
export async function recentRequests(
  clickhouse: ClickHouse,
  params: WindowParams,
): Promise<{ recent_24h: number; recent_7d: number; recent_30d: number }> {
  const row = await queryOne<Record<'recent_24h' | 'recent_7d' | 'recent_30d', string>>(
    clickhouse,
    `SELECT (SELECT sum(requests) FROM (${requestFacts('last24h')})) AS recent_24h,
            (SELECT sum(requests) FROM (${requestFacts('last7d')})) AS recent_7d,
            (SELECT sum(requests) FROM (${requestFacts('last30d')})) AS recent_30d`,
    params,
  );
  return { recent_24h: count(row.recent_24h), recent_7d: count(row.recent_7d), recent_30d: count(row.recent_30d) };
}

/** French labels of the technician specialty choices (Django model); unknown values stay raw. */
export const SPECIALTY_LABELS: Readonly<Record<string, string>> = {
  electrician: 'Électricien',
  plumber: 'Plombier',
  mechanic: 'Mécanicien',
  it: 'Informatique',
  air_conditioning: 'Climatisation',
  appliance_repair: 'Électroménager',
  locksmith: 'Serrurier',
  other: 'Autre',
};

export function specialtyLabel(specialty: string): string {
  // hasOwn: a raw value such as 'constructor' or '__proto__' is not a label.
  return Object.hasOwn(SPECIALTY_LABELS, specialty) ? SPECIALTY_LABELS[specialty]! : specialty;
}

/**
 * Up to 10 verified technicians by completed jobs (ties by id). Differs from global_statistics'
 * top_technicians in three ways (legacy-endpoints.md): only verified technicians; the rating is
 * the mean of every review attached (V.request_id) to their completed requests, 1 decimal
 * (global: V* by V.technician_id, 2 decimals); the specialty is its French label. Jobs and
 * earnings are the same all-time aggregate (completed requests, NULL price as 0), so a request
 * with several payments counts once.
 */
export async function legacyTopTechnicians(clickhouse: ClickHouse): Promise<TopTechnician[]> {
  const leaders = await clickhouse.query<{ id: string; total_jobs: string; earnings: string; username: string; full_name: string; specialty: string }>(
    `SELECT j.technician_id AS id, j.total_jobs AS total_jobs, j.earnings AS earnings,
            t.specialty AS specialty, u.username AS username, u.full_name AS full_name
     FROM (
       SELECT technician_id, sum(jobs) AS total_jobs, toString(sum(earnings)) AS earnings
       FROM agg_technician_jobs_all
       WHERE technician_id IN (SELECT id FROM depannage_technician FINAL WHERE is_verified)
       GROUP BY technician_id
       HAVING total_jobs > 0
       ORDER BY total_jobs DESC, technician_id ASC
       LIMIT 10
     ) AS j
     INNER JOIN (SELECT id, user_id, specialty FROM depannage_technician FINAL WHERE is_verified) AS t ON t.id = j.technician_id
     LEFT JOIN (SELECT id, username, trimBoth(concat(first_name, ' ', last_name)) AS full_name FROM users_user FINAL) AS u
       ON u.id = t.user_id
     ORDER BY total_jobs DESC, id ASC`,
  );
  if (leaders.length === 0) return [];
  const ratings = await clickhouse.query<{ technician_id: string; rating_total: string; rating_count: string }>(
    `SELECT r.technician_id AS technician_id, toString(sum(v.rating)) AS rating_total, toString(count()) AS rating_count
     FROM (SELECT request_id, rating FROM depannage_review FINAL) AS v
     INNER JOIN (
       SELECT id, assumeNotNull(technician_id) AS technician_id FROM depannage_repairrequest FINAL
       WHERE status = 'completed' AND technician_id IN {ids:Array(Int64)}
     ) AS r ON r.id = v.request_id
     GROUP BY r.technician_id`,
    { ids: leaders.map((leader) => Number(leader.id)) },
  );
  const ratingOf = new Map(ratings.map((rating) => [String(rating.technician_id), rating]));
  return leaders.map((leader) => {
    const rating = ratingOf.get(String(leader.id));
    return {
      id: count(leader.id),
      name: leader.full_name || leader.username,
      specialty: specialtyLabel(leader.specialty),
      total_jobs: count(leader.total_jobs),
      avg_rating: ratio(BigInt(rating?.rating_total ?? 0), BigInt(rating?.rating_count ?? 0), 1n, 1),
      total_earnings: centsToNumber(toCents(leader.earnings)),
    };
  });
}
