// Assembles global_statistics, the section endpoints, the KPIs and real_time_stats from the
// per-family queries. Framework-free so the API, the benchmarks and the tests all compute a number
// the same, single way: a section endpoint is the global section plus its extra keys, built by the
// same function from the same memoised figures.
import { currentEngineContext, EngineBusyError, raiseEngineContext, type EngineContext } from '../../../../libs/clickhouse/src/admission.js';
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

/**
 * The instant computations running at the same time share, with the figures they are querying.
 * Computations that start while another runs on the same data (the live rooms after a batch, a
 * dashboard's requests) take its moment (Moments), so a figure several of them need is queried once
 * rather than once each: the 30-day active users, the same for every period and filter, once for
 * global_statistics of 24h, 7d, 30d and all, the overview and the KPIs. Only figures in flight are
 * shared: nothing is kept once they are answered (that is the cache's business).
 */
export class Moment {
  /** Figures being queried, by key, with the engine context their queries run under. */
  readonly inFlight = new Map<string, SharedFigure>();

  constructor(readonly now: Date) {}
}

interface SharedFigure {
  promise: Promise<unknown>;
  /** The context its queries run under (raised when a more urgent computation waits for it). */
  context: EngineContext | undefined;
}

/**
 * Hands a computation the moment of those running on the same data (the same applied LSN; LSNs
 * only grow, so no change was applied since it began), if it began at most `shareMs` ago; else a
 * new moment as of now. A computation's answer is as of its moment; `release` when it ends.
 */
export class Moments {
  private current: { moment: Moment; lsn: string | null; at: number; running: number } | null = null;

  constructor(private readonly shareMs: number) {}

  take(appliedLsn: string | null): { moment: Moment; release: () => void } {
    const at = Date.now();
    let current = this.current;
    if (!current || current.running === 0 || current.lsn !== appliedLsn || at - current.at > this.shareMs) {
      current = { moment: new Moment(new Date(at)), lsn: appliedLsn, at, running: 0 };
      this.current = current;
    }
    const taken = current;
    taken.running++;
    let released = false;
    return {
      moment: taken.moment,
      release: () => {
        if (released) return;
        released = true;
        taken.running--;
      },
    };
  }
}

/** One computation's figures: each queried at most once, whichever sections ask for it (and shared with the computations of its moment while in flight). */
class Figures {
  private readonly memo = new Map<string, Promise<unknown>>();
  readonly params: WindowParams;
  /** This computation's filters (its window and scope): part of the key of the figures that depend on them. */
  private readonly scope: string;

  constructor(
    readonly clickhouse: ClickHouse,
    readonly query: StatisticsQuery,
    private readonly moment: Moment = new Moment(query.now),
  ) {
    if (moment.now.getTime() !== query.now.getTime()) throw new Error('the query must be resolved at its moment');
    this.params = windowParams(query);
    this.scope = JSON.stringify(this.params);
  }

  /** `compute` once for this computation; `dependsOn` 'moment': the figure depends on the instant alone, not on the period or filters. */
  private once<T>(key: string, dependsOn: 'moment' | 'filters', compute: () => Promise<T>): Promise<T> {
    let promise = this.memo.get(key) as Promise<T> | undefined;
    if (!promise) {
      promise = this.shared(dependsOn === 'moment' ? key : `${key}\u0000${this.scope}`, compute);
      this.memo.set(key, promise);
    }
    return promise;
  }

  /**
   * The figure another computation of this moment is querying, if any: waited for with its queries
   * raised to this computation's priority; if they are refused all the same (that request went away,
   * or its deadline passed), queried again under this computation's own terms. Else queried here,
   * and offered to the others until answered.
   */
  private shared<T>(key: string, compute: () => Promise<T>): Promise<T> {
    const requester = currentEngineContext();
    const known = this.moment.inFlight.get(key);
    if (known) {
      if (known.context) raiseEngineContext(known.context, requester);
      // The same key always names the same figure: its promise resolves to a T.
      return (known.promise as Promise<T>).catch((error: unknown) => {
        if (!(error instanceof EngineBusyError) || known.context === requester) throw error;
        return this.shared(key, compute);
      });
    }
    const promise = compute();
    const figure: SharedFigure = { promise, context: requester };
    this.moment.inFlight.set(key, figure);
    const settled = (): void => {
      if (this.moment.inFlight.get(key) === figure) this.moment.inFlight.delete(key);
    };
    promise.then(settled, settled);
    return promise;
  }

  users = () => this.once('users', 'moment', () => userCounts(this.clickhouse, this.params));
  activeUsers = () => this.once('active', 'moment', () => activeUsers30d(this.clickhouse, this.params));
  profiles = () => this.once('profiles', 'moment', () => technicianProfiles(this.clickhouse));
  requests = () => this.once('requests', 'filters', () => requestStats(this.clickhouse, this.params));
  financial = () =>
    this.once('financial', 'filters', async () => financialStats(this.clickhouse, this.params, (await this.requests()).completed));
  satisfaction = () => this.once('satisfaction', 'filters', () => satisfactionStats(this.clickhouse, this.params));
  top = () => this.once('top', 'filters', () => topTechnicians(this.clickhouse, this.params));
  assigned = () => this.once('assigned', 'filters', () => assignedRequests(this.clickhouse, this.params));
  jobs = () => this.once('jobs', 'filters', () => jobTotals(this.clickhouse, this.params));
  specialties = () => this.once('specialties', 'filters', () => specialtyStats(this.clickhouse, this.params));
  security = () => this.once('security', 'filters', () => securityStats(this.clickhouse, this.params));
  geography = () => this.once('geography', 'filters', () => geographyStats(this.clickhouse, this.params));
  trends = () => this.once('trends', 'filters', () => trends(this.clickhouse, this.params, this.query.now));
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
  specialties: (f) => f.specialties(),
  security: (f) => f.security(),
  geography: (f) => f.geography(),
  trends: (f) => f.trends(),
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

/** `moment`: shared with other computations of the same instant (its `now` must be the query's). */
export async function computeGlobalStatistics(clickhouse: ClickHouse, query: StatisticsQuery, moment?: Moment): Promise<GlobalStatisticsFigures> {
  const figures = new Figures(clickhouse, query, moment);
  const sections = await Promise.all(SECTIONS.map((section) => build[section](figures)));
  return Object.fromEntries(SECTIONS.map((section, i) => [section, sections[i]])) as unknown as GlobalStatisticsFigures;
}

/** One section endpoint: the global_statistics section plus its extra keys. */
export async function computeSection<S extends Section>(clickhouse: ClickHouse, section: S, query: StatisticsQuery, moment?: Moment): Promise<SectionFigures<S>> {
  const figures = new Figures(clickhouse, query, moment);
  const [base, more] = await Promise.all([build[section](figures), extras[section](figures)]);
  return { ...base, ...more } as SectionFigures<S>;
}

/** Business and operational KPIs (the technical ones are measured by the API, see telemetry). */
export async function computeKpis(
  clickhouse: ClickHouse,
  query: StatisticsQuery,
  settings: KpiSettings,
  moment?: Moment,
): Promise<{ business: BusinessKpis; operational: OperationalKpis }> {
  const f = new Figures(clickhouse, query, moment);
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
