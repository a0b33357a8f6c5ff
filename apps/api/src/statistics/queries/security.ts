// Logins from the audit trail (A.timestamp in the period) and security e-mails (S.sent_at).
import type { ClickHouse } from '../../../../../libs/clickhouse/src/clickhouse.js';
import { count, percent } from '../../../../../libs/metrics/src/exact.js';
import type { SecurityStats } from '../../../../../libs/metrics/src/types.js';
import { AT, type WindowParams } from './params.js';

export async function securityStats(clickhouse: ClickHouse, params: WindowParams): Promise<SecurityStats> {
  // An OTP login writes 'otp_sent' then 'otp_verified' and never a 'login' success: not counted (as in source).
  const [logins] = await clickhouse.query<Record<string, string>>(
    `SELECT countIf(event_type = 'login' AND status = 'success') AS ok,
            countIf(event_type = 'login' AND status = 'failure') AS failed
     FROM users_auditlog FINAL WHERE timestamp >= {since:${AT}}`,
    params,
  );
  const [alerts] = await clickhouse.query<{ n: string }>(
    `SELECT count() AS n FROM users_securitynotification FINAL WHERE sent_at >= {since:${AT}}`,
    params,
  );
  const ok = count(logins!.ok!);
  const failed = count(logins!.failed!);
  return {
    total_logins: ok,
    failed_logins: failed,
    security_alerts: count(alerts!.n),
    login_success_rate: percent(ok, ok + failed),
  };
}
