// Test oracle: every statistics metric computed in plain SQL directly on the operational
// Postgres, written from ../../../shared/contract/metrics.md and ../../docs/statistics-api.md
// alone (independently of the ClickHouse implementation), so that tests and benchmarks can check
// our numbers exactly.
//
// Conventions used throughout:
//   * Parameters are written as named placeholders ({{now}}, {{from}}, {{to}}, {{city}},
//     {{specialty}}, ...) and bound as $n by `bind`; `now` is always a bound parameter, SQL now()
//     is never used.
//   * Rolling windows that are not the period filter (*_30d) are
//     `col >= {{now}} - make_interval(hours => N)` with N in hours (720), so no DST / calendar
//     arithmetic of the session time zone can creep in.
//   * The period filter is the window [from, to): `(from IS NULL OR col >= from) AND
//     (to IS NULL OR col < to)`. A named period gives from = now − Δ (24, 168, 720 hours) and
//     to = NULL; 'all' gives both NULL (docs/statistics-api.md).
//   * The request scope RF(r) = (city IS NULL OR r.city = city) AND (specialty IS NULL OR
//     r.specialty_needed = specialty); payments and reviews are in scope when their request_id
//     points at a request in scope (EXISTS, so a payment is never counted twice).
//   * Every derived figure is computed in numeric (exact sums, numeric division and AVG) and
//     rounded once with round(numeric, 2), which rounds half away from zero. Counts are exact.
//   * Empty means / zero denominators give 0 (COALESCE / CASE), except cac.value (null).
//   * Tie-breaks on text use COLLATE "C" (byte order of the UTF-8 string = code point order),
//     so the result does not depend on the database's default collation.
//   * pg returns bigint and numeric as strings: everything goes through Number().
import pg from 'pg';
import type {
  AdvancedStats,
  FinancialStats,
  GeographyExtras,
  GeographyStats,
  GlobalStatisticsFigures,
  Kpis,
  Overview,
  Period,
  RatingBucket,
  RealTimeStats,
  RequestStats,
  SatisfactionStats,
  Section,
  SectionExtras,
  SectionFigures,
  SecurityExtras,
  SecurityStats,
  SpecialtyFigures,
  SpecialtyPerformance,
  SpecialtyStats,
  StatisticsQuery,
  TechnicianStats,
  TopTechnician,
  TrendBucket,
  TrendBucketWithUsers,
  TrendExtras,
  Trends,
  WindowActivity,
} from '../../libs/metrics/src/types.js';

export type OracleDb = pg.ClientBase | pg.Pool;

/** Length of each period's rolling window in hours; null = no filter ('all'). */
const PERIOD_HOURS: Record<Period, number | null> = { '24h': 24, '7d': 7 * 24, '30d': 30 * 24, all: null };

/**
 * What the oracle accepts: a full StatisticsQuery, or (older callers) just `{period, now}`, in
 * which case from = now − Δ of the period (null for 'all') and to / city / specialty are null.
 */
export type OracleQuery =
  | StatisticsQuery
  | { period: Period; now: Date; from?: Date | null; to?: Date | null; city?: string | null; specialty?: string | null };

/** The normalized inputs of every computation. */
interface Scope {
  now: Date;
  from: Date | null;
  to: Date | null;
  city: string | null;
  specialty: string | null;
}

function toScope(q: OracleQuery): Scope {
  let from: Date | null;
  let to: Date | null;
  if (q.from === undefined && q.to === undefined) {
    if (q.period === 'custom') {
      from = null;
    } else {
      const hours = PERIOD_HOURS[q.period];
      if (hours === undefined) throw new Error(`unknown period ${String(q.period)}`);
      from = hours === null ? null : new Date(q.now.getTime() - hours * 3_600_000);
    }
    to = null;
  } else {
    from = q.from ?? null;
    to = q.to ?? null;
  }
  return { now: q.now, from, to, city: q.city ?? null, specialty: q.specialty ?? null };
}

/** SQL predicate "col lies in the window [from, to)". */
function inWindow(col: string): string {
  return `(({{from}}::timestamptz IS NULL OR ${col} >= {{from}}::timestamptz)
           AND ({{to}}::timestamptz IS NULL OR ${col} < {{to}}::timestamptz))`;
}

/** SQL predicate RF(alias): the request row `alias` is in the city / specialty scope. */
function rf(alias: string): string {
  return `(({{city}}::text IS NULL OR ${alias}.city = {{city}}::text)
           AND ({{specialty}}::text IS NULL OR ${alias}.specialty_needed = {{specialty}}::text))`;
}

/** SQL predicate: the request whose id is `col` (a payment's / review's request_id) satisfies RF. */
function viaRequest(col: string): string {
  return `(({{city}}::text IS NULL AND {{specialty}}::text IS NULL)
           OR EXISTS (SELECT 1 FROM depannage_repairrequest rq WHERE rq.id = ${col} AND ${rf('rq')}))`;
}

