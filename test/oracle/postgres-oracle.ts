// Test oracle: every statistics metric computed in plain SQL directly on the operational
// Postgres, written from ../../../shared/contract/metrics.md alone (independently of the
// ClickHouse implementation), so that tests and benchmarks can check our numbers exactly.
//
// Conventions used throughout:
//   * `now` is always a bound parameter ($1::timestamptz); SQL now() is never used.
//   * Rolling windows are `col >= $1 - make_interval(hours => N)` with N in hours (24, 168, 720),
//     so no DST / calendar arithmetic of the session time zone can creep in.
//   * The period filter is `($2::int IS NULL OR col >= $1 - make_interval(hours => $2))`,
//     $2 = NULL meaning 'all'.
//   * Every derived figure is computed in numeric (exact sums, numeric division and AVG) and
//     rounded once with round(numeric, 2), which rounds half away from zero. Counts are exact.
//   * Empty means / zero denominators give 0 (COALESCE / CASE).
//   * Tie-breaks on text use COLLATE "C" (byte order of the UTF-8 string = code point order),
//     so the result does not depend on the database's default collation.
//   * pg returns bigint and numeric as strings: everything goes through Number().
import pg from 'pg';
import type {
  AdvancedStats,
  FinancialStats,
  GeographyStats,
  GlobalStatisticsFigures,
  Overview,
  Period,
  RealTimeStats,
  RequestStats,
  SatisfactionStats,
  SecurityStats,
  SpecialtyFigures,
  SpecialtyStats,
  TechnicianStats,
  TopTechnician,
  TrendBucket,
  TrendBucketWithUsers,
  Trends,
  WindowActivity,
} from '../../libs/metrics/src/types.js';

export type OracleDb = pg.ClientBase | pg.Pool;

/** Length of each period's rolling window in hours; null = no filter ('all'). */
const PERIOD_HOURS: Record<Period, number | null> = { '24h': 24, '7d': 7 * 24, '30d': 30 * 24, all: null };

/** SQL predicate "col lies in the selected period" ($1 = now, $2 = window hours or NULL). */
function inPeriod(col: string): string {
  return `($2::int IS NULL OR ${col} >= $1::timestamptz - make_interval(hours => $2::int))`;
}

/** Revenue payments RP and visible reviews V*, as SQL predicates on aliases p and v. */
const RP = `p.status = 'completed' AND p.payment_type = 'client_payment'`;
const V_STAR = `v.is_visible AND v.moderation_status = 'approved'`;

/** n × 100 / d rounded, 0 when d = 0 (numeric throughout: `100::numeric` forces it). */
function pct(n: string, d: string): string {
  return `CASE WHEN (${d}) = 0 THEN 0 ELSE round((${n}) * 100::numeric / (${d}), 2) END`;
}

const num = (v: unknown): number => Number(v ?? 0);

type Row = Record<string, unknown>;

async function one(c: pg.ClientBase, sql: string, params: unknown[]): Promise<Row> {
  const res = await c.query(sql, params);
  return res.rows[0] as Row;
}

async function all(c: pg.ClientBase, sql: string, params: unknown[]): Promise<Row[]> {
  const res = await c.query(sql, params);
  return res.rows as Row[];
}

function isPool(db: OracleDb): db is pg.Pool {
  return db instanceof pg.Pool || ('totalCount' in db && 'idleCount' in db);
}

/**
 * Runs `fn` on one snapshot. Given a Pool: checks out a client and wraps everything in
 * BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY … COMMIT. Given a client: uses it as is (the
 * caller owns its transaction state; opening one here could commit a caller's transaction).
 */
async function withSnapshot<T>(db: OracleDb, fn: (c: pg.ClientBase) => Promise<T>): Promise<T> {
  if (!isPool(db)) return fn(db);
  const client = await db.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((e: Error) => {
        broken = e;
      });
      throw err;
    }
  } finally {
    client.release(broken);
  }
}

// ---------------------------------------------------------------------------------------------
// overview (user part; the rest repeats other families)
// ---------------------------------------------------------------------------------------------

