// Test oracle of the legacy endpoints: project_statistics and the content of its Excel/PDF
// exports computed in plain SQL on the operational Postgres, written from
// ../../../shared/contract/legacy-endpoints.md alone (it imports nothing of the code it checks,
// only the response type).
//
// Conventions:
//   * `now` is a bound parameter ($1); SQL now() is never used. Rolling windows are
//     `created_at >= now - make_interval(hours => N)`; UTC dates are `(ts AT TIME ZONE 'UTC')::date`.
//   * Ratios and means are numeric and rounded once by round(numeric, d), which rounds half away
//     from zero; 0 when the denominator is 0 (CASE / COALESCE), except avg_price (NULL → null).
//   * Money is summed in numeric and read as the JS number of its decimal text.
//   * Text tie-breaks use COLLATE "C" (code point order), whatever the database collation.
//   * Everything is read in one REPEATABLE READ snapshot.
import pg from 'pg';
import type { ProjectStatistics } from '../../libs/metrics/src/legacy-types.js';

type Row = Record<string, unknown>;

const num = (value: unknown): number => Number(value ?? 0);

/** Runs `fn` on one read-only snapshot of the database. */
async function inSnapshot<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      return await fn(client);
    } finally {
      await client.query('COMMIT');
    }
  } finally {
    client.release();
  }
}

async function one(client: pg.ClientBase, sql: string, values: unknown[] = []): Promise<Row> {
  return (await client.query(sql, values)).rows[0] as Row;
}

async function rows(client: pg.ClientBase, sql: string, values: unknown[] = []): Promise<Row[]> {
  return (await client.query(sql, values)).rows as Row[];
}

/** CASE of the French technician specialty labels; any other value stays as stored. */
const FRENCH_SPECIALTY = `CASE t.specialty
    WHEN 'electrician' THEN 'Électricien' WHEN 'plumber' THEN 'Plombier' WHEN 'mechanic' THEN 'Mécanicien'
    WHEN 'it' THEN 'Informatique' WHEN 'air_conditioning' THEN 'Climatisation'
    WHEN 'appliance_repair' THEN 'Électroménager' WHEN 'locksmith' THEN 'Serrurier' WHEN 'other' THEN 'Autre'
    ELSE t.specialty END`;

/** n × 100 / d rounded to `digits`, 0 when d = 0. */
function pct(n: string, d: string, digits = 1): string {
  return `CASE WHEN (${d}) = 0 THEN 0 ELSE round((${n}) * 100::numeric / (${d}), ${digits}) END`;
}

interface Computed {
  statistics: ProjectStatistics;
  /** Mean rating of every review, 2 decimals, and the money sums as Postgres prints them. */
  ratingMean2dp: string;
  moneyText: { revenue: string; payouts: string; fees: string };
}

