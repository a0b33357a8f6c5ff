// real_time_stats: activity over the last 24 h and 7 days, and the current session figures.
import { queryOne, type ClickHouse } from '../../../../../libs/clickhouse/src/clickhouse.js';
import { centsToNumber, count, toCents } from '../../../../../libs/metrics/src/exact.js';
import type { RealTimeStats, WindowActivity } from '../../../../../libs/metrics/src/types.js';
import { dailyRows } from '../../../../../libs/metrics/src/catalogue/daily-aggregate.js';
import { PAYMENTS_DAILY, REVENUE } from '../../../../../libs/metrics/src/catalogue/payments.js';
import { REQUEST_COMPLETIONS_DAILY, REQUESTS_DAILY } from '../../../../../libs/metrics/src/catalogue/requests.js';
import { REVIEWS_DAILY } from '../../../../../libs/metrics/src/catalogue/reviews.js';
import { USERS_DAILY } from '../../../../../libs/metrics/src/catalogue/users.js';
import { AT, type WindowName, type WindowParams } from './params.js';

function windowActivity(window: WindowName): string {
  return `
    (SELECT sum(requests) FROM (${dailyRows(REQUESTS_DAILY, window, ['requests'])})) AS requests_${window},
    (SELECT sum(completed) FROM (${dailyRows(REQUEST_COMPLETIONS_DAILY, window, ['completed'])})) AS completed_${window},
    (SELECT sum(users) FROM (${dailyRows(USERS_DAILY, window, ['users'])})) AS users_${window},
    (SELECT sum(reviews) FROM (${dailyRows(REVIEWS_DAILY, window, ['reviews'])})) AS reviews_${window},
    (SELECT toString(sum(amount)) FROM (${dailyRows(PAYMENTS_DAILY, window, ['amount'], REVENUE)})) AS revenue_${window}`;
}

export async function realTimeFigures(
  clickhouse: ClickHouse,
  params: WindowParams,
): Promise<Omit<RealTimeStats, 'current_time'>> {
  // new_reviews counts every review (no visibility filter), as in the source.
  const r = await queryOne<Record<`${'requests' | 'completed' | 'users' | 'reviews' | 'revenue'}_${'last24h' | 'last7d'}` | 'online_users' | 'active_technicians', string>>(
    clickhouse,
    `SELECT ${windowActivity('last24h')}, ${windowActivity('last7d')},
       (SELECT sum(toInt64(sign)) FROM users_user_signed WHERE last_login >= {last24h:${AT}}) AS online_users,
       (SELECT countIf(is_available AND is_verified) FROM depannage_technician FINAL) AS active_technicians`,
    params,
  );
  const activity = (window: 'last24h' | 'last7d'): WindowActivity => ({
    new_requests: count(r[`requests_${window}`]),
    completed_requests: count(r[`completed_${window}`]),
    new_users: count(r[`users_${window}`]),
    new_reviews: count(r[`reviews_${window}`]),
    revenue: centsToNumber(toCents(r[`revenue_${window}`])),
  });
  return {
    last_24h: activity('last24h'),
    last_7d: activity('last7d'),
    active_sessions: { online_users: count(r.online_users), active_technicians: count(r.active_technicians) },
  };
}