type UserCounts = Pick<
  Overview,
  'total_users' | 'total_clients' | 'total_technicians' | 'total_admins' | 'active_users_30d' | 'new_users_30d'
>;

/**
 * Not period-filtered. Inactive users and unknown user_type values count in total_users only.
 * active_users_30d: a user active both as a client (C.user_id) and as an assigned technician
 * (T.user_id) counts once — UNION deduplicates user ids.
 */
async function userCounts(c: pg.ClientBase, now: Date): Promise<UserCounts> {
  const r = await one(
    c,
    `SELECT
       (SELECT count(*) FROM users_user) AS total_users,
       (SELECT count(*) FROM users_user WHERE user_type = 'client') AS total_clients,
       (SELECT count(*) FROM users_user WHERE user_type = 'technician') AS total_technicians,
       (SELECT count(*) FROM users_user WHERE user_type = 'admin') AS total_admins,
       (SELECT count(*) FROM (
          SELECT cl.user_id
            FROM depannage_repairrequest r JOIN depannage_client cl ON cl.id = r.client_id
           WHERE r.created_at >= $1::timestamptz - make_interval(hours => 720)
          UNION
          SELECT t.user_id
            FROM depannage_repairrequest r JOIN depannage_technician t ON t.id = r.technician_id
           WHERE r.created_at >= $1::timestamptz - make_interval(hours => 720)
       ) active) AS active_users_30d,
       (SELECT count(*) FROM users_user
         WHERE created_at >= $1::timestamptz - make_interval(hours => 720)) AS new_users_30d`,
    [now],
  );
  return {
    total_users: num(r.total_users),
    total_clients: num(r.total_clients),
    total_technicians: num(r.total_technicians),
    total_admins: num(r.total_admins),
    active_users_30d: num(r.active_users_30d),
    new_users_30d: num(r.new_users_30d),
  };
}

// ---------------------------------------------------------------------------------------------
// requests (period on R.created_at)
// ---------------------------------------------------------------------------------------------

/**
 * Buckets compare exact strings ('Completed' is no bucket; 'draft'/'assigned' have no key).
 * urgent (decided) = urgency_level IN ('urgent','sos') OR is_urgent, each row once.
 * Durations: mean over completed rows with assigned_at and completed_at both set, signed
 * (negative intervals kept); extract(epoch) is numeric on PG ≥ 14, so the mean in hours is exact
 * before the single rounding.
 */
async function requestStats(c: pg.ClientBase, now: Date, hours: number | null): Promise<RequestStats> {
  const timed = `status = 'completed' AND assigned_at IS NOT NULL AND completed_at IS NOT NULL`;
  const r = await one(
    c,
    `SELECT
       count(*) AS total,
       count(*) FILTER (WHERE status = 'pending') AS pending,
       count(*) FILTER (WHERE status = 'in_progress') AS in_progress,
       count(*) FILTER (WHERE status = 'completed') AS completed,
       count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
       count(*) FILTER (WHERE urgency_level IN ('urgent', 'sos') OR is_urgent) AS urgent,
       ${pct(`count(*) FILTER (WHERE status = 'completed')`, 'count(*)')} AS success_rate,
       COALESCE(round(avg(extract(epoch FROM assigned_at - created_at)) FILTER (WHERE ${timed})
                      / 3600, 2), 0) AS avg_response_time_hours,
       COALESCE(round(avg(extract(epoch FROM completed_at - assigned_at)) FILTER (WHERE ${timed})
                      / 3600, 2), 0) AS avg_completion_time_hours
     FROM depannage_repairrequest
     WHERE ${inPeriod('created_at')}`,
    [now, hours],
  );
  return {
    total: num(r.total),
    pending: num(r.pending),
    in_progress: num(r.in_progress),
    completed: num(r.completed),
    cancelled: num(r.cancelled),
    urgent: num(r.urgent),
    success_rate: num(r.success_rate),
    avg_response_time_hours: num(r.avg_response_time_hours),
    avg_completion_time_hours: num(r.avg_completion_time_hours),
  };
}