async function compute(client: pg.ClientBase, now: Date): Promise<Computed> {
  const users = await one(
    client,
    `SELECT count(*) AS total_users,
            count(*) FILTER (WHERE user_type = 'client') AS total_clients,
            count(*) FILTER (WHERE user_type = 'technician') AS total_technicians,
            count(*) FILTER (WHERE user_type = 'admin') AS total_admins,
            (SELECT count(*) FROM (
               SELECT c.user_id FROM depannage_client c
                WHERE EXISTS (SELECT 1 FROM depannage_repairrequest r
                               WHERE r.client_id = c.id AND r.created_at >= $1::timestamptz - make_interval(hours => 720))
               UNION
               SELECT t.user_id FROM depannage_technician t
                WHERE EXISTS (SELECT 1 FROM depannage_repairrequest r
                               WHERE r.technician_id = t.id AND r.created_at >= $1::timestamptz - make_interval(hours => 720))
             ) active) AS active_users_30d
     FROM users_user`,
    [now],
  );
  const requests = await one(
    client,
    `SELECT count(*) AS total,
            count(*) FILTER (WHERE status = 'pending') AS pending,
            count(*) FILTER (WHERE status = 'in_progress') AS in_progress,
            count(*) FILTER (WHERE status = 'completed') AS completed,
            count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
            count(*) FILTER (WHERE created_at >= $1::timestamptz - make_interval(hours => 24)) AS recent_24h,
            count(*) FILTER (WHERE created_at >= $1::timestamptz - make_interval(hours => 168)) AS recent_7d,
            count(*) FILTER (WHERE created_at >= $1::timestamptz - make_interval(hours => 720)) AS recent_30d
     FROM depannage_repairrequest`,
    [now],
  );
  const daily = await rows(
    client,
    `SELECT to_char(d, 'YYYY-MM-DD') AS date,
            (SELECT count(*) FROM depannage_repairrequest r WHERE (r.created_at AT TIME ZONE 'UTC')::date = d) AS count
     FROM (SELECT ($1::timestamptz AT TIME ZONE 'UTC')::date - 6 + i AS d FROM generate_series(0, 6) AS g(i)) AS days
     ORDER BY d`,
    [now],
  );
  const money = await one(
    client,
    `SELECT COALESCE(sum(amount) FILTER (WHERE payment_type = 'client_payment'), 0)::text AS revenue,
            COALESCE(sum(amount) FILTER (WHERE payment_type = 'technician_payout'), 0)::text AS payouts,
            (COALESCE(sum(amount) FILTER (WHERE payment_type = 'client_payment'), 0)
             - COALESCE(sum(amount) FILTER (WHERE payment_type = 'technician_payout'), 0))::text AS fees
     FROM depannage_payment WHERE status = 'completed'`,
  );
  const methods = await rows(
    client,
    `SELECT method, count(*) AS count, sum(amount)::text AS total
     FROM depannage_payment WHERE status = 'completed' AND payment_type = 'client_payment'
     GROUP BY method ORDER BY sum(amount) DESC, method COLLATE "C" ASC`,
  );
  const specialties = await rows(
    client,
    `SELECT specialty_needed, count(*) AS count, count(*) FILTER (WHERE status = 'completed') AS completed,
            round(avg(final_price), 2)::text AS avg_price
     FROM depannage_repairrequest
     GROUP BY specialty_needed ORDER BY count(*) DESC, specialty_needed COLLATE "C" ASC`,
  );
  // Jobs, earnings and ratings each aggregated on their own (the original's single join
  // multiplied them by the payments); ratings: every review whose request is a completed job.
  const top = await rows(
    client,
    `WITH jobs AS (
       SELECT technician_id, count(*) AS total_jobs, sum(COALESCE(final_price, 0)) AS earnings
       FROM depannage_repairrequest WHERE status = 'completed' AND technician_id IS NOT NULL
       GROUP BY technician_id
     ), ratings AS (
       SELECT r.technician_id, round(avg(v.rating::numeric), 1) AS avg_rating
       FROM depannage_review v JOIN depannage_repairrequest r ON r.id = v.request_id
       WHERE r.status = 'completed' AND r.technician_id IS NOT NULL
       GROUP BY r.technician_id
     )
     SELECT t.id, COALESCE(NULLIF(trim(u.first_name || ' ' || u.last_name), ''), u.username) AS name,
            ${FRENCH_SPECIALTY} AS specialty, j.total_jobs, COALESCE(rt.avg_rating, 0) AS avg_rating,
            j.earnings::text AS earnings
     FROM depannage_technician t
     JOIN jobs j ON j.technician_id = t.id
     JOIN users_user u ON u.id = t.user_id
     LEFT JOIN ratings rt ON rt.technician_id = t.id
     WHERE t.is_verified
     ORDER BY j.total_jobs DESC, t.id ASC
     LIMIT 10`,
  );
  const technicians = await one(
    client,
    `SELECT count(*) FILTER (WHERE is_verified) AS verified,
            count(*) FILTER (WHERE is_available AND is_verified) AS available,
            ${pct('count(*) FILTER (WHERE is_available AND is_verified)', 'count(*) FILTER (WHERE is_verified)')} AS availability_rate
     FROM depannage_technician`,
  );
  const reviews = await one(
    client,
    `SELECT count(*) AS total_reviews,
            COALESCE(round(avg(rating::numeric), 1), 0) AS avg_rating,
            COALESCE(round(avg(rating::numeric), 2), 0)::text AS avg_rating_2dp,
            ${pct('count(*) FILTER (WHERE rating >= 4)', 'count(*)')} AS satisfaction_rate
     FROM depannage_review`,
  );
  const security = await one(
    client,
    `SELECT count(*) FILTER (WHERE event_type = 'login' AND status = 'success') AS total_logins,
            count(*) FILTER (WHERE event_type = 'login' AND status = 'failure') AS failed_logins,
            count(*) FILTER (WHERE risk_score >= 80) AS security_alerts,
            ${pct(
              "count(*) FILTER (WHERE event_type = 'login' AND status = 'success')",
              "count(*) FILTER (WHERE event_type = 'login' AND status IN ('success', 'failure'))",
            )} AS success_rate
     FROM users_auditlog`,
  );
  const cities = await rows(
    client,
    `SELECT city, count(*) AS count FROM depannage_repairrequest WHERE city <> ''
     GROUP BY city ORDER BY count(*) DESC, city COLLATE "C" ASC LIMIT 10`,
  );

  const satisfaction = {
    total_reviews: num(reviews.total_reviews),
    avg_rating: num(reviews.avg_rating),
    satisfaction_rate: num(reviews.satisfaction_rate),
  };
  const statistics: ProjectStatistics = {
    overview: {
      total_users: num(users.total_users),
      total_clients: num(users.total_clients),
      total_technicians: num(users.total_technicians),
      total_admins: num(users.total_admins),
      active_users_30d: num(users.active_users_30d),
      total_requests: num(requests.total),
      completed_requests: num(requests.completed),
      total_revenue: num(money.revenue),
      platform_fees: num(money.fees),
      avg_rating: satisfaction.avg_rating,
      satisfaction_rate: satisfaction.satisfaction_rate,
    },
    requests: {
      total: num(requests.total),
      pending: num(requests.pending),
      in_progress: num(requests.in_progress),
      completed: num(requests.completed),
      cancelled: num(requests.cancelled),
      recent_24h: num(requests.recent_24h),
      recent_7d: num(requests.recent_7d),
      recent_30d: num(requests.recent_30d),
      daily_evolution: daily.map((day) => ({ date: String(day.date), count: num(day.count) })),
    },
    financial: {
      total_revenue: num(money.revenue),
      total_payouts: num(money.payouts),
      platform_fees: num(money.fees),
      payment_methods: methods.map((m) => ({ method: String(m.method), count: num(m.count), total: num(m.total) })),
    },
    specialties: {
      stats: specialties.map((s) => ({
        specialty_needed: String(s.specialty_needed),
        count: num(s.count),
        completed: num(s.completed),
        avg_price: s.avg_price === null ? null : num(s.avg_price),
      })),
      top_technicians: top.map((t) => ({
        id: num(t.id),
        name: String(t.name),
        specialty: String(t.specialty),
        total_jobs: num(t.total_jobs),
        avg_rating: num(t.avg_rating),
        total_earnings: num(t.earnings),
      })),
    },
    technicians: {
      total: num(users.total_technicians),
      verified: num(technicians.verified),
      available: num(technicians.available),
      availability_rate: num(technicians.availability_rate),
    },
    satisfaction,
    security: {
      total_logins: num(security.total_logins),
      failed_logins: num(security.failed_logins),
      security_alerts: num(security.security_alerts),
      success_rate: num(security.success_rate),
    },
    geography: { top_cities: cities.map((c) => ({ city: String(c.city), count: num(c.count) })) },
  };
  return {
    statistics,
    ratingMean2dp: String(reviews.avg_rating_2dp),
    moneyText: { revenue: String(money.revenue), payouts: String(money.payouts), fees: String(money.fees) },
  };
}

