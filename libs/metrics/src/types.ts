// Response shapes of the statistics endpoints, key names as in the original Django backend
// (see ../shared/contract/metrics.md). Shared by the API, the tests' SQL oracle and the benchmarks.

export const PERIODS = ['24h', '7d', '30d', 'all'] as const;
export type Period = (typeof PERIODS)[number];

export interface Overview {
  total_users: number;
  total_clients: number;
  total_technicians: number;
  total_admins: number;
  active_users_30d: number;
  new_users_30d: number;
  total_requests: number;
  completed_requests: number;
  total_revenue: number;
  platform_fees: number;
  avg_rating: number;
  satisfaction_rate: number;
}

export interface RequestStats {
  total: number;
  pending: number;
  in_progress: number;
  completed: number;
  cancelled: number;
  urgent: number;
  success_rate: number;
  avg_response_time_hours: number;
  avg_completion_time_hours: number;
}

export interface PaymentMethodStats {
  method: string;
  count: number;
  total: number;
}

export interface FinancialStats {
  total_revenue: number;
  total_payouts: number;
  platform_fees: number;
  avg_request_value: number;
  payment_methods: PaymentMethodStats[];
  payment_success_rate: number;
}

export interface SatisfactionStats {
  total_reviews: number;
  avg_rating: number;
  satisfaction_rate: number;
  recommendation_rate: number;
}

export interface TopTechnician {
  id: number;
  name: string;
  specialty: string;
  total_jobs: number;
  avg_rating: number;
  total_earnings: number;
}

export interface TechnicianStats {
  total: number;
  verified: number;
  available: number;
  avg_rating: number;
  top_technicians: TopTechnician[];
}

export interface SpecialtyFigures {
  count: number;
  completed: number;
  avg_price: number;
}

export interface SpecialtyStats {
  distribution: Record<string, SpecialtyFigures>;
  top_specialties: Array<{ specialty_needed: string } & SpecialtyFigures>;
}

export interface SecurityStats {
  total_logins: number;
  failed_logins: number;
  security_alerts: number;
  login_success_rate: number;
}

export interface GeographyStats {
  top_cities: Array<{ city: string; count: number }>;
  service_areas: unknown[];
}

export interface TrendBucket {
  requests: number;
  completed: number;
  revenue: number;
}

export interface TrendBucketWithUsers extends TrendBucket {
  new_users: number;
}

export interface Trends {
  daily: Record<string, TrendBucketWithUsers>;
  weekly: Record<string, TrendBucket>;
  monthly: Record<string, TrendBucketWithUsers>;
}

export interface AdvancedStats {
  conversion_rate: number;
  retention_rate: number;
  churn_rate: number;
  ltv: number;
  cac: null;
}

export interface CalculationInfo {
  /** ISO-8601 UTC instant the figures were computed for ("now" of every rolling window). */
  last_calculation: string;
  /** Seconds spent computing. */
  calculation_duration: number;
  /** True when the response was served from the statistics cache (figures computed earlier). */
  cached: boolean;
  /** ISO-8601 UTC instant the computation of the figures started (a cached answer keeps it). */
  generated_at: string;
  /** Commit time (ISO-8601 UTC) of the last operational change applied to ClickHouse, null before any. */
  data_as_of: string | null;
  /** The filters applied (docs/statistics-api.md): the resolved window and the request scope. */
  filters: { period: Period | 'custom'; from: string | null; to: string | null; city: string | null; specialty: string | null };
  /**
   * True when served under the client's staleness bound (Cache-Control: max-stale, or
   * STATISTICS_MAX_STALENESS_SECONDS) although changes were applied since it was computed.
   */
  stale?: boolean;
  /** The staleness bound applied to this answer (seconds; 0 = fresh only). */
  max_stale_seconds?: number;
}

/** Every metric of global_statistics; the endpoint adds calculation_info. */
export interface GlobalStatisticsFigures {
  overview: Overview;
  requests: RequestStats;
  financial: FinancialStats;
  satisfaction: SatisfactionStats;
  technicians: TechnicianStats;
  specialties: SpecialtyStats;
  security: SecurityStats;
  geography: GeographyStats;
  trends: Trends;
  advanced: AdvancedStats;
}

export interface GlobalStatistics extends GlobalStatisticsFigures {
  calculation_info: CalculationInfo;
}

export interface WindowActivity {
  new_requests: number;
  completed_requests: number;
  new_users: number;
  new_reviews: number;
  revenue: number;
}

export interface RealTimeStats {
  current_time: string;
  last_24h: WindowActivity;
  last_7d: WindowActivity;
  active_sessions: { online_users: number; active_technicians: number };
}