// ---------------------------------------------------------------------------------------------
// financial (period on P.created_at)
// ---------------------------------------------------------------------------------------------

/**
 * Revenue and payouts are exactly status='completed' with the exact payment_type (refunds,
 * 'COMPLETED', P.fees ignored). avg_request_value divides period revenue (P.created_at) by the
 * period's completed requests (R.created_at): both filters apply, each on its own table.
 * payment_methods: RP only, grouped by the raw method, total desc then method asc (byte order).
 */
async function financialStats(c: pg.ClientBase, now: Date, hours: number | null): Promise<FinancialStats> {
  const r = await one(
    c,
    `WITH pay AS (
       SELECT
         COALESCE(sum(p.amount) FILTER (WHERE ${RP}), 0) AS revenue,
         COALESCE(sum(p.amount) FILTER (WHERE p.status = 'completed'
                                          AND p.payment_type = 'technician_payout'), 0) AS payouts,
         count(*) FILTER (WHERE p.status = 'completed') AS completed_payments,
         count(*) AS all_payments
       FROM depannage_payment p
       WHERE ${inPeriod('p.created_at')}
     ), req AS (
       SELECT count(*) AS completed_requests
       FROM depannage_repairrequest r
       WHERE r.status = 'completed' AND ${inPeriod('r.created_at')}
     )
     SELECT
       round(pay.revenue, 2) AS total_revenue,
       round(pay.payouts, 2) AS total_payouts,
       round(pay.revenue - pay.payouts, 2) AS platform_fees,
       CASE WHEN req.completed_requests = 0 THEN 0
            ELSE round(pay.revenue / req.completed_requests, 2) END AS avg_request_value,
       ${pct('pay.completed_payments', 'pay.all_payments')} AS payment_success_rate
     FROM pay, req`,
    [now, hours],
  );
  const methods = await all(
    c,
    `SELECT p.method, count(*) AS count, round(sum(p.amount), 2) AS total
       FROM depannage_payment p
      WHERE ${RP} AND ${inPeriod('p.created_at')}
      GROUP BY p.method
      ORDER BY sum(p.amount) DESC, p.method COLLATE "C" ASC`,
    [now, hours],
  );
  return {
    total_revenue: num(r.total_revenue),
    total_payouts: num(r.total_payouts),
    platform_fees: num(r.platform_fees),
    avg_request_value: num(r.avg_request_value),
    payment_methods: methods.map((m) => ({ method: String(m.method), count: num(m.count), total: num(m.total) })),
    payment_success_rate: num(r.payment_success_rate),
  };
}

// ---------------------------------------------------------------------------------------------
// satisfaction (V*, period on V.created_at)
// ---------------------------------------------------------------------------------------------

/** Only V* = visible AND moderation_status='approved' (exact, so 'Approved' is not). */
async function satisfactionStats(c: pg.ClientBase, now: Date, hours: number | null): Promise<SatisfactionStats> {
  const r = await one(
    c,
    `SELECT
       count(*) AS total_reviews,
       COALESCE(round(avg(v.rating), 2), 0) AS avg_rating,
       ${pct('count(*) FILTER (WHERE v.rating >= 4)', 'count(*)')} AS satisfaction_rate,
       ${pct('count(*) FILTER (WHERE v.would_recommend)', 'count(*)')} AS recommendation_rate
     FROM depannage_review v
     WHERE ${V_STAR} AND ${inPeriod('v.created_at')}`,
    [now, hours],
  );
  return {
    total_reviews: num(r.total_reviews),
    avg_rating: num(r.avg_rating),
    satisfaction_rate: num(r.satisfaction_rate),
    recommendation_rate: num(r.recommendation_rate),
  };
}

// ---------------------------------------------------------------------------------------------
// technicians
// ---------------------------------------------------------------------------------------------

