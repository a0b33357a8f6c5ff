import { describe, expect, it } from 'vitest';
import { legacyFileName, legacyReport, pythonFloatText } from '../../apps/api/src/statistics/legacy/legacy-report.js';
import { legacyPdfHtml, legacyTimestamp } from '../../apps/api/src/statistics/legacy/legacy-pdf.js';
import type { LegacyStatistics } from '../../libs/metrics/src/legacy-types.js';

const FIGURES: LegacyStatistics = {
  statistics: {
    overview: {
      total_users: 3, total_clients: 1, total_technicians: 1, total_admins: 1, active_users_30d: 1, total_requests: 2,
      completed_requests: 1, total_revenue: 150000, platform_fees: -0.5, avg_rating: 4.3, satisfaction_rate: 50,
    },
    requests: { total: 2, pending: 1, in_progress: 0, completed: 1, cancelled: 0, recent_24h: 0, recent_7d: 0, recent_30d: 2, daily_evolution: [] },
    financial: { total_revenue: 150000, total_payouts: 150000.5, platform_fees: -0.5, payment_methods: [] },
    specialties: {
      stats: [{ specialty_needed: 'plumber', count: 2, completed: 1, avg_price: null }],
      top_technicians: [],
    },
    technicians: { total: 1, verified: 0, available: 0, availability_rate: 0 },
    satisfaction: { total_reviews: 4, avg_rating: 4.3, satisfaction_rate: 50 },
    security: { total_logins: 0, failed_logins: 0, security_alerts: 0, success_rate: 0 },
    geography: { top_cities: [{ city: '<script>alert("x")</script> & Co', count: 2 }] },
  },
  reviewRatingMean2dp: 4.25,
};

describe('legacy exports', () => {
  it('prints decimals of hundredths as Python prints the float', () => {
    expect(pythonFloatText(15000000n)).toBe('150000.0');
    expect(pythonFloatText(7500001n)).toBe('75000.01');
    expect(pythonFloatText(1250n)).toBe('12.5');
    expect(pythonFloatText(-50n)).toBe('-0.5');
    expect(pythonFloatText(-5n)).toBe('-0.05');
    expect(pythonFloatText(0n)).toBe('0.0');
    expect(pythonFloatText(999999999999999n)).toBe('9999999999999.99'); // 15 significant digits: what the float prints too
  });

  it('names files after the UTC generation time', () => {
    expect(legacyFileName(new Date('2026-01-02T03:04:05.678Z'), 'xlsx')).toBe('statistiques_depanneteliman_20260102_030405.xlsx');
    expect(legacyTimestamp(new Date('2026-01-02T03:04:05.678Z'))).toBe('02/01/2026 03:04:05');
  });

  it('keeps numbers for Excel and Python texts for the PDF', () => {
    const sections = legacyReport(FIGURES);
    const finances = sections.find((section) => section.title === 'Finances')!;
    expect(finances.rows.map((row) => [row.value, row.text])).toEqual([[150000, '150000.0'], [150000.5, '150000.5'], [-0.5, '-0.5']]);
    const satisfaction = sections.find((section) => section.title === 'Satisfaction')!;
    expect(satisfaction.rows.map((row) => row.text)).toEqual(['4', '4.25']);
    expect(sections.at(-1)!.pdfTitle).toBe('Demandes par ville (top 10)');
    const noReviews = legacyReport({ ...FIGURES, statistics: { ...FIGURES.statistics, satisfaction: { total_reviews: 0, avg_rating: 0, satisfaction_rate: 0 } }, reviewRatingMean2dp: 0 });
    expect(noReviews.find((section) => section.title === 'Satisfaction')!.rows[1]!.text).toBe('0');
  });

  it('escapes user data in the PDF document', () => {
    const html = legacyPdfHtml(legacyReport(FIGURES), new Date('2026-01-02T03:04:05Z'));
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co : 2');
    expect(html).toContain('Généré le : 02/01/2026 03:04:05');
  });
});