/** project_statistics as of `now` (legacy-endpoints.md §1). */
export async function projectStatisticsOnPostgres(pool: pg.Pool, now: Date): Promise<ProjectStatistics> {
  return (await inSnapshot(pool, (client) => compute(client, now))).statistics;
}

/**
 * Python's str() of float(<numeric text>): the decimal with trailing zeros dropped but one
 * decimal kept ("150000.00" → "150000.0", "12.50" → "12.5"). Exact for any amount below 10^13.
 */
export function pythonFloatOf(numericText: string): string {
  const [whole, fraction = ''] = numericText.split('.');
  const trimmed = fraction.replace(/0+$/, '');
  return `${whole}.${trimmed === '' ? '0' : trimmed}`;
}

/** One line of an export: the label, the number and the text Python printed for it. */
export interface ExpectedLine {
  label: string;
  value: number;
  text: string;
}

export interface ExpectedSection {
  title: string;
  pdfTitle: string;
  header: [string, string] | null;
  lines: ExpectedLine[];
}

export interface ExpectedExport {
  statistics: ProjectStatistics;
  sections: ExpectedSection[];
}

/** The content of both legacy exports as of `now` (legacy-endpoints.md §2), and the JSON of the same snapshot. */
export async function legacyExportOnPostgres(pool: pg.Pool, now: Date): Promise<ExpectedExport> {
  const { statistics: s, ratingMean2dp, moneyText } = await inSnapshot(pool, (client) => compute(client, now));
  const count = (label: string, value: number): ExpectedLine => ({ label, value, text: String(value) });
  const money = (label: string, text: string): ExpectedLine => ({ label, value: Number(text), text: pythonFloatOf(text) });
  // round(Avg or 0, 2) in the original: a float when there are reviews, the integer 0 otherwise.
  const ratingText = s.satisfaction.total_reviews === 0 ? '0' : pythonFloatOf(ratingMean2dp);
  const sections: ExpectedSection[] = [
    {
      title: "Vue d'ensemble",
      pdfTitle: "Vue d'ensemble",
      header: null,
      lines: [
        count('Total utilisateurs', s.overview.total_users),
        count('Clients', s.overview.total_clients),
        count('Techniciens', s.overview.total_technicians),
        count('Admins', s.overview.total_admins),
        count('Utilisateurs actifs (30j)', s.overview.active_users_30d),
      ],
    },
    {
      title: 'Demandes',
      pdfTitle: 'Demandes',
      header: null,
      lines: [
        count('Total demandes', s.requests.total),
        count('Terminées', s.requests.completed),
        count('En attente', s.requests.pending),
        count('En cours', s.requests.in_progress),
        count('Annulées', s.requests.cancelled),
      ],
    },
    {
      title: 'Finances',
      pdfTitle: 'Finances',
      header: null,
      lines: [
        money('Revenus totaux (XOF)', moneyText.revenue),
        money('Paiements techniciens (XOF)', moneyText.payouts),
        money('Frais plateforme (XOF)', moneyText.fees),
      ],
    },
    {
      title: 'Satisfaction',
      pdfTitle: 'Satisfaction',
      header: null,
      lines: [count("Nombre d'avis", s.satisfaction.total_reviews), { label: 'Note moyenne', value: Number(ratingMean2dp), text: ratingText }],
    },
    {
      title: 'Demandes par spécialité',
      pdfTitle: 'Demandes par spécialité',
      header: ['Spécialité', 'Nombre de demandes'],
      lines: s.specialties.stats.map((row) => count(row.specialty_needed, row.count)),
    },
    {
      title: 'Demandes par ville',
      pdfTitle: 'Demandes par ville (top 10)',
      header: ['Ville', 'Nombre de demandes'],
      lines: s.geography.top_cities.map((row) => count(row.city, row.count)),
    },
  ];
  return { statistics: s, sections };
}
