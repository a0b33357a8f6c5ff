// Payments created in the period. Revenue = completed client payments (RP); payouts = completed
// technician payouts; refunds and P.fees are ignored (metrics.md).
import { queryOne, type ClickHouse } from '../../../../../libs/clickhouse/src/clickhouse.js';
import { centsToNumber, count, meanMoney, percent, toCents } from '../../../../../libs/metrics/src/exact.js';
import type { FinancialStats } from '../../../../../libs/metrics/src/types.js';
import { dailyRows } from '../../../../../libs/metrics/src/catalogue/daily-aggregate.js';
import { PAYMENTS_DAILY, PAYOUT, REVENUE } from '../../../../../libs/metrics/src/catalogue/payments.js';
import { inWindow, isScoped, SCOPED_REQUEST_IDS, type WindowName, type WindowParams } from './params.js';

export interface FinancialFigures extends FinancialStats {
  /** All-time revenue in hundredths, whatever the period (for lifetime value). */
  allTimeRevenueCents: bigint;
}

/**
 * Rows shaped like agg_payments_daily for a window. Unscoped: whole days + partial edge days from
 * the signed log. Scoped to a city or specialty: payments carry neither, so they are read from the
 * state table through their request (P.request_id in the scoped requests).
 */
export function paymentFacts(window: WindowName, scoped: boolean): string {
  if (scoped) {
    return `
    SELECT toDate(created_at, 'UTC') AS day, status, payment_type, method, toInt64(1) AS payments, toDecimal128(amount, 2) AS amount
    FROM depannage_payment FINAL
    WHERE ${inWindow('created_at', window)} AND request_id IN (${SCOPED_REQUEST_IDS})`;
  }
  return dailyRows(PAYMENTS_DAILY, window, ['day', 'status', 'payment_type', 'method', 'payments', 'amount']);
}

export async function financialStats(
  clickhouse: ClickHouse,
  params: WindowParams,
  completedRequests: number,
): Promise<FinancialFigures> {
  const t = await queryOne<Record<'revenue' | 'payouts' | 'completed_payments' | 'payment_count', string>>(
    clickhouse,
    `SELECT toString(sumIf(amount, ${REVENUE})) AS revenue,
            toString(sumIf(amount, ${PAYOUT})) AS payouts,
            sumIf(payments, status = 'completed') AS completed_payments,
            sum(payments) AS payment_count
     FROM (${paymentFacts('since', isScoped(params))})`,
    params,
  );
  const allTime = await queryOne<{ revenue_total: string }>(
    clickhouse,
    `SELECT toString(sum(amount)) AS revenue_total FROM agg_payments_daily WHERE ${REVENUE}`,
  );
  const methods = await clickhouse.query<{ method: string; payment_count: string; amount_total: string }>(
    `SELECT method, sum(payments) AS payment_count, toString(sum(amount)) AS amount_total, sum(amount) AS sort_total
     FROM (${paymentFacts('since', isScoped(params))})
     WHERE ${REVENUE}
     GROUP BY method
     HAVING payment_count != 0
     ORDER BY sort_total DESC, method ASC`,
    params,
  );
  const revenue = toCents(t.revenue);
  const payouts = toCents(t.payouts);
  return {
    total_revenue: centsToNumber(revenue),
    total_payouts: centsToNumber(payouts),
    platform_fees: centsToNumber(revenue - payouts),
    avg_request_value: meanMoney(revenue, completedRequests),
    payment_methods: methods.map((m) => ({ method: m.method, count: count(m.payment_count), total: centsToNumber(toCents(m.amount_total)) })),
    payment_success_rate: percent(count(t.completed_payments), count(t.payment_count)),
    allTimeRevenueCents: toCents(allTime.revenue_total),
  };
}
