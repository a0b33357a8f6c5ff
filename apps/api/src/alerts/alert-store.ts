// Alerts in ClickHouse: every state change is a new version row of the alert (ReplacingMergeTree);
// reads take the latest version. The table is small (one alert per rule, key and episode).
import type { ClickHouse } from '../../../../libs/clickhouse/src/clickhouse.js';
import { fromClickHouseDateTime, toClickHouseDateTime } from '../../../../libs/clickhouse/src/clickhouse.js';
import type { Alert, AlertStatus } from '../../../../libs/metrics/src/alerts.js';

/** An alert and the key it is unique on while open. */
export interface StoredAlert extends Alert {
  alert_key: string;
}

export interface AlertQuery {
  status: AlertStatus | null;
  ruleId: string | null;
  /** first_seen ≥ from, < to. */
  from: Date | null;
  to: Date | null;
  page: number;
  pageSize: number;
}

interface AlertRow {
  id: string;
  rule_id: string;
  alert_key: string;
  kind: Alert['kind'];
  metric: Alert['metric'];
  scope_city: string | null;
  scope_specialty: string | null;
  severity: Alert['severity'];
  status: AlertStatus;
  value: string;
  comparison: Alert['comparison'];
  threshold: string | null;
  expected: string | null;
  expected_low: string | null;
  expected_high: string | null;
  alert_window: Alert['window'];
  message: string;
  first_seen: string;
  last_seen: string;
  acknowledged_by: string | null;
  acknowledged_at: string | null;
  resolved_at: string | null;
  resolved_by: string | null;
}

const COLUMNS = `id, rule_id, alert_key, kind, metric, scope_city, scope_specialty, severity, status,
  toString(value) AS value, comparison, toString(threshold) AS threshold, toString(expected) AS expected,
  toString(expected_low) AS expected_low, toString(expected_high) AS expected_high, alert_window, message,
  first_seen, last_seen, acknowledged_by, acknowledged_at, resolved_at, resolved_by`;

function instant(text: string | null): string | null {
  return text === null ? null : fromClickHouseDateTime(text).toISOString();
}

function decimal(text: string | null): number | null {
  return text === null ? null : Number(text);
}

function fromRow(row: AlertRow): StoredAlert {
  return {
    id: row.id,
    rule_id: row.rule_id,
    alert_key: row.alert_key,
    kind: row.kind,
    metric: row.metric,
    scope: { city: row.scope_city, specialty: row.scope_specialty },
    severity: row.severity,
    status: row.status,
    value: Number(row.value),
    comparison: row.comparison,
    threshold: decimal(row.threshold),
    expected: decimal(row.expected),
    expected_low: decimal(row.expected_low),
    expected_high: decimal(row.expected_high),
    window: row.alert_window,
    message: row.message,
    first_seen: instant(row.first_seen)!,
    last_seen: instant(row.last_seen)!,
    acknowledged_by: row.acknowledged_by === null ? null : Number(row.acknowledged_by),
    acknowledged_at: instant(row.acknowledged_at),
    resolved_at: instant(row.resolved_at),
    resolved_by: row.resolved_by === null ? null : Number(row.resolved_by),
  };
}

function at(iso: string | null): string | null {
  return iso === null ? null : toClickHouseDateTime(new Date(iso));
}

/** The public object (alert_key is internal). */
export function publicAlert(alert: StoredAlert): Alert {
  const { alert_key: _key, ...rest } = alert;
  return rest;
}

export class AlertStore {
  private lastVersion = 0;

  constructor(private readonly clickhouse: ClickHouse) {}

  /** Writes the alert's new state; versions increase within a process and across processes by clock. */
  async save(alert: StoredAlert): Promise<void> {
    const version = Math.max(Date.now() * 1000, this.lastVersion + 1);
    this.lastVersion = version;
    const row = {
      id: alert.id,
      rule_id: alert.rule_id,
      alert_key: alert.alert_key,
      kind: alert.kind,
      metric: alert.metric,
      scope_city: alert.scope.city,
      scope_specialty: alert.scope.specialty,
      severity: alert.severity,
      status: alert.status,
      value: alert.value,
      comparison: alert.comparison,
      threshold: alert.threshold,
      expected: alert.expected,
      expected_low: alert.expected_low,
      expected_high: alert.expected_high,
      alert_window: alert.window,
      message: alert.message,
      first_seen: at(alert.first_seen),
      last_seen: at(alert.last_seen),
      acknowledged_by: alert.acknowledged_by,
      acknowledged_at: at(alert.acknowledged_at),
      resolved_at: at(alert.resolved_at),
      resolved_by: alert.resolved_by,
      _version: version,
    };
    await this.clickhouse.insert({ table: 'alerts', format: 'JSONEachRow', values: Buffer.from(JSON.stringify(row)) });
  }

  async get(id: string): Promise<StoredAlert | null> {
    const rows = await this.clickhouse.query<AlertRow>(`SELECT ${COLUMNS} FROM alerts FINAL WHERE id = {id:String}`, { id });
    return rows[0] ? fromRow(rows[0]) : null;
  }

  /** Alerts not resolved (open or acknowledged), by key. */
  async unresolved(): Promise<Map<string, StoredAlert>> {
    const rows = await this.clickhouse.query<AlertRow>(`SELECT ${COLUMNS} FROM alerts FINAL WHERE status != 'resolved' ORDER BY first_seen`);
    return new Map(rows.map((row) => [row.alert_key, fromRow(row)]));
  }

  /** When each key's latest alert was resolved (cooldowns). */
  async lastResolved(): Promise<Map<string, Date>> {
    const rows = await this.clickhouse.query<{ alert_key: string; resolved_at: string }>(
      `SELECT alert_key, toString(max(resolved_at)) AS resolved_at FROM alerts FINAL WHERE status = 'resolved' GROUP BY alert_key`,
    );
    return new Map(rows.map((row) => [row.alert_key, fromClickHouseDateTime(row.resolved_at)]));
  }

  /** History, newest first. */
  async list(query: AlertQuery): Promise<{ count: number; results: Alert[] }> {
    const params = {
      hasStatus: query.status === null ? 0 : 1,
      status: query.status ?? '',
      hasRule: query.ruleId === null ? 0 : 1,
      rule: query.ruleId ?? '',
      hasFrom: query.from === null ? 0 : 1,
      from: toClickHouseDateTime(query.from ?? new Date(0)),
      hasTo: query.to === null ? 0 : 1,
      to: toClickHouseDateTime(query.to ?? new Date(0)),
      limit: query.pageSize,
      offset: (query.page - 1) * query.pageSize,
    };
    const where = `({hasStatus:UInt8} = 0 OR status = {status:String})
      AND ({hasRule:UInt8} = 0 OR rule_id = {rule:String})
      AND ({hasFrom:UInt8} = 0 OR first_seen >= {from:DateTime64(6, 'UTC')})
      AND ({hasTo:UInt8} = 0 OR first_seen < {to:DateTime64(6, 'UTC')})`;
    const [counted] = await this.clickhouse.query<{ n: string }>(`SELECT count() AS n FROM alerts FINAL WHERE ${where}`, params);
    const rows = await this.clickhouse.query<AlertRow>(
      `SELECT ${COLUMNS} FROM alerts FINAL WHERE ${where} ORDER BY first_seen DESC, id LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
      params,
    );
    return { count: Number(counted?.n ?? 0), results: rows.map((row) => publicAlert(fromRow(row))) };
  }
}
