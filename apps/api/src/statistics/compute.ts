// Assembles global_statistics, the section endpoints, the KPIs and real_time_stats from the
// per-family queries. Framework-free so the API, the benchmarks and the tests all compute a number
// the same, single way: a section endpoint is the global section plus its extra keys, built by the
// same function from the same memoised figures.
import type { ClickHouse } from '../../../../libs/clickhouse/src/clickhouse.js';
import { meanHours, percent, ratio } from '../../../../libs/metrics/src/exact.js';
import type {
  AdvancedStats,
  BusinessKpis,
  GlobalStatisticsFigures,
  OperationalKpis,
  Overview,
  RealTimeStats,
  Section,
  SectionExtras,
  SectionFigures,
  StatisticsQuery,
  TechnicianStats,
} from '../../../../libs/metrics/src/types.js';
import { SECTIONS } from '../../../../libs/metrics/src/types.js';
import { financialStats } from './queries/financial.js';
import { geographyExtras, geographyStats } from './queries/geography.js';
import { windowParams, type WindowParams } from './queries/params.js';
import { realTimeFigures } from './queries/realtime.js';
import { assignedRequests, requestExtras, requestStats, type RequestFigures } from './queries/requests.js';
import { satisfactionExtras, satisfactionStats } from './queries/satisfaction.js';
import { securityExtras, securityStats } from './queries/security.js';
import { specialtyExtras, specialtyStats } from './queries/specialties.js';
import { jobTotals, technicianProfiles, topTechnicians } from './queries/technicians.js';
import { trendExtras, trends } from './queries/trends.js';
import { activeUsers30d, userCounts } from './queries/users.js';

/** Operator-supplied inputs of the KPIs (figures the data cannot give). */
export interface KpiSettings {
  /** Marketing spend over the last 30 days in XOF; null = not configured. */
  acquisitionSpendXof: number | null;
}

/** One computation: every figure is queried at most once, whichever sections ask for it. */
class Figures {
  private readonly memo = new Map<string, Promise<unknown>>();
  readonly params: WindowParams;

  constructor(
    readonly clickhouse: ClickHouse,
    readonly query: StatisticsQuery,
  ) {
    this.params = windowParams(query);
  }

  private once<T>(key: string, compute: () => Promise<T>): Promise<T> {
    let promise = this.memo.get(key) as Promise<T> | undefined;
    if (!promise) {
      promise = compute();
      this.memo.set(key, promise);
    }
    return promise;
  }

  users = () => this.once('users', () => userCounts(this.clickhouse, this.params));
  activeUsers = () => this.once('active', () => activeUsers30d(this.clickhouse, this.params));
  requests = () => this.once('requests', () => requestStats(this.clickhouse, this.params));
  financial = () =>
    this.once('financial', async () => financialStats(this.clickhouse, this.params, (await this.requests()).completed));
  satisfaction = () => this.once('satisfaction', () => satisfactionStats(this.clickhouse, this.params));
  profiles = () => this.once('profiles', () => technicianProfiles(this.clickhouse));
  top = () => this.once('top', () => topTechnicians(this.clickhouse, this.params));
  assigned = () => this.once('assigned', () => assignedRequests(this.clickhouse, this.params));
  jobs = () => this.once('jobs', () => jobTotals(this.clickhouse, this.params));
}

/** The contract's request keys, without the exact sums kept for derived figures. */
function requestSection({ timings: _, ...stats }: RequestFigures): GlobalStatisticsFigures['requests'] {
  return stats;
}

const build: { [S in Section]: (f: Figures) => Promise<GlobalStatisticsFigures[S]> } = {
  async overview(f): Promise<Overview> {
    const [users, active, requests, financial, satisfaction] = await Promise.all([
      f.users(),
      f.activeUsers(),
      f.requests(),
      f.financial(),
      f.satisfaction(),
    ]);
    return {
      total_users: users.total_users,
      total_clients: users.total_clients,
      total_technicians: users.total_technicians,
      total_admins: users.total_admins,
      active_users_30d: active,
      new_users_30d: users.new_users_30d,
      total_requests: requests.total,
      completed_requests: requests.completed,
      total_revenue: financial.total_revenue,
      platform_fees: financial.platform_fees,
      avg_rating: satisfaction.avg_rating,
      satisfaction_rate: satisfaction.satisfaction_rate,
    };
  },
  requests: async (f) => requestSection(await f.requests()),
  financial: async (f) => {
    const { allTimeRevenueCents: _, ...financial } = await f.financial();
    return financial;
  },
  satisfaction: (f) => f.satisfaction(),
  async technicians(f): Promise<TechnicianStats> {
    const [users, profiles, satisfaction, top] = await Promise.all([f.users(), f.profiles(), f.satisfaction(), f.top()]);
    return {
      total: users.total_technicians,
      verified: profiles.verified,
      available: profiles.available,
      avg_rating: satisfaction.avg_rating,
      top_technicians: top,
    };
  },
  specialties: (f) => specialtyStats(f.clickhouse, f.params),
  security: (f) => securityStats(f.clickhouse, f.params),
  geography: (f) => geographyStats(f.clickhouse, f.params),
  trends: (f) => trends(f.clickhouse, f.params, f.query.now),
  async advanced(f): Promise<AdvancedStats> {
    const [users, active, requests, financial] = await Promise.all([f.users(), f.activeUsers(), f.requests(), f.financial()]);
    return {
      conversion_rate: requests.success_rate,
      // Retention counts active users among all users; churn is its complement, 0 on an empty user table.
      retention_rate: percent(active, users.total_users),
      // 100 − retention in full precision, rounded once.
      churn_rate: percent(users.total_users - active, users.total_users),
      // Lifetime value: all-time revenue per client, whatever the period.
      ltv: ratio(financial.allTimeRevenueCents, BigInt(users.total_clients) * 100n),
      cac: null,
    };
  },
};

