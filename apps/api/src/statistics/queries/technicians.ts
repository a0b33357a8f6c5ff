// Technician profiles and the top 10 by completed jobs among requests created in the period.
import { queryOne, type ClickHouse } from '../../../../../libs/clickhouse/src/clickhouse.js';
import { centsToNumber, count, ratio, toCents } from '../../../../../libs/metrics/src/exact.js';
import type { TopTechnician } from '../../../../../libs/metrics/src/types.js';
import { dailyRows } from '../../../../../libs/metrics/src/catalogue/daily-aggregate.js';
import { COMPLETED_JOB, TECHNICIAN_JOBS_ALL, TECHNICIAN_JOBS_DAILY } from '../../../../../libs/metrics/src/catalogue/requests.js';
import { TECHNICIAN_RATINGS_ALL, TECHNICIAN_RATINGS_DAILY, VISIBLE_REVIEW } from '../../../../../libs/metrics/src/catalogue/reviews.js';
import { inWindow, isAllTime, isScoped, REQUEST_SCOPE, SCOPED_REQUEST_IDS, type WindowParams } from './params.js';

export interface TechnicianProfiles {
  verified: number;
  available: number;
}

export async function technicianProfiles(clickhouse: ClickHouse): Promise<TechnicianProfiles> {
  const row = await queryOne<Record<'verified' | 'available', string>>(
    clickhouse,
    `SELECT countIf(is_verified) AS verified, countIf(is_available AND is_verified) AS available
     FROM depannage_technician FINAL`,
  );
  return { verified: count(row.verified), available: count(row.available) };
}

type Source = 'all' | 'window' | 'scoped';

function sourceOf(params: WindowParams): Source {
  return isAllTime(params) ? 'all' : isScoped(params) ? 'scoped' : 'window';
}

/**
 * Completed jobs and earnings per technician in the window: the all-time aggregate, whole days +
 * partial edge days, or (scoped to a city or specialty, which the aggregates lack) the state table.
 */
function jobSource(source: Source): string {
  if (source === 'all') return `SELECT technician_id, jobs, earnings FROM ${TECHNICIAN_JOBS_ALL.table}`;
  if (source === 'scoped') {
    return `
    SELECT assumeNotNull(technician_id) AS technician_id, toInt64(1) AS jobs, toDecimal128(ifNull(final_price, toDecimal64(0, 2)), 2) AS earnings
    FROM depannage_repairrequest FINAL
    WHERE ${COMPLETED_JOB} AND ${inWindow('created_at', 'since')} AND ${REQUEST_SCOPE}`;
  }
  return dailyRows(TECHNICIAN_JOBS_DAILY, 'since', ['technician_id', 'jobs', 'earnings']);
}

/** Ratings (V*) per technician in the window, likewise (scoped: reviews of requests in scope). */
function ratingSource(source: Source): string {
  if (source === 'all') return `SELECT technician_id, rating_sum, reviews FROM ${TECHNICIAN_RATINGS_ALL.table}`;
  if (source === 'scoped') {
    return `
    SELECT technician_id, toInt64(rating) AS rating_sum, toInt64(1) AS reviews
    FROM depannage_review FINAL
    WHERE ${VISIBLE_REVIEW} AND ${inWindow('created_at', 'since')} AND request_id IN (${SCOPED_REQUEST_IDS})`;
  }
  return dailyRows(TECHNICIAN_RATINGS_DAILY, 'since', ['technician_id', 'rating_sum', 'reviews']);
}

/** Completed jobs in the window and the number of distinct technicians who did them. */
export async function jobTotals(clickhouse: ClickHouse, params: WindowParams): Promise<{ jobs: number; technicians: number }> {
  const row = await queryOne<{ job_count: string; technician_count: string }>(
    clickhouse,
    `SELECT sum(total_jobs) AS job_count, count() AS technician_count FROM (
       SELECT technician_id, sum(jobs) AS total_jobs FROM (${jobSource(sourceOf(params))})
       GROUP BY technician_id HAVING total_jobs > 0
     )`,
    params,
  );
  return { jobs: count(row.job_count), technicians: count(row.technician_count) };
}

