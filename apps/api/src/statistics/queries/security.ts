// Logins from the audit trail (A.timestamp in the period) and security e-mails (S.sent_at).
import type { ClickHouse } from '../../../../../libs/clickhouse/src/clickhouse.js';
import { count, percent } from '../../../../../libs/metrics/src/exact.js';
import type { SecurityStats } from '../../../../../libs/metrics/src/types.js';
import { partialDay, wholeDays, type WindowParams } from './params.js';

export async function securityStats(clickhouse: ClickHouse, params: WindowParams): Promise<SecurityStats> {
  // An OTP login writes 'otp_sent' then 'otp_verified' and never a 'login' success: not counted (as in source).
  const [row] = await clickhouse.query<Record<string, string>>(
    `SELECT sumIf(events, kind = 'login' AND status = 'success') AS ok,
            sumIf(events, kind = 'login' AND status = 'failure') AS failed,
            sumIf(events, kind = 'alert') AS alerts
     FROM (
       SELECT 'login' AS kind, status, events FROM agg_audit_daily WHERE event_type = 'login' AND ${wholeDays('since')}
       UNION ALL
       SELECT 'login', status, toInt64(sign) FROM users_auditlog_signed WHERE event_type = 'login' AND ${partialDay('timestamp', 'since')}
       UNION ALL
       SELECT 'alert', '', notifications FROM agg_security_daily WHERE ${wholeDays('since')}
       UNION ALL
       SELECT 'alert', '', toInt64(sign) FROM users_securitynotification_signed WHERE ${partialDay('sent_at', 'since')}
     )`,
    params,
  );
  const ok = count(row!.ok!);
  const failed = count(row!.failed!);
  return {
    total_logins: ok,
    failed_logins: failed,
    security_alerts: count(row!.alerts!),
    login_success_rate: percent(ok, ok + failed),
  };
}