/**
 * total is a U count (user_type='technician'), verified/available are T rows (not period-filtered).
 * top_technicians (decided): jobs and earnings aggregated on their own (no join with reviews, which
 * would multiply them), over completed R created in the period; avg_rating over V* of the
 * technician created in the period, 0 if none; order total_jobs desc, T.id asc, at most 10.
 * Name: trim(first_name || ' ' || last_name) (spaces only), username when that is empty.
 */
async function technicianStats(
  c: pg.ClientBase,
  now: Date,
  hours: number | null,
  totalTechnicians: number,
  avgRating: number,
): Promise<TechnicianStats> {
  const counts = await one(
    c,
    `SELECT count(*) FILTER (WHERE is_verified) AS verified,
            count(*) FILTER (WHERE is_available AND is_verified) AS available
       FROM depannage_technician`,
    [],
  );
  const top = await all(
    c,
    `WITH jobs AS (
       SELECT r.technician_id, count(*) AS total_jobs, COALESCE(sum(r.final_price), 0) AS earnings
         FROM depannage_repairrequest r
        WHERE r.status = 'completed' AND r.technician_id IS NOT NULL AND ${inPeriod('r.created_at')}
        GROUP BY r.technician_id
     ), ranked AS (
       SELECT * FROM jobs ORDER BY total_jobs DESC, technician_id ASC LIMIT 10
     ), ratings AS (
       SELECT v.technician_id, avg(v.rating) AS avg_rating
         FROM depannage_review v
        WHERE ${V_STAR} AND ${inPeriod('v.created_at')}
        GROUP BY v.technician_id
     )
     SELECT t.id,
            COALESCE(NULLIF(trim(u.first_name || ' ' || u.last_name), ''), u.username) AS name,
            t.specialty,
            ranked.total_jobs,
            COALESCE(round(ratings.avg_rating, 2), 0) AS avg_rating,
            round(ranked.earnings, 2) AS total_earnings
       FROM ranked
       JOIN depannage_technician t ON t.id = ranked.technician_id
       JOIN users_user u ON u.id = t.user_id
       LEFT JOIN ratings ON ratings.technician_id = t.id
      ORDER BY ranked.total_jobs DESC, t.id ASC`,
    [now, hours],
  );
  return {
    total: totalTechnicians,
    verified: num(counts.verified),
    available: num(counts.available),
    avg_rating: avgRating,
    top_technicians: top.map(
      (t): TopTechnician => ({
        id: num(t.id),
        name: String(t.name),
        specialty: String(t.specialty),
        total_jobs: num(t.total_jobs),
        avg_rating: num(t.avg_rating),
        total_earnings: num(t.total_earnings),
      }),
    ),
  };
}

// ---------------------------------------------------------------------------------------------
// specialties (period on R.created_at)
// ---------------------------------------------------------------------------------------------

/**
 * Raw specialty_needed as key ('plomberie' and 'plumber' stay apart). avg_price = mean of the
 * non-NULL final_price over all requests of the group (any status), 0 if none.
 * distribution keys are inserted in the same order as top_specialties (count desc, code asc);
 * Object.fromEntries keeps odd keys such as '__proto__' as own properties.
 */
async function specialtyStats(c: pg.ClientBase, now: Date, hours: number | null): Promise<SpecialtyStats> {
  const rows = await all(
    c,
    `SELECT specialty_needed,
            count(*) AS count,
            count(*) FILTER (WHERE status = 'completed') AS completed,
            COALESCE(round(avg(final_price), 2), 0) AS avg_price
       FROM depannage_repairrequest
      WHERE ${inPeriod('created_at')}
      GROUP BY specialty_needed
      ORDER BY count(*) DESC, specialty_needed COLLATE "C" ASC`,
    [now, hours],
  );
  const figures = rows.map((r) => ({
    specialty_needed: String(r.specialty_needed),
    count: num(r.count),
    completed: num(r.completed),
    avg_price: num(r.avg_price),
  }));
  return {
    distribution: Object.fromEntries(
      figures.map((f): [string, SpecialtyFigures] => [
        f.specialty_needed,
        { count: f.count, completed: f.completed, avg_price: f.avg_price },
      ]),
    ),
    top_specialties: figures.slice(0, 5),
  };
}