/** Ranked candidates fetched at a time while looking for the ten leaders. */
const CANDIDATES_PER_PAGE = 20;

export async function topTechnicians(clickhouse: ClickHouse, params: WindowParams): Promise<TopTechnician[]> {
  // Jobs, earnings and ratings are aggregated separately, then joined: the original joined
  // requests with reviews first and multiplied jobs and earnings by the number of reviews.
  const source = sourceOf(params);
  // The leaders first, without joining every technician: candidates in rank order from the jobs
  // alone, then the profiles of those candidates only (a job's technician can be gone: with SET
  // NULL that is rare, so the first page nearly always holds the ten). Then names and ratings.
  const leaders: Array<{ id: string; user_id: string; specialty: string; total_jobs: string; earnings: string }> = [];
  for (let offset = 0; leaders.length < 10; offset += CANDIDATES_PER_PAGE) {
    const candidates = await clickhouse.query<{ id: string; total_jobs: string; earnings: string }>(
      `SELECT technician_id AS id, sum(jobs) AS total_jobs, toString(sum(earnings)) AS earnings
       FROM (${jobSource(source)})
       GROUP BY technician_id
       HAVING total_jobs > 0
       ORDER BY total_jobs DESC, technician_id ASC
       LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
      { ...params, limit: CANDIDATES_PER_PAGE, offset },
    );
    if (candidates.length === 0) break;
    const profiles = await clickhouse.query<{ id: string; user_id: string; specialty: string }>(
      'SELECT id, user_id, specialty FROM depannage_technician FINAL WHERE id IN {ids:Array(Int64)}',
      { ids: candidates.map((candidate) => Number(candidate.id)) },
    );
    const profileOf = new Map(profiles.map((profile) => [String(profile.id), profile]));
    for (const candidate of candidates) {
      const profile = profileOf.get(String(candidate.id));
      if (profile && leaders.length < 10) leaders.push({ ...candidate, user_id: profile.user_id, specialty: profile.specialty });
    }
    if (candidates.length < CANDIDATES_PER_PAGE) break;
  }
  if (leaders.length === 0) return [];
  const ids = leaders.map((leader) => Number(leader.id));
  const userIds = leaders.map((leader) => Number(leader.user_id));
  const [names, ratings] = await Promise.all([
    clickhouse.query<{ id: string; username: string; full_name: string }>(
      `SELECT id, username, trimBoth(concat(first_name, ' ', last_name)) AS full_name
       FROM users_user FINAL WHERE id IN {userIds:Array(Int64)}`,
      { userIds },
    ),
    clickhouse.query<{ technician_id: string; rating_total: string; rating_count: string }>(
      `SELECT technician_id, toString(sum(rating_sum)) AS rating_total, toString(sum(reviews)) AS rating_count
       FROM (${ratingSource(source)})
       WHERE technician_id IN {ids:Array(Int64)}
       GROUP BY technician_id`,
      { ...params, ids },
    ),
  ]);
  const nameOf = new Map(names.map((user) => [String(user.id), user]));
  const ratingOf = new Map(ratings.map((rating) => [String(rating.technician_id), rating]));
  const rows = leaders.map((leader) => {
    const user = nameOf.get(String(leader.user_id));
    const rating = ratingOf.get(String(leader.id));
    return {
      id: leader.id,
      username: user?.username ?? '',
      full_name: user?.full_name ?? '',
      specialty: leader.specialty,
      total_jobs: leader.total_jobs,
      earnings: leader.earnings,
      rating_sum: rating?.rating_total ?? '0',
      ratings: rating?.rating_count ?? '0',
    };
  });
  return rows.map((row) => ({
    id: count(row.id),
    name: row.full_name || row.username,
    specialty: row.specialty,
    total_jobs: count(row.total_jobs),
    avg_rating: ratio(BigInt(row.rating_sum), BigInt(row.ratings)),
    total_earnings: centsToNumber(toCents(row.earnings)),
  }));
}
