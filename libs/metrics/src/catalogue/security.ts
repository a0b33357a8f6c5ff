// Security: the audit trail (A, users_auditlog, by A.timestamp) and security e-mails
// (S, users_securitynotification, by S.sent_at).
import type { DailyAggregate } from './daily-aggregate.js';

/** Audit events per UTC day, event type and status (logins are event_type 'login'). */
export const AUDIT_DAILY: DailyAggregate = {
  table: 'agg_audit_daily',
  view: 'mv_agg_audit_daily',
  log: 'users_auditlog_signed',
  source: 'users_auditlog',
  day: { column: 'timestamp', expression: "toDate(timestamp, 'UTC')" },
  where: null,
  dimensions: { event_type: 'event_type', status: 'status' },
  measures: { events: 'toInt64(sign)' },
};

/** Security notifications sent per UTC day. */
export const SECURITY_DAILY: DailyAggregate = {
  table: 'agg_security_daily',
  view: 'mv_agg_security_daily',
  log: 'users_securitynotification_signed',
  source: 'users_securitynotification',
  day: { column: 'sent_at', expression: "toDate(sent_at, 'UTC')" },
  where: null,
  dimensions: {},
  measures: { notifications: 'toInt64(sign)' },
};
