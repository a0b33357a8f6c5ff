// Assembles the legacy project_statistics (legacy-endpoints.md §1) and the figures of the legacy
// exports (§2) from one computation. Every number whose definition is the same as in
// global_statistics comes from the global_statistics query itself, over all time; the others
// (all reviews, 1-decimal rounding, high-risk audit rows, avg_price null, verified top technicians
// with French labels) from queries/project-statistics.ts.
import type { ClickHouse } from '../../../../libs/clickhouse/src/clickhouse.js';
import { meanMoney, percent, ratio, toCents, count } from '../../../../libs/metrics/src/exact.js';
import type { LegacyStatistics, ProjectStatistics } from '../../../../libs/metrics/src/legacy-types.js';
import { periodQuery } from '../../../../libs/metrics/src/windows.js';
import { financialStats } from './queries/financial.js';
import { geographyStats } from './queries/geography.js';
import { windowParams } from './queries/params.js';
import { allReviews, legacyTopTechnicians, recentRequests } from './queries/project-statistics.js';
import { requestStats } from './queries/requests.js';
import { highRiskEvents, securityStats } from './queries/security.js';
import { specialtyRows } from './queries/specialties.js';
import { technicianProfiles } from './queries/technicians.js';
import { trends } from './queries/trends.js';
import { activeUsers30d, userCounts } from './queries/users.js';

/** The legacy endpoints round rates and means to one decimal. */
const ONE_DECIMAL = 1;

export async function computeLegacyStatistics(clickhouse: ClickHouse, now: Date): Promise<LegacyStatistics> {
  // Nothing is period-filtered: the 'all' window, every rolling window measured back from `now`.
  const params = windowParams(periodQuery('all', now));
  const [users, active, requests, recent, trend, specialties, top, profiles, reviews, security, alerts, geography] = await Promise.all([
    userCounts(clickhouse, params),
    activeUsers30d(clickhouse, params),
    requestStats(clickhouse, params),
    recentRequests(clickhouse, params),
    trends(clickhouse, params, now),
    specialtyRows(clickhouse, params),
    legacyTopTechnicians(clickhouse),
    technicianProfiles(clickhouse),
    allReviews(clickhouse, params),
    securityStats(clickhouse, params),
    highRiskEvents(clickhouse, params),
    geographyStats(clickhouse, params),
  ]);
  // avg_request_value (unused here) needs the completed count: the same one as requests.completed.
  const financial = await financialStats(clickhouse, params, requests.completed);

  const satisfaction = {
    total_reviews: Number(reviews.reviews),
    avg_rating: ratio(reviews.ratingSum, reviews.reviews, 1n, ONE_DECIMAL),
    satisfaction_rate: percent(reviews.satisfied, reviews.reviews, ONE_DECIMAL),
  };
  const statistics: ProjectStatistics = {
    overview: {
      total_users: users.total_users,
      total_clients: users.total_clients,
      total_technicians: users.total_technicians,
      total_admins: users.total_admins,
      active_users_30d: active,
      total_requests: requests.total,
      completed_requests: requests.completed,
      total_revenue: financial.total_revenue,
      platform_fees: financial.platform_fees,
      avg_rating: satisfaction.avg_rating,
      satisfaction_rate: satisfaction.satisfaction_rate,
    },
    requests: {
      total: requests.total,
      pending: requests.pending,
      in_progress: requests.in_progress,
      completed: requests.completed,
      cancelled: requests.cancelled,
      recent_24h: recent.recent_24h,
      recent_7d: recent.recent_7d,
      recent_30d: recent.recent_30d,
      // The trends' daily buckets are the same seven UTC days, oldest first.
      daily_evolution: Object.entries(trend.daily).map(([date, bucket]) => ({ date, count: bucket.requests })),
    },
    financial: {
      total_revenue: financial.total_revenue,
      total_payouts: financial.total_payouts,
      platform_fees: financial.platform_fees,
      payment_methods: financial.payment_methods,
    },
    specialties: {
      stats: specialties.map((row) => {
        const priced = count(row.priced_count);
        return {
          specialty_needed: row.specialty,
          count: count(row.request_count),
          completed: count(row.completed_count),
          // Unlike global_statistics (0), null when no request of the specialty has a final price.
          avg_price: priced === 0 ? null : meanMoney(toCents(row.price_total), priced),
        };
      }),
      top_technicians: top,
    },
    technicians: {
      total: users.total_technicians,
      verified: profiles.verified,
      available: profiles.available,
      availability_rate: percent(profiles.available, profiles.verified, ONE_DECIMAL),
    },
    satisfaction,
    security: {
      total_logins: security.total_logins,
      failed_logins: security.failed_logins,
      // Audit rows with risk_score ≥ 80 (global_statistics counts security e-mails instead).
      security_alerts: alerts,
      success_rate: percent(security.total_logins, security.total_logins + security.failed_logins, ONE_DECIMAL),
    },
    geography: { top_cities: geography.top_cities },
  };
  return { statistics, reviewRatingMean2dp: ratio(reviews.ratingSum, reviews.reviews) };
}