/**
 * Filters of the statistics endpoints (docs/statistics-api.md). The window [from, to) replaces
 * "col >= now − Δ" of the period filter; `period` is 'custom' when from/to were given.
 */
export interface StatisticsFilters {
  period: Period | 'custom';
  /** Inclusive start of the window; null = no lower bound. */
  from: Date | null;
  /** Exclusive end of the window; null = no upper bound. */
  to: Date | null;
  /** Exact R.city; null = every city. */
  city: string | null;
  /** Exact R.specialty_needed; null = every specialty. */
  specialty: string | null;
}

/** The inputs that fully determine a computation: the same inputs give the same numbers. */
export interface StatisticsQuery extends StatisticsFilters {
  /** The instant every rolling window is measured back from. */
  now: Date;
}

// ---- Section endpoints: the global_statistics section plus these keys (docs/statistics-api.md) ----

export const SECTIONS = [
  'overview',
  'requests',
  'financial',
  'satisfaction',
  'technicians',
  'specialties',
  'security',
  'geography',
  'trends',
  'advanced',
] as const;
export type Section = (typeof SECTIONS)[number];

export interface RequestExtras {
  /** Requests per raw status string, every status present (unknown values included). */
  by_status: Record<string, number>;
}

export interface SatisfactionExtras {
  /** V* per raw rating; '1'..'5' always present. */
  rating_distribution: Record<string, number>;
}

export interface TechnicianExtras {
  /** Requests with a technician assigned / technicians.total. */
  requests_per_technician: number;
}

export interface SpecialtyPerformance {
  specialty_needed: string;
  count: number;
  completed: number;
  success_rate: number;
  avg_price: number;
  avg_response_time_hours: number;
  avg_completion_time_hours: number;
}

export interface SpecialtyExtras {
  performance: SpecialtyPerformance[];
}

export interface SecurityExtras {
  high_risk_events: number;
  top_risky_ips: Array<{ ip_address: string; events: number; max_risk_score: number }>;
  top_risky_cities: Array<{ city: string; events: number }>;
}

export interface CityFigures {
  city: string;
  requests: number;
  completed: number;
  revenue: number;
}

export interface MapPoint {
  latitude: number;
  longitude: number;
  requests: number;
}

export interface GeographyExtras {
  cities: CityFigures[];
  map_points: MapPoint[];
}

export interface RatingBucket {
  reviews: number;
  avg_rating: number;
}

export interface TrendExtras {
  ratings: {
    daily: Record<string, RatingBucket>;
    weekly: Record<string, RatingBucket>;
    monthly: Record<string, RatingBucket>;
  };
}

export interface SectionExtras {
  overview: Record<string, never>;
  requests: RequestExtras;
  financial: Record<string, never>;
  satisfaction: SatisfactionExtras;
  technicians: TechnicianExtras;
  specialties: SpecialtyExtras;
  security: SecurityExtras;
  geography: GeographyExtras;
  trends: TrendExtras;
  advanced: Record<string, never>;
}

/** What a section endpoint returns (without calculation_info). */
export type SectionFigures<S extends Section> = GlobalStatisticsFigures[S] & SectionExtras[S];

// ---- KPIs ----

export interface AcquisitionCost {
  /** Configured spend / clients registered in the last 30 days; null when no spend is configured or no client registered. */
  value: number | null;
  /** ACQUISITION_SPEND_XOF: marketing spend over the last 30 days, as configured (not measured). */
  spend_xof: number | null;
  new_clients_30d: number;
  basis: string;
}

export interface BusinessKpis {
  conversion_rate: number;
  retention_rate: number;
  churn_rate: number;
  ltv: number;
  cac: AcquisitionCost;
}

export interface OperationalKpis {
  /** Mean(completed_at − created_at) in hours over the timed completed requests. */
  resolution_time_hours: number;
  /** Completed requests / distinct technicians who completed at least one. */
  technician_efficiency: number;
  requests_per_technician: number;
  quality_of_service: { avg_rating: number; satisfaction_rate: number; recommendation_rate: number };
}

export interface TechnicalKpis {
  /** API requests measured by the API itself in the window. */
  requests: number;
  response_time_ms: { p50: number; p95: number; p99: number; mean: number };
  /** Share of 5xx answers, percent. */
  error_rate: number;
  /** Share of 4xx answers, percent. */
  client_error_rate: number;
  uptime: { process_seconds: number; availability_percent: number; minutes_observed: number; minutes_up: number };
  latency: { ingest_lag_seconds: number | null; clickhouse_ms: number };
  /** Samples lost because ClickHouse refused them (the figures above exclude them). */
  samples_dropped: number;
}

export interface Kpis {
  business: BusinessKpis;
  operational: OperationalKpis;
  technical: TechnicalKpis;
}