/** Revenue payments RP and visible reviews V*, as SQL predicates on aliases p and v. */
const RP = `p.status = 'completed' AND p.payment_type = 'client_payment'`;
const V_STAR = `v.is_visible AND v.moderation_status = 'approved'`;

/** n × 100 / d rounded, 0 when d = 0 (numeric throughout: `100::numeric` forces it). */
function pct(n: string, d: string): string {
  return `CASE WHEN (${d}) = 0 THEN 0 ELSE round((${n}) * 100::numeric / (${d}), 2) END`;
}

/** Signed mean of an interval expression in hours, rounded once; 0 over no rows. */
function meanHours(interval: string, filter: string): string {
  return `COALESCE(round(avg(extract(epoch FROM ${interval})) FILTER (WHERE ${filter}) / 3600, 2), 0)`;
}

/** Completed requests with both stamps: the rows of the duration means. */
const TIMED = `r.status = 'completed' AND r.assigned_at IS NOT NULL AND r.completed_at IS NOT NULL`;

const num = (v: unknown): number => Number(v ?? 0);

type Row = Record<string, unknown>;
type Params = Record<string, unknown>;

/** Replaces each {{name}} by $n (one n per distinct name) and lists the values in that order. */
function bind(sql: string, params: Params): { text: string; values: unknown[] } {
  const names: string[] = [];
  const text = sql.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    if (!(name in params)) throw new Error(`no value for {{${name}}}`);
    let i = names.indexOf(name);
    if (i < 0) i = names.push(name) - 1;
    return `$${i + 1}`;
  });
  return { text, values: names.map((n) => params[n]) };
}

function scopeParams(s: Scope): Params {
  return { now: s.now, from: s.from, to: s.to, city: s.city, specialty: s.specialty };
}

async function one(c: pg.ClientBase, sql: string, params: Params): Promise<Row> {
  const { text, values } = bind(sql, params);
  const res = await c.query(text, values);
  return res.rows[0] as Row;
}

