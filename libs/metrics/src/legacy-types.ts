// Response shape of the legacy GET /depannage/api/repair-requests/project_statistics/ that the
// existing admin app reads (shared/contract/legacy-endpoints.md §1). Key order is part of the
// contract: objects of these types are built in exactly this order.
import type { FinancialStats, Overview, TopTechnician } from './types.js';

export interface ProjectStatistics {
  overview: Omit<Overview, 'new_users_30d'>;
  requests: {
    total: number;
    pending: number;
    in_progress: number;
    completed: number;
    cancelled: number;
    recent_24h: number;
    recent_7d: number;
    recent_30d: number;
    /** Today − 6 … today (UTC dates), oldest first. */
    daily_evolution: Array<{ date: string; count: number }>;
  };
  financial: Pick<FinancialStats, 'total_revenue' | 'total_payouts' | 'platform_fees' | 'payment_methods'>;
  specialties: {
    stats: Array<{ specialty_needed: string; count: number; completed: number; avg_price: number | null }>;
    /** `specialty` is the French label of T.specialty (the raw value when unknown). */
    top_technicians: TopTechnician[];
  };
  technicians: { total: number; verified: number; available: number; availability_rate: number };
  satisfaction: { total_reviews: number; avg_rating: number; satisfaction_rate: number };
  security: { total_logins: number; failed_logins: number; security_alerts: number; success_rate: number };
  geography: { top_cities: Array<{ city: string; count: number }> };
}

/**
 * What the legacy exports show (§2): the project_statistics figures plus the one number they
 * round differently (the mean rating of all reviews to 2 decimals instead of 1).
 */
export interface LegacyStatistics {
  statistics: ProjectStatistics;
  /** Mean rating of every review, 2 decimals; 0 without reviews. */
  reviewRatingMean2dp: number;
}
