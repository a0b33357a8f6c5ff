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

/** The inputs that fully determine a computation: the same inputs give the same numbers. */
export interface StatisticsQuery {
  period: Period;
  /** The instant every rolling window is measured back from. */
  now: Date;
}