// ---------------------------------------------------------------------------------------------
// security (period on A.timestamp / S.sent_at)
// ---------------------------------------------------------------------------------------------

/** Exact event_type='login' with status 'success' / 'failure'; OTP steps and 'Login' ignored. */
async function securityStats(c: pg.ClientBase, now: Date, hours: number | null): Promise<SecurityStats> {
  const r = await one(
    c,
    `WITH a AS (
       SELECT count(*) FILTER (WHERE event_type = 'login' AND status = 'success') AS ok,
              count(*) FILTER (WHERE event_type = 'login' AND status = 'failure') AS ko
         FROM users_auditlog
        WHERE ${inPeriod('"timestamp"')}
     )
     SELECT a.ok AS total_logins,
            a.ko AS failed_logins,
            (SELECT count(*) FROM users_securitynotification WHERE ${inPeriod('sent_at')}) AS security_alerts,
            ${pct('a.ok', 'a.ok + a.ko')} AS login_success_rate
       FROM a`,
    [now, hours],
  );
  return {
    total_logins: num(r.total_logins),
    failed_logins: num(r.failed_logins),
    security_alerts: num(r.security_alerts),
    login_success_rate: num(r.login_success_rate),
  };
}

// ---------------------------------------------------------------------------------------------
// geography (period on R.created_at)
// ---------------------------------------------------------------------------------------------

/** Raw city, '' excluded (only exactly ''; ' ' would be a city), count desc, city asc, top 10. */
async function geographyStats(c: pg.ClientBase, now: Date, hours: number | null): Promise<GeographyStats> {
  const rows = await all(
    c,
    `SELECT city, count(*) AS count
       FROM depannage_repairrequest
      WHERE city <> '' AND ${inPeriod('created_at')}
      GROUP BY city
      ORDER BY count(*) DESC, city COLLATE "C" ASC
      LIMIT 10`,
    [now, hours],
  );
  return { top_cities: rows.map((r) => ({ city: String(r.city), count: num(r.count) })), service_areas: [] };
}

// ---------------------------------------------------------------------------------------------
// trends (fixed calendar buckets, never period-filtered)
// ---------------------------------------------------------------------------------------------

/**
 * Bucket generators: each yields (ord, key, lo, hi) with lo/hi UTC instants, half-open [lo, hi).
 * `today` is the UTC date of $1; `d::timestamp AT TIME ZONE 'UTC'` turns a UTC calendar date or
 * timestamp into the instant, independently of the session TimeZone. Buckets are whole UTC days
 * / months (a row later today than `now` still falls in today's bucket).
 * ord orders the keys: oldest → newest for daily/monthly, 'Semaine 1' (latest) first for weekly.
 */
const TODAY = `(($1::timestamptz AT TIME ZONE 'UTC')::date)`;

const DAILY_BUCKETS = `
  SELECT 6 - k AS ord, to_char((${TODAY} - k)::timestamp, 'YYYY-MM-DD') AS key,
         (${TODAY} - k)::timestamp AT TIME ZONE 'UTC' AS lo,
         (${TODAY} - k + 1)::timestamp AT TIME ZONE 'UTC' AS hi
    FROM generate_series(0, 6) AS k`;

// Week i = UTC dates [today − 7i + 1, today − 7i + 7] (decided), i.e. [today−7i+1, today−7i+8).
const WEEKLY_BUCKETS = `
  SELECT i AS ord, 'Semaine ' || i AS key,
         (${TODAY} - 7 * i + 1)::timestamp AT TIME ZONE 'UTC' AS lo,
         (${TODAY} - 7 * i + 8)::timestamp AT TIME ZONE 'UTC' AS hi
    FROM generate_series(1, 4) AS i`;

