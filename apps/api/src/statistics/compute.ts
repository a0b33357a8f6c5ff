// Assembles global_statistics and real_time_stats from the per-family queries. Framework-free so
// the API, the benchmarks and the tests all compute a number the same, single way.
import type { ClickHouse } from '../../../../libs/clickhouse/src/clickhouse.js';
import { percent, ratio } from '../../../../libs/metrics/src/exact.js';
import type { GlobalStatisticsFigures, RealTimeStats, StatisticsQuery } from '../../../../libs/metrics/src/types.js';
import { financialStats } from './queries/financial.js';
import { geographyStats } from './queries/geography.js';
import { windowParams } from './queries/params.js';
import { realTimeFigures } from './queries/realtime.js';
import { requestStats } from './queries/requests.js';
import { satisfactionStats } from './queries/satisfaction.js';
import { securityStats } from './queries/security.js';
import { specialtyStats } from './queries/specialties.js';
import { technicianProfiles, topTechnicians } from './queries/technicians.js';
import { trends } from './queries/trends.js';
import { userFigures } from './queries/users.js';

export async function computeGlobalStatistics(clickhouse: ClickHouse, query: StatisticsQuery): Promise<GlobalStatisticsFigures> {
  const params = windowParams(query);
  const [users, requests, satisfaction, profiles, top, specialties, security, geography, trendFigures] = await Promise.all([
    userFigures(clickhouse, params),
    requestStats(clickhouse, params),
    satisfactionStats(clickhouse, params),
    technicianProfiles(clickhouse),
    topTechnicians(clickhouse, params),
    specialtyStats(clickhouse, params),
    securityStats(clickhouse, params),
    geographyStats(clickhouse, params),
    trends(clickhouse, params, query.now),
  ]);
  const { allTimeRevenueCents, ...financial } = await financialStats(clickhouse, params, requests.completed);
  // Retention counts active users among all users; churn is its complement, 0 on an empty user table.
  const retention = percent(users.active_users_30d, users.total_users);
  return {
    overview: {
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
    },
    requests,
    financial,
    satisfaction,
    technicians: {
      total: users.total_technicians,
      verified: profiles.verified,
      available: profiles.available,
      avg_rating: satisfaction.avg_rating,
      top_technicians: top,
    },
    specialties,
    security,
    geography,
    trends: trendFigures,
    advanced: {
      conversion_rate: requests.success_rate,
      retention_rate: retention,
      // 100 − retention in full precision, rounded once.
      churn_rate: percent(users.total_users - users.active_users_30d, users.total_users),
      // Lifetime value: all-time revenue per client, whatever the period.
      ltv: ratio(allTimeRevenueCents, BigInt(users.total_clients) * 100n),
      cac: null,
    },
  };
}

export async function computeRealTimeStats(clickhouse: ClickHouse, now: Date): Promise<RealTimeStats> {
  const figures = await realTimeFigures(clickhouse, windowParams({ period: 'all', now }));
  return { current_time: now.toISOString(), ...figures };
}