async function requestsPerTechnician(f: Figures): Promise<number> {
  const [assigned, users] = await Promise.all([f.assigned(), f.users()]);
  return ratio(BigInt(assigned), BigInt(users.total_technicians));
}

const NO_EXTRAS = async (): Promise<Record<string, never>> => ({});

const extras: { [S in Section]: (f: Figures) => Promise<SectionExtras[S]> } = {
  overview: NO_EXTRAS,
  requests: (f) => requestExtras(f.clickhouse, f.params),
  financial: NO_EXTRAS,
  satisfaction: (f) => satisfactionExtras(f.clickhouse, f.params),
  technicians: async (f) => ({ requests_per_technician: await requestsPerTechnician(f) }),
  specialties: (f) => specialtyExtras(f.clickhouse, f.params),
  security: (f) => securityExtras(f.clickhouse, f.params),
  geography: (f) => geographyExtras(f.clickhouse, f.params),
  trends: (f) => trendExtras(f.clickhouse, f.params, f.query.now),
  advanced: NO_EXTRAS,
};

export async function computeGlobalStatistics(clickhouse: ClickHouse, query: StatisticsQuery): Promise<GlobalStatisticsFigures> {
  const figures = new Figures(clickhouse, query);
  const sections = await Promise.all(SECTIONS.map((section) => build[section](figures)));
  return Object.fromEntries(SECTIONS.map((section, i) => [section, sections[i]])) as unknown as GlobalStatisticsFigures;
}

/** One section endpoint: the global_statistics section plus its extra keys. */
export async function computeSection<S extends Section>(clickhouse: ClickHouse, section: S, query: StatisticsQuery): Promise<SectionFigures<S>> {
  const figures = new Figures(clickhouse, query);
  const [base, more] = await Promise.all([build[section](figures), extras[section](figures)]);
  return { ...base, ...more } as SectionFigures<S>;
}

/** Business and operational KPIs (the technical ones are measured by the API, see telemetry). */
export async function computeKpis(
  clickhouse: ClickHouse,
  query: StatisticsQuery,
  settings: KpiSettings,
): Promise<{ business: BusinessKpis; operational: OperationalKpis }> {
  const f = new Figures(clickhouse, query);
  const [advanced, users, requests, satisfaction, jobs, perTechnician] = await Promise.all([
    build.advanced(f),
    f.users(),
    f.requests(),
    f.satisfaction(),
    f.jobs(),
    requestsPerTechnician(f),
  ]);
  const spend = settings.acquisitionSpendXof;
  const { timings } = requests;
  return {
    business: {
      conversion_rate: advanced.conversion_rate,
      retention_rate: advanced.retention_rate,
      churn_rate: advanced.churn_rate,
      ltv: advanced.ltv,
      cac: {
        value: spend === null || users.new_clients_30d === 0 ? null : ratio(BigInt(Math.round(spend * 100)), BigInt(users.new_clients_30d) * 100n),
        spend_xof: spend,
        new_clients_30d: users.new_clients_30d,
        basis:
          spend === null
            ? 'not computed: no acquisition spend configured (ACQUISITION_SPEND_XOF)'
            : 'configured marketing spend over the last 30 days (ACQUISITION_SPEND_XOF, not measured) / clients registered in the last 30 days',
      },
    },
    operational: {
      // Same rows as the two timings, so it is their exact sum, rounded once.
      resolution_time_hours: meanHours(timings.responseMicros + timings.completionMicros, timings.timed),
      technician_efficiency: ratio(BigInt(jobs.jobs), BigInt(jobs.technicians)),
      requests_per_technician: perTechnician,
      quality_of_service: {
        avg_rating: satisfaction.avg_rating,
        satisfaction_rate: satisfaction.satisfaction_rate,
        recommendation_rate: satisfaction.recommendation_rate,
      },
    },
  };
}

export async function computeRealTimeStats(clickhouse: ClickHouse, now: Date): Promise<RealTimeStats> {
  const figures = await realTimeFigures(clickhouse, windowParams({ period: 'all', from: null, to: null, city: null, specialty: null, now }));
  return { current_time: now.toISOString(), ...figures };
}