// Current calendar month plus the 5 previous ones (decided), month arithmetic on a naive UTC
// timestamp so the session time zone cannot shift it.
const MONTHLY_BUCKETS = `
  SELECT 5 - k AS ord,
         to_char(date_trunc('month', ${TODAY}::timestamp) - make_interval(months => k), 'YYYY-MM') AS key,
         (date_trunc('month', ${TODAY}::timestamp) - make_interval(months => k)) AT TIME ZONE 'UTC' AS lo,
         (date_trunc('month', ${TODAY}::timestamp) - make_interval(months => k - 1)) AT TIME ZONE 'UTC' AS hi
    FROM generate_series(0, 5) AS k`;

/**
 * Per bucket: requests by R.created_at, completed by status='completed' AND completed_at (not by
 * created_at), revenue = Σ RP.amount by P.created_at, new_users by U.created_at (not date_joined).
 */
async function trendBuckets(c: pg.ClientBase, now: Date, buckets: string): Promise<Row[]> {
  return all(
    c,
    `WITH b AS (${buckets})
     SELECT b.key,
       (SELECT count(*) FROM depannage_repairrequest r
         WHERE r.created_at >= b.lo AND r.created_at < b.hi) AS requests,
       (SELECT count(*) FROM depannage_repairrequest r
         WHERE r.status = 'completed' AND r.completed_at >= b.lo AND r.completed_at < b.hi) AS completed,
       (SELECT round(COALESCE(sum(p.amount), 0), 2) FROM depannage_payment p
         WHERE ${RP} AND p.created_at >= b.lo AND p.created_at < b.hi) AS revenue,
       (SELECT count(*) FROM users_user u
         WHERE u.created_at >= b.lo AND u.created_at < b.hi) AS new_users
     FROM b
     ORDER BY b.ord`,
    [now],
  );
}

function bucket(r: Row): TrendBucket {
  return { requests: num(r.requests), completed: num(r.completed), revenue: num(r.revenue) };
}

function bucketWithUsers(r: Row): TrendBucketWithUsers {
  return { ...bucket(r), new_users: num(r.new_users) };
}

async function trends(c: pg.ClientBase, now: Date): Promise<Trends> {
  const daily = await trendBuckets(c, now, DAILY_BUCKETS);
  const weekly = await trendBuckets(c, now, WEEKLY_BUCKETS);
  const monthly = await trendBuckets(c, now, MONTHLY_BUCKETS);
  return {
    daily: Object.fromEntries(daily.map((r) => [String(r.key), bucketWithUsers(r)])),
    weekly: Object.fromEntries(weekly.map((r) => [String(r.key), bucket(r)])),
    monthly: Object.fromEntries(monthly.map((r) => [String(r.key), bucketWithUsers(r)])),
  };
}

// ---------------------------------------------------------------------------------------------
// advanced
// ---------------------------------------------------------------------------------------------

/**
 * retention/churn are not period-filtered. The user counts come in as bound integers, so the
 * ratio is still exact numeric; churn = 100 − the unrounded retention (so after rounding the two
 * may sum to 100.01), 0 when there are no users (decided). ltv = all-time Σ RP.amount /
 * total_clients (a U count), whatever the period.
 */
async function advancedStats(c: pg.ClientBase, users: UserCounts, conversionRate: number): Promise<AdvancedStats> {
  const r = await one(
    c,
    `WITH rev AS (
       SELECT COALESCE(sum(p.amount), 0) AS revenue FROM depannage_payment p WHERE ${RP}
     )
     SELECT
       ${pct('$1::bigint', '$2::bigint')} AS retention_rate,
       CASE WHEN $2::bigint = 0 THEN 0
            ELSE round(100 - $1::bigint * 100::numeric / $2::bigint, 2) END AS churn_rate,
       CASE WHEN $3::bigint = 0 THEN 0 ELSE round(rev.revenue / $3::bigint, 2) END AS ltv
     FROM rev`,
    [users.active_users_30d, users.total_users, users.total_clients],
  );
  return {
    conversion_rate: conversionRate,
    retention_rate: num(r.retention_rate),
    churn_rate: num(r.churn_rate),
    ltv: num(r.ltv),
    cac: null,
  };
}

// ---------------------------------------------------------------------------------------------
// global_statistics
// ---------------------------------------------------------------------------------------------

