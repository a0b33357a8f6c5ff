// Logins from the audit trail (A.timestamp in the period) and security e-mails (S.sent_at).
import { queryOne, type ClickHouse } from '../../../../../libs/clickhouse/src/clickhouse.js';
import { count, percent } from '../../../../../libs/metrics/src/exact.js';
import type { SecurityExtras, SecurityStats } from '../../../../../libs/metrics/src/types.js';
import { dailyRows } from '../../../../../libs/metrics/src/catalogue/daily-aggregate.js';
import { AUDIT_DAILY, SECURITY_DAILY } from '../../../../../libs/metrics/src/catalogue/security.js';
import { inWindow, type WindowParams } from './params.js';

export async function securityStats(clickhouse: ClickHouse, params: WindowParams): Promise<SecurityStats> {
  // An OTP login writes 'otp_sent' then 'otp_verified' and never a 'login' success: not counted (as in source).
  const row = await queryOne<Record<'ok' | 'failed' | 'alerts', string>>(
    clickhouse,
    `SELECT sumIf(events, kind = 'login' AND status = 'success') AS ok,
            sumIf(events, kind = 'login' AND status = 'failure') AS failed,
            sumIf(events, kind = 'alert') AS alerts
     FROM (
       ${dailyRows(AUDIT_DAILY, 'since', ["'login' AS kind", 'status', 'events'], "event_type = 'login'")}
       UNION ALL
       ${dailyRows(SECURITY_DAILY, 'since', ["'alert'", "''", 'notifications'])}
     )`,
    params,
  );
  const ok = count(row.ok);
  const failed = count(row.failed);
  return {
    total_logins: ok,
    failed_logins: failed,
    security_alerts: count(row.alerts),
    login_success_rate: percent(ok, ok + failed),
  };
}

/** risk_score at or above this is "high risk" (operational schema). */
const HIGH_RISK = 80;

/** Current audit rows of any event type with risk_score ≥ 80 and A.timestamp in the window. */
function highRiskRows(): string {
  return `FROM users_auditlog_signed WHERE risk_score >= ${HIGH_RISK} AND ${inWindow('timestamp', 'since')}`;
}

/**
 * High-risk audit events in the window: security.high_risk_events here, and the legacy
 * project_statistics' security_alerts (there over all time).
 */
export async function highRiskEvents(clickhouse: ClickHouse, params: WindowParams): Promise<number> {
  const total = await queryOne<{ events: string }>(clickhouse, `SELECT sum(sign) AS events ${highRiskRows()}`, params);
  return count(total.events);
}

/**
 * High-risk audit events in the window (every event type), by source address and by city, as
 * signed sums over the change log: a version filtered in (risk ≥ 80) and later changed or deleted
 * is cancelled by its own −1 row, so the sums count current rows only, without merging the whole
 * audit trail (FINAL). The highest risk per address is taken over (address, risk) groups that
 * still have rows.
 */
export async function securityExtras(clickhouse: ClickHouse, params: WindowParams): Promise<SecurityExtras> {
  const risky = highRiskRows();
  const [total, ips, cities] = await Promise.all([
    highRiskEvents(clickhouse, params),
    clickhouse.query<{ ip_address: string; events: string; max_risk: string }>(
      `SELECT ip_address, sum(current_rows) AS events, max(risk_score) AS max_risk FROM (
         SELECT ip_address, risk_score, sum(sign) AS current_rows ${risky}
         GROUP BY ip_address, risk_score HAVING current_rows > 0
       )
       GROUP BY ip_address ORDER BY events DESC, ip_address ASC LIMIT 10`,
      params,
    ),
    clickhouse.query<{ city: string; events: string }>(
      `SELECT geo_city AS city, sum(sign) AS events ${risky} AND geo_city != ''
       GROUP BY geo_city HAVING events > 0 ORDER BY events DESC, city ASC LIMIT 10`,
      params,
    ),
  ]);
  return {
    high_risk_events: total,
    top_risky_ips: ips.map((row) => ({ ip_address: row.ip_address, events: count(row.events), max_risk_score: Number(row.max_risk) })),
    top_risky_cities: cities.map((row) => ({ city: row.city, events: count(row.events) })),
  };
}
