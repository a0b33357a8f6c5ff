// Payments (P, depannage_payment). Revenue = completed client payments; payouts = completed
// technician payouts; refunds and P.fees are ignored (metrics.md).
import type { DailyAggregate } from './daily-aggregate.js';

/** The payments that are revenue (RP). */
export const REVENUE = "status = 'completed' AND payment_type = 'client_payment'";

/** The payments that are paid out to technicians. */
export const PAYOUT = "status = 'completed' AND payment_type = 'technician_payout'";

/** Payments per UTC creation day and (status, type, method): counts and amounts, signed. */
export const PAYMENTS_DAILY: DailyAggregate = {
  table: 'agg_payments_daily',
  view: 'mv_agg_payments_daily',
  log: 'depannage_payment_signed',
  source: 'depannage_payment',
  day: { column: 'created_at', expression: "toDate(created_at, 'UTC')" },
  where: null,
  dimensions: { status: 'status', payment_type: 'payment_type', method: 'method' },
  measures: { payments: 'toInt64(sign)', amount: 'toDecimal128(sign, 0) * amount' },
};