/** Every metric of global_statistics (without calculation_info) for `period` as of `now`. */
export async function globalStatisticsOnPostgres(
  db: pg.ClientBase | pg.Pool,
  q: { period: Period; now: Date },
): Promise<GlobalStatisticsFigures> {
  const hours = PERIOD_HOURS[q.period];
  if (hours === undefined) throw new Error(`unknown period ${String(q.period)}`);
  const now = q.now;
  return withSnapshot(db, async (c) => {
    const users = await userCounts(c, now);
    const requests = await requestStats(c, now, hours);
    const financial = await financialStats(c, now, hours);
    const satisfaction = await satisfactionStats(c, now, hours);
    const technicians = await technicianStats(c, now, hours, users.total_technicians, satisfaction.avg_rating);
    const specialties = await specialtyStats(c, now, hours);
    const security = await securityStats(c, now, hours);
    const geography = await geographyStats(c, now, hours);
    const trendFigures = await trends(c, now);
    const advanced = await advancedStats(c, users, requests.success_rate);
    const overview: Overview = {
      total_users: users.total_users,
      total_clients: users.total_clients,
      total_technicians: users.total_technicians,
      total_admins: users.total_admins,
      active_users_30d: users.active_users_30d,
      new_users_30d: users.new_users_30d,
      total_requests: requests.total,
      completed_requests: requests.completed,
      total_revenue: financial.total_revenue,
      platform_fees: financial.platform_fees,
      avg_rating: satisfaction.avg_rating,
      satisfaction_rate: satisfaction.satisfaction_rate,
    };
    return {
      overview,
      requests,
      financial,
      satisfaction,
      technicians,
      specialties,
      security,
      geography,
      trends: trendFigures,
      advanced,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// real_time_stats
// ---------------------------------------------------------------------------------------------

/**
 * Window W = now − hours: requests by created_at, completed by completed_at (status='completed'),
 * users by created_at, reviews by created_at with no visibility filter, RP revenue by created_at.
 */
async function windowActivity(c: pg.ClientBase, now: Date, hours: number): Promise<WindowActivity> {
  const w = `$1::timestamptz - make_interval(hours => $2::int)`;
  const r = await one(
    c,
    `SELECT
       (SELECT count(*) FROM depannage_repairrequest WHERE created_at >= ${w}) AS new_requests,
       (SELECT count(*) FROM depannage_repairrequest
         WHERE status = 'completed' AND completed_at >= ${w}) AS completed_requests,
       (SELECT count(*) FROM users_user WHERE created_at >= ${w}) AS new_users,
       (SELECT count(*) FROM depannage_review WHERE created_at >= ${w}) AS new_reviews,
       (SELECT round(COALESCE(sum(p.amount), 0), 2) FROM depannage_payment p
         WHERE ${RP} AND p.created_at >= ${w}) AS revenue`,
    [now, hours],
  );
  return {
    new_requests: num(r.new_requests),
    completed_requests: num(r.completed_requests),
    new_users: num(r.new_users),
    new_reviews: num(r.new_reviews),
    revenue: num(r.revenue),
  };
}

/** real_time_stats without current_time (the caller formats `now` itself). */
export async function realTimeStatsOnPostgres(
  db: pg.ClientBase | pg.Pool,
  q: { now: Date },
): Promise<Omit<RealTimeStats, 'current_time'>> {
  const now = q.now;
  return withSnapshot(db, async (c) => {
    const last24h = await windowActivity(c, now, 24);
    const last7d = await windowActivity(c, now, 7 * 24);
    const s = await one(
      c,
      `SELECT
         (SELECT count(*) FROM users_user
           WHERE last_login >= $1::timestamptz - make_interval(hours => 24)) AS online_users,
         (SELECT count(*) FROM depannage_technician WHERE is_available AND is_verified) AS active_technicians`,
      [now],
    );
    return {
      last_24h: last24h,
      last_7d: last7d,
      active_sessions: { online_users: num(s.online_users), active_technicians: num(s.active_technicians) },
    };
  });
}
