// Payments created in the period. Revenue = completed client payments (RP); payouts = completed
// technician payouts; refunds and P.fees are ignored (metrics.md).
import type { ClickHouse } from '../../../../../libs/clickhouse/src/clickhouse.js';
import { centsToNumber, count, meanMoney, percent, toCents } from '../../../../../libs/metrics/src/exact.js';
import type { FinancialStats } from '../../../../../libs/metrics/src/types.js';
import { AT, type WindowParams } from './params.js';

export interface FinancialFigures extends FinancialStats {
  /** All-time revenue in hundredths, whatever the period (for lifetime value). */
  allTimeRevenueCents: bigint;
}

const REVENUE = "status = 'completed' AND payment_type = 'client_payment'";

export async function financialStats(
  clickhouse: ClickHouse,
  params: WindowParams,
  completedRequests: number,
): Promise<FinancialFigures> {
  const [totals] = await clickhouse.query<Record<string, string>>(
    `SELECT toString(sumIf(amount, in_period AND ${REVENUE})) AS revenue,
            toString(sumIf(amount, in_period AND status = 'completed' AND payment_type = 'technician_payout')) AS payouts,
            countIf(in_period AND status = 'completed') AS completed_payments,
            countIf(in_period) AS payments,
            toString(sumIf(amount, ${REVENUE})) AS all_time_revenue
     FROM (SELECT *, created_at >= {since:${AT}} AS in_period FROM depannage_payment FINAL)`,
    params,
  );
  const methods = await clickhouse.query<{ method: string; count: string; total: string }>(
    `SELECT method, count() AS count, toString(sum(amount)) AS total, sum(amount) AS sort_total
     FROM depannage_payment FINAL
     WHERE ${REVENUE} AND created_at >= {since:${AT}}
     GROUP BY method
     ORDER BY sort_total DESC, method ASC`,
    params,
  );
  const t = totals!;
  const revenue = toCents(t.revenue!);
  const payouts = toCents(t.payouts!);
  return {
    total_revenue: centsToNumber(revenue),
    total_payouts: centsToNumber(payouts),
    platform_fees: centsToNumber(revenue - payouts),
    avg_request_value: meanMoney(revenue, completedRequests),
    payment_methods: methods.map((m) => ({ method: m.method, count: count(m.count), total: centsToNumber(toCents(m.total)) })),
    payment_success_rate: percent(count(t.completed_payments!), count(t.payments!)),
    allTimeRevenueCents: toCents(t.all_time_revenue!),
  };
}