async function all(c: pg.ClientBase, sql: string, params: Params): Promise<Row[]> {
  const { text, values } = bind(sql, params);
  const res = await c.query(text, values);
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
 * Neither window- nor city/specialty-filtered. Inactive users and unknown user_type values count
 * in total_users only. active_users_30d: a user active both as a client (C.user_id) and as an
 * assigned technician (T.user_id) counts once — UNION deduplicates user ids.
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
           WHERE r.created_at >= {{now}}::timestamptz - make_interval(hours => 720)
          UNION
          SELECT t.user_id
            FROM depannage_repairrequest r JOIN depannage_technician t ON t.id = r.technician_id
           WHERE r.created_at >= {{now}}::timestamptz - make_interval(hours => 720)
       ) active) AS active_users_30d,
       (SELECT count(*) FROM users_user
         WHERE created_at >= {{now}}::timestamptz - make_interval(hours => 720)) AS new_users_30d`,
    { now },
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
// requests (window on R.created_at, RF)
// ---------------------------------------------------------------------------------------------

/**
 * Buckets compare exact strings ('Completed' is no bucket; 'draft'/'assigned' have no key).
 * urgent (decided) = urgency_level IN ('urgent','sos') OR is_urgent, each row once.
 * Durations: mean over completed rows with assigned_at and completed_at both set, signed
 * (negative intervals kept); extract(epoch) is numeric on PG ≥ 14, so the mean in hours is exact
 * before the single rounding.
 */
async function requestStats(c: pg.ClientBase, s: Scope): Promise<RequestStats> {
  const r = await one(
    c,
    `SELECT
       count(*) AS total,
       count(*) FILTER (WHERE r.status = 'pending') AS pending,
       count(*) FILTER (WHERE r.status = 'in_progress') AS in_progress,
       count(*) FILTER (WHERE r.status = 'completed') AS completed,
       count(*) FILTER (WHERE r.status = 'cancelled') AS cancelled,
       count(*) FILTER (WHERE r.urgency_level IN ('urgent', 'sos') OR r.is_urgent) AS urgent,
       ${pct(`count(*) FILTER (WHERE r.status = 'completed')`, 'count(*)')} AS success_rate,
       ${meanHours('r.assigned_at - r.created_at', TIMED)} AS avg_response_time_hours,
       ${meanHours('r.completed_at - r.assigned_at', TIMED)} AS avg_completion_time_hours
     FROM depannage_repairrequest r
     WHERE ${inWindow('r.created_at')} AND ${rf('r')}`,
    scopeParams(s),
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

/**
 * by_status: raw status → count, every status present (unknown ones included), inserted in the
 * order count desc, status asc (byte order). Note that JS objects list integer-like keys ('7')
 * first whatever the insertion order; no known status is one.
 */
async function requestsByStatus(c: pg.ClientBase, s: Scope): Promise<Record<string, number>> {
  const rows = await all(
    c,
    `SELECT r.status, count(*) AS n
       FROM depannage_repairrequest r
      WHERE ${inWindow('r.created_at')} AND ${rf('r')}
      GROUP BY r.status
      ORDER BY count(*) DESC, r.status COLLATE "C" ASC`,
    scopeParams(s),
  );
  return Object.fromEntries(rows.map((r) => [String(r.status), num(r.n)]));
}

// ---------------------------------------------------------------------------------------------
// financial (window on P.created_at, payments of requests in RF)
// ---------------------------------------------------------------------------------------------

/**
 * Revenue and payouts are exactly status='completed' with the exact payment_type (refunds,
 * 'COMPLETED', P.fees ignored). avg_request_value divides window revenue (P.created_at) by the
 * window's completed requests (R.created_at): both filters apply, each on its own table.
 * payment_methods: RP only, grouped by the raw method, total desc then method asc (byte order).
 * payment_success_rate also takes only payments of requests in scope.
 */
async function financialStats(c: pg.ClientBase, s: Scope): Promise<FinancialStats> {
  const payScope = `${inWindow('p.created_at')} AND ${viaRequest('p.request_id')}`;
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
       WHERE ${payScope}
     ), req AS (
       SELECT count(*) AS completed_requests
       FROM depannage_repairrequest r
       WHERE r.status = 'completed' AND ${inWindow('r.created_at')} AND ${rf('r')}
     )
     SELECT
       round(pay.revenue, 2) AS total_revenue,
       round(pay.payouts, 2) AS total_payouts,
       round(pay.revenue - pay.payouts, 2) AS platform_fees,
       CASE WHEN req.completed_requests = 0 THEN 0
            ELSE round(pay.revenue / req.completed_requests, 2) END AS avg_request_value,
       ${pct('pay.completed_payments', 'pay.all_payments')} AS payment_success_rate
     FROM pay, req`,
    scopeParams(s),
  );
  const methods = await all(
    c,
    `SELECT p.method, count(*) AS count, round(sum(p.amount), 2) AS total
       FROM depannage_payment p
      WHERE ${RP} AND ${payScope}
      GROUP BY p.method
      ORDER BY sum(p.amount) DESC, p.method COLLATE "C" ASC`,
    scopeParams(s),
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
// satisfaction (V*, window on V.created_at, reviews of requests in RF)
// ---------------------------------------------------------------------------------------------

const V_SCOPE = `${V_STAR} AND ${inWindow('v.created_at')} AND ${viaRequest('v.request_id')}`;

/** Only V* = visible AND moderation_status='approved' (exact, so 'Approved' is not). */
async function satisfactionStats(c: pg.ClientBase, s: Scope): Promise<SatisfactionStats> {
  const r = await one(
    c,
    `SELECT
       count(*) AS total_reviews,
       COALESCE(round(avg(v.rating), 2), 0) AS avg_rating,
       ${pct('count(*) FILTER (WHERE v.rating >= 4)', 'count(*)')} AS satisfaction_rate,
       ${pct('count(*) FILTER (WHERE v.would_recommend)', 'count(*)')} AS recommendation_rate
     FROM depannage_review v
     WHERE ${V_SCOPE}`,
    scopeParams(s),
  );
  return {
    total_reviews: num(r.total_reviews),
    avg_rating: num(r.avg_rating),
    satisfaction_rate: num(r.satisfaction_rate),
    recommendation_rate: num(r.recommendation_rate),
  };
}

/**
 * rating_distribution: '1'..'5' always (0 when none), then every other stored rating value in
 * ascending numeric order. Insertion order is that; JS itself lists integer-like keys ('0', '6')
 * in ascending numeric order before the others ('-1'), so a 0 or 6 ends up among '1'..'5' when
 * enumerated.
 */
async function ratingDistribution(c: pg.ClientBase, s: Scope): Promise<Record<string, number>> {
  const rows = await all(
    c,
    `SELECT v.rating, count(*) AS n FROM depannage_review v WHERE ${V_SCOPE} GROUP BY v.rating ORDER BY v.rating`,
    scopeParams(s),
  );
  const counts = new Map(rows.map((r) => [num(r.rating), num(r.n)]));
  const out: Record<string, number> = {};
  for (const k of [1, 2, 3, 4, 5]) out[String(k)] = counts.get(k) ?? 0;
  for (const r of rows) {
    const k = num(r.rating);
    if (k < 1 || k > 5) out[String(k)] = num(r.n);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// technicians
// ---------------------------------------------------------------------------------------------

/**
 * total is a U count (user_type='technician'), verified/available are T rows (never filtered).
 * top_technicians (decided): jobs and earnings aggregated on their own (no join with reviews, which
 * would multiply them), over completed R created in the window with RF; avg_rating over V* of the
 * technician in the window whose request is in RF, 0 if none; order total_jobs desc, T.id asc, at
 * most 10. Name: trim(first_name || ' ' || last_name) (spaces only), username when that is empty.
 */
async function technicianStats(
  c: pg.ClientBase,
  s: Scope,
  totalTechnicians: number,
  avgRating: number,
): Promise<TechnicianStats> {
  const counts = await one(
    c,
    `SELECT count(*) FILTER (WHERE is_verified) AS verified,
            count(*) FILTER (WHERE is_available AND is_verified) AS available
       FROM depannage_technician`,
    {},
  );
  const top = await all(
    c,
    `WITH jobs AS (
       SELECT r.technician_id, count(*) AS total_jobs, COALESCE(sum(r.final_price), 0) AS earnings
         FROM depannage_repairrequest r
        WHERE r.status = 'completed' AND r.technician_id IS NOT NULL
          AND ${inWindow('r.created_at')} AND ${rf('r')}
        GROUP BY r.technician_id
     ), ranked AS (
       SELECT * FROM jobs ORDER BY total_jobs DESC, technician_id ASC LIMIT 10
     ), ratings AS (
       SELECT v.technician_id, avg(v.rating) AS avg_rating
         FROM depannage_review v
        WHERE ${V_SCOPE}
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
    scopeParams(s),
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

/** |R in window with RF, technician_id NOT NULL (any status)| / technicians.total (a U count). */
async function requestsPerTechnician(c: pg.ClientBase, s: Scope, totalTechnicians: number): Promise<number> {
  const r = await one(
    c,
    `SELECT CASE WHEN {{total}}::bigint = 0 THEN 0
                 ELSE round(count(*)::numeric / {{total}}::bigint, 2) END AS v
       FROM depannage_repairrequest r
      WHERE r.technician_id IS NOT NULL AND ${inWindow('r.created_at')} AND ${rf('r')}`,
    { ...scopeParams(s), total: totalTechnicians },
  );
  return num(r.v);
}

// ---------------------------------------------------------------------------------------------
// specialties (window on R.created_at, RF)
// ---------------------------------------------------------------------------------------------

/**
 * Raw specialty_needed as key ('plomberie' and 'plumber' stay apart). avg_price = mean of the
 * non-NULL final_price over all requests of the group (any status), 0 if none.
 * distribution keys are inserted in the same order as top_specialties (count desc, code asc);
 * Object.fromEntries keeps odd keys such as '__proto__' as own properties.
 * performance: every group in that order, with success_rate and the duration means of
 * requests.* restricted to the group.
 */
async function specialtyPerformance(c: pg.ClientBase, s: Scope): Promise<SpecialtyPerformance[]> {
  const rows = await all(
    c,
    `SELECT r.specialty_needed,
            count(*) AS count,
            count(*) FILTER (WHERE r.status = 'completed') AS completed,
            ${pct(`count(*) FILTER (WHERE r.status = 'completed')`, 'count(*)')} AS success_rate,
            COALESCE(round(avg(r.final_price), 2), 0) AS avg_price,
            ${meanHours('r.assigned_at - r.created_at', TIMED)} AS avg_response_time_hours,
            ${meanHours('r.completed_at - r.assigned_at', TIMED)} AS avg_completion_time_hours
       FROM depannage_repairrequest r
      WHERE ${inWindow('r.created_at')} AND ${rf('r')}
      GROUP BY r.specialty_needed
      ORDER BY count(*) DESC, r.specialty_needed COLLATE "C" ASC`,
    scopeParams(s),
  );
  return rows.map((r) => ({
    specialty_needed: String(r.specialty_needed),
    count: num(r.count),
    completed: num(r.completed),
    success_rate: num(r.success_rate),
    avg_price: num(r.avg_price),
    avg_response_time_hours: num(r.avg_response_time_hours),
    avg_completion_time_hours: num(r.avg_completion_time_hours),
  }));
}

function specialtyStats(performance: SpecialtyPerformance[]): SpecialtyStats {
  const figures = performance.map((f) => ({
    specialty_needed: f.specialty_needed,
    count: f.count,
    completed: f.completed,
    avg_price: f.avg_price,
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
// security (window on A.timestamp / S.sent_at; never city/specialty-filtered)
// ---------------------------------------------------------------------------------------------

/** Exact event_type='login' with status 'success' / 'failure'; OTP steps and 'Login' ignored. */
async function securityStats(c: pg.ClientBase, s: Scope): Promise<SecurityStats> {
  const r = await one(
    c,
    `WITH a AS (
       SELECT count(*) FILTER (WHERE event_type = 'login' AND status = 'success') AS ok,
              count(*) FILTER (WHERE event_type = 'login' AND status = 'failure') AS ko
         FROM users_auditlog
        WHERE ${inWindow('"timestamp"')}
     )
     SELECT a.ok AS total_logins,
            a.ko AS failed_logins,
            (SELECT count(*) FROM users_securitynotification WHERE ${inWindow('sent_at')}) AS security_alerts,
            ${pct('a.ok', 'a.ok + a.ko')} AS login_success_rate
       FROM a`,
    { from: s.from, to: s.to },
  );
  return {
    total_logins: num(r.total_logins),
    failed_logins: num(r.failed_logins),
    security_alerts: num(r.security_alerts),
    login_success_rate: num(r.login_success_rate),
  };
}

/**
 * High-risk audit rows: A.timestamp in the window and risk_score >= 80, any event_type.
 * IP addresses as the inet output function prints them (abbrev(): host addresses without /32 or
 * /128, networks with their mask), grouped and ordered by that text in byte order.
 */
async function securityExtras(c: pg.ClientBase, s: Scope): Promise<SecurityExtras> {
  const params = { from: s.from, to: s.to };
  const high = `a.risk_score >= 80 AND ${inWindow('a."timestamp"')}`;
  const n = await one(c, `SELECT count(*) AS n FROM users_auditlog a WHERE ${high}`, params);
  const ips = await all(
    c,
    `SELECT abbrev(a.ip_address) AS ip, count(*) AS events, max(a.risk_score) AS max_risk
       FROM users_auditlog a
      WHERE ${high}
      GROUP BY abbrev(a.ip_address)
      ORDER BY count(*) DESC, abbrev(a.ip_address) COLLATE "C" ASC
      LIMIT 10`,
    params,
  );
  const cities = await all(
    c,
    `SELECT a.geo_city AS city, count(*) AS events
       FROM users_auditlog a
      WHERE ${high} AND a.geo_city <> ''
      GROUP BY a.geo_city
      ORDER BY count(*) DESC, a.geo_city COLLATE "C" ASC
      LIMIT 10`,
    params,
  );
  return {
    high_risk_events: num(n.n),
    top_risky_ips: ips.map((r) => ({ ip_address: String(r.ip), events: num(r.events), max_risk_score: num(r.max_risk) })),
    top_risky_cities: cities.map((r) => ({ city: String(r.city), events: num(r.events) })),
  };
}

// ---------------------------------------------------------------------------------------------
// geography (window on R.created_at / P.created_at, RF)
// ---------------------------------------------------------------------------------------------

/** Raw city, '' excluded (only exactly ''; ' ' would be a city), count desc, city asc, top 10. */
async function geographyStats(c: pg.ClientBase, s: Scope): Promise<GeographyStats> {
  const rows = await all(
    c,
    `SELECT r.city, count(*) AS count
       FROM depannage_repairrequest r
      WHERE r.city <> '' AND ${inWindow('r.created_at')} AND ${rf('r')}
      GROUP BY r.city
      ORDER BY count(*) DESC, r.city COLLATE "C" ASC
      LIMIT 10`,
    scopeParams(s),
  );
  return { top_cities: rows.map((r) => ({ city: String(r.city), count: num(r.count) })), service_areas: [] };
}

/**
 * cities: requests / completed by R.created_at in the window; revenue = Σ RP.amount with
 * P.created_at in the window, attributed to its request's city (the request may have been created
 * outside the window). Listed when requests > 0 or revenue ≠ 0; requests desc, revenue desc,
 * city asc; at most 100.
 * map_points: cells floor(lat × 100), floor(lon × 100) computed in double precision as bigint,
 * NULL / NaN / ±Infinity coordinates skipped (NaN sorts above Infinity in Postgres, so the
 * range test excludes it); divided by 100 in JS.
 */
async function geographyExtras(c: pg.ClientBase, s: Scope): Promise<GeographyExtras> {
  const cities = await all(
    c,
    `WITH req AS (
       SELECT r.city, count(*) AS requests, count(*) FILTER (WHERE r.status = 'completed') AS completed
         FROM depannage_repairrequest r
        WHERE r.city <> '' AND ${inWindow('r.created_at')} AND ${rf('r')}
        GROUP BY r.city
     ), rev AS (
       SELECT r.city, sum(p.amount) AS revenue
         FROM depannage_payment p JOIN depannage_repairrequest r ON r.id = p.request_id
        WHERE ${RP} AND ${inWindow('p.created_at')} AND r.city <> '' AND ${rf('r')}
        GROUP BY r.city
     ), j AS (
       SELECT COALESCE(req.city, rev.city) AS city,
              COALESCE(req.requests, 0) AS requests,
              COALESCE(req.completed, 0) AS completed,
              COALESCE(rev.revenue, 0) AS revenue
         FROM req FULL JOIN rev ON rev.city = req.city
     )
     SELECT city, requests, completed, round(revenue, 2) AS revenue
       FROM j
      WHERE requests > 0 OR revenue <> 0
      ORDER BY requests DESC, revenue DESC, city COLLATE "C" ASC
      LIMIT 100`,
    scopeParams(s),
  );
  // On the map: coordinates within [-90, 90] x [-180, 180]; NULL, NaN (above every number in
  // Postgres) and infinities fall outside.
  const points = await all(
    c,
    `SELECT floor(r.latitude * 100)::bigint AS lat, floor(r.longitude * 100)::bigint AS lon, count(*) AS n
       FROM depannage_repairrequest r
      WHERE r.latitude BETWEEN -90 AND 90 AND r.longitude BETWEEN -180 AND 180
        AND ${inWindow('r.created_at')} AND ${rf('r')}
      GROUP BY 1, 2
      ORDER BY count(*) DESC, 1 ASC, 2 ASC
      LIMIT 500`,
    scopeParams(s),
  );
  return {
    cities: cities.map((r) => ({
      city: String(r.city),
      requests: num(r.requests),
      completed: num(r.completed),
      revenue: num(r.revenue),
    })),
    map_points: points.map((r) => ({ latitude: num(r.lat) / 100, longitude: num(r.lon) / 100, requests: num(r.n) })),
  };
}

// ---------------------------------------------------------------------------------------------
// trends (fixed calendar buckets, never window-filtered; RF applies except to new_users)
// ---------------------------------------------------------------------------------------------

/**
 * Bucket generators: each yields (ord, key, lo, hi) with lo/hi UTC instants, half-open [lo, hi).
 * `today` is the UTC date of now; `d::timestamp AT TIME ZONE 'UTC'` turns a UTC calendar date or
 * timestamp into the instant, independently of the session TimeZone. Buckets are whole UTC days
 * / months (a row later today than `now` still falls in today's bucket).
 * ord orders the keys: oldest → newest for daily/monthly, 'Semaine 1' (latest) first for weekly.
 */
const TODAY = `(({{now}}::timestamptz AT TIME ZONE 'UTC')::date)`;

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
 * created_at), revenue = Σ RP.amount by P.created_at, all three in RF (payments through their
 * request); new_users by U.created_at (not date_joined, never filtered); with `ratings`,
 * reviews / avg_rating over V* by V.created_at in RF (the trends.ratings extra).
 */
async function trendBuckets(c: pg.ClientBase, s: Scope, buckets: string, ratings: boolean): Promise<Row[]> {
  const vInBucket = `${V_STAR} AND v.created_at >= b.lo AND v.created_at < b.hi AND ${viaRequest('v.request_id')}`;
  return all(
    c,
    `WITH b AS (${buckets})
     SELECT b.key,
       (SELECT count(*) FROM depannage_repairrequest r
         WHERE r.created_at >= b.lo AND r.created_at < b.hi AND ${rf('r')}) AS requests,
       (SELECT count(*) FROM depannage_repairrequest r
         WHERE r.status = 'completed' AND r.completed_at >= b.lo AND r.completed_at < b.hi
           AND ${rf('r')}) AS completed,
       (SELECT round(COALESCE(sum(p.amount), 0), 2) FROM depannage_payment p
         WHERE ${RP} AND p.created_at >= b.lo AND p.created_at < b.hi
           AND ${viaRequest('p.request_id')}) AS revenue,
       (SELECT count(*) FROM users_user u
         WHERE u.created_at >= b.lo AND u.created_at < b.hi) AS new_users
       ${
         ratings
           ? `, (SELECT count(*) FROM depannage_review v WHERE ${vInBucket}) AS reviews,
              (SELECT COALESCE(round(avg(v.rating), 2), 0) FROM depannage_review v WHERE ${vInBucket}) AS avg_rating`
           : ''
       }
     FROM b
     ORDER BY b.ord`,
    { now: s.now, city: s.city, specialty: s.specialty },
  );
}

function bucket(r: Row): TrendBucket {
  return { requests: num(r.requests), completed: num(r.completed), revenue: num(r.revenue) };
}

function bucketWithUsers(r: Row): TrendBucketWithUsers {
  return { ...bucket(r), new_users: num(r.new_users) };
}

function ratingBucket(r: Row): RatingBucket {
  return { reviews: num(r.reviews), avg_rating: num(r.avg_rating) };
}

interface TrendRows {
  daily: Row[];
  weekly: Row[];
  monthly: Row[];
}

/** ratings: also count V* per bucket (only the trends section needs it). */
async function trendRows(c: pg.ClientBase, s: Scope, ratings: boolean): Promise<TrendRows> {
  return {
    daily: await trendBuckets(c, s, DAILY_BUCKETS, ratings),
    weekly: await trendBuckets(c, s, WEEKLY_BUCKETS, ratings),
    monthly: await trendBuckets(c, s, MONTHLY_BUCKETS, ratings),
  };
}

function trends(t: TrendRows): Trends {
  return {
    daily: Object.fromEntries(t.daily.map((r) => [String(r.key), bucketWithUsers(r)])),
    weekly: Object.fromEntries(t.weekly.map((r) => [String(r.key), bucket(r)])),
    monthly: Object.fromEntries(t.monthly.map((r) => [String(r.key), bucketWithUsers(r)])),
  };
}

function trendRatings(t: TrendRows): TrendExtras['ratings'] {
  return {
    daily: Object.fromEntries(t.daily.map((r) => [String(r.key), ratingBucket(r)])),
    weekly: Object.fromEntries(t.weekly.map((r) => [String(r.key), ratingBucket(r)])),
    monthly: Object.fromEntries(t.monthly.map((r) => [String(r.key), ratingBucket(r)])),
  };
}

// ---------------------------------------------------------------------------------------------
// advanced
// ---------------------------------------------------------------------------------------------

/**
 * retention/churn/ltv are neither window- nor city/specialty-filtered. The user counts come in as
 * bound integers, so the ratio is still exact numeric; churn = 100 − the unrounded retention (so
 * after rounding the two may sum to 100.01), 0 when there are no users (decided). ltv = all-time
 * Σ RP.amount / total_clients (a U count), whatever the filters.
 */
async function advancedStats(c: pg.ClientBase, users: UserCounts, conversionRate: number): Promise<AdvancedStats> {
  const r = await one(
    c,
    `WITH rev AS (
       SELECT COALESCE(sum(p.amount), 0) AS revenue FROM depannage_payment p WHERE ${RP}
     )
     SELECT
       ${pct('{{active}}::bigint', '{{users}}::bigint')} AS retention_rate,
       CASE WHEN {{users}}::bigint = 0 THEN 0
            ELSE round(100 - {{active}}::bigint * 100::numeric / {{users}}::bigint, 2) END AS churn_rate,
       CASE WHEN {{clients}}::bigint = 0 THEN 0 ELSE round(rev.revenue / {{clients}}::bigint, 2) END AS ltv
     FROM rev`,
    { active: users.active_users_30d, users: users.total_users, clients: users.total_clients },
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

interface Computed {
  figures: GlobalStatisticsFigures;
  performance: SpecialtyPerformance[];
  trendRows: TrendRows;
}

async function computeGlobal(c: pg.ClientBase, s: Scope, withRatings = false): Promise<Computed> {
  const users = await userCounts(c, s.now);
  const requests = await requestStats(c, s);
  const financial = await financialStats(c, s);
  const satisfaction = await satisfactionStats(c, s);
  const technicians = await technicianStats(c, s, users.total_technicians, satisfaction.avg_rating);
  const performance = await specialtyPerformance(c, s);
  const specialties = specialtyStats(performance);
  const security = await securityStats(c, s);
  const geography = await geographyStats(c, s);
  const tRows = await trendRows(c, s, withRatings);
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
    figures: {
      overview,
      requests,
      financial,
      satisfaction,
      technicians,
      specialties,
      security,
      geography,
      trends: trends(tRows),
      advanced,
    },
    performance,
    trendRows: tRows,
  };
}

/**
 * Every metric of global_statistics (without calculation_info) for the query's window and request
 * scope as of `now`. Accepts `{period, now}` alone (older callers).
 */
export async function globalStatisticsOnPostgres(db: OracleDb, q: OracleQuery): Promise<GlobalStatisticsFigures> {
  const s = toScope(q);
  return withSnapshot(db, async (c) => (await computeGlobal(c, s)).figures);
}

/**
 * A section endpoint's figures: the global_statistics section object (same keys, same order)
 * followed by the section's extra keys (docs/statistics-api.md), all on one snapshot.
 */
export async function sectionOnPostgres<S extends Section>(db: OracleDb, section: S, q: OracleQuery): Promise<SectionFigures<S>> {
  const s = toScope(q);
  return withSnapshot(db, async (c) => {
    const { figures, performance, trendRows: tRows } = await computeGlobal(c, s, section === 'trends');
    const extras = await sectionExtras(c, s, section, figures, performance, tRows);
    return { ...figures[section], ...extras } as unknown as SectionFigures<S>;
  });
}

async function sectionExtras(
  c: pg.ClientBase,
  s: Scope,
  section: Section,
  figures: GlobalStatisticsFigures,
  performance: SpecialtyPerformance[],
  tRows: TrendRows,
): Promise<SectionExtras[Section]> {
  switch (section) {
    case 'requests':
      return { by_status: await requestsByStatus(c, s) };
    case 'satisfaction':
      return { rating_distribution: await ratingDistribution(c, s) };
    case 'technicians':
      return { requests_per_technician: await requestsPerTechnician(c, s, figures.technicians.total) };
    case 'specialties':
      return { performance };
    case 'security':
      return securityExtras(c, s);
    case 'geography':
      return geographyExtras(c, s);
    case 'trends':
      return { ratings: trendRatings(tRows) };
    case 'overview':
    case 'financial':
    case 'advanced':
      return {};
    default:
      throw new Error(`unknown section ${String(section)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// KPIs (business + operational; technical is measured by the API)
// ---------------------------------------------------------------------------------------------

/** The oracle's wording of cac.basis (docs/statistics-api.md does not fix the text). */
export const CAC_BASIS =
  'ACQUISITION_SPEND_XOF / clients registered in the last 30 days (configured spend, not measured)';

/**
 * business: the advanced figures plus cac = spend / |U: client, created_at >= now − 30d|
 * (never filtered), null when no spend is configured or no client registered.
 * operational: resolution_time_hours = mean(completed_at − created_at) over the timed completed
 * requests (window, RF); technician_efficiency = completed requests with a technician / distinct
 * such technicians (window, RF), 0 when none; requests_per_technician as the technicians section;
 * quality_of_service from satisfaction.
 */
export async function kpisOnPostgres(
  db: OracleDb,
  q: OracleQuery,
  options: { acquisitionSpendXof: number | null },
): Promise<Omit<Kpis, 'technical'>> {
  const s = toScope(q);
  const spend = options.acquisitionSpendXof;
  return withSnapshot(db, async (c) => {
    const { figures } = await computeGlobal(c, s);
    const cac = await one(
      c,
      `SELECT count(*) AS new_clients,
              CASE WHEN {{spend}}::numeric IS NULL OR count(*) = 0 THEN NULL
                   ELSE round({{spend}}::numeric / count(*), 2) END AS value
         FROM users_user
        WHERE user_type = 'client' AND created_at >= {{now}}::timestamptz - make_interval(hours => 720)`,
      { now: s.now, spend: spend === null ? null : String(spend) },
    );
    const op = await one(
      c,
      `SELECT ${meanHours('r.completed_at - r.created_at', TIMED)} AS resolution,
              CASE WHEN count(DISTINCT r.technician_id) FILTER (WHERE r.status = 'completed') = 0 THEN 0
                   ELSE round(count(*) FILTER (WHERE r.status = 'completed' AND r.technician_id IS NOT NULL)::numeric
                              / count(DISTINCT r.technician_id) FILTER (WHERE r.status = 'completed'), 2)
              END AS efficiency
         FROM depannage_repairrequest r
        WHERE ${inWindow('r.created_at')} AND ${rf('r')}`,
      scopeParams(s),
    );
    const perTechnician = await requestsPerTechnician(c, s, figures.technicians.total);
    const a = figures.advanced;
    const sat = figures.satisfaction;
    return {
      business: {
        conversion_rate: a.conversion_rate,
        retention_rate: a.retention_rate,
        churn_rate: a.churn_rate,
        ltv: a.ltv,
        cac: {
          value: cac.value === null ? null : num(cac.value),
          spend_xof: spend,
          new_clients_30d: num(cac.new_clients),
          basis: CAC_BASIS,
        },
      },
      operational: {
        resolution_time_hours: num(op.resolution),
        technician_efficiency: num(op.efficiency),
        requests_per_technician: perTechnician,
        quality_of_service: {
          avg_rating: sat.avg_rating,
          satisfaction_rate: sat.satisfaction_rate,
          recommendation_rate: sat.recommendation_rate,
        },
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// real_time_stats (no filter)
// ---------------------------------------------------------------------------------------------

/**
 * Window W = now − hours: requests by created_at, completed by completed_at (status='completed'),
 * users by created_at, reviews by created_at with no visibility filter, RP revenue by created_at.
 */
async function windowActivity(c: pg.ClientBase, now: Date, hours: number): Promise<WindowActivity> {
  const w = `{{now}}::timestamptz - make_interval(hours => {{hours}}::int)`;
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
    { now, hours },
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
  db: OracleDb,
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
           WHERE last_login >= {{now}}::timestamptz - make_interval(hours => 24)) AS online_users,
         (SELECT count(*) FROM depannage_technician WHERE is_available AND is_verified) AS active_technicians`,
      { now },
    );
    return {
      last_24h: last24h,
      last_7d: last7d,
      active_sessions: { online_users: num(s.online_users), active_technicians: num(s.active_technicians) },
    };
  });
}
