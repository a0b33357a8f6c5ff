// Alert rules and alerts as they travel on the wire (REST and the `alert` socket event). Shared by
// the API's alerts module, the realtime gateway and the tests. Money and rates are plain numbers
// rounded to 2 decimals (XOF, percent); times are ISO-8601 UTC strings.

/** What a rule watches (see docs/alerts.md for each definition). */
export const ALERT_METRICS = ['requests', 'revenue', 'failure_rate', 'failed_logins'] as const;
export type AlertMetric = (typeof ALERT_METRICS)[number];

export const ALERT_KINDS = ['threshold', 'anomaly'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const ALERT_COMPARISONS = ['gt', 'gte', 'lt', 'lte'] as const;
export type AlertComparison = (typeof ALERT_COMPARISONS)[number];

/** Trailing windows a threshold rule reads (an anomaly rule always compares the last hour). */
export const ALERT_WINDOWS = ['1h', '24h', '7d', '30d'] as const;
export type AlertWindow = (typeof ALERT_WINDOWS)[number];
/** A window in the service's French texts (rule names, alert messages). */
export const ALERT_WINDOW_TEXT: Readonly<Record<AlertWindow, string>> = { '1h': '1 h', '24h': '24 h', '7d': '7 jours', '30d': '30 jours' };

export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** The dimension an anomaly rule evaluates separately (one baseline per city, or per specialty). */
export const ANOMALY_GROUPS = ['city', 'specialty'] as const;
export type AnomalyGroup = (typeof ANOMALY_GROUPS)[number];

export const ALERT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

export interface AlertScope {
  /** Exact stored city (depannage_repairrequest.city, or users_auditlog.geo_city for failed logins). */
  city: string | null;
  /** Exact stored specialty_needed; not applicable to failed_logins. */
  specialty: string | null;
}

export interface AlertRule {
  id: string;
  name: string;
  kind: AlertKind;
  metric: AlertMetric;
  /** Threshold rules: value `comparison` threshold raises. Null for anomaly rules. */
  comparison: AlertComparison | null;
  threshold: number | null;
  /** Threshold rules: the trailing window. Anomaly rules: always '1h'. */
  window: AlertWindow;
  /** Anomaly rules: one baseline per value of this dimension. Null for threshold rules. */
  group_by: AnomalyGroup | null;
  /** Anomaly rules: how many robust standard deviations (1.4826 × MAD) from the median raise. */
  sensitivity: number | null;
  /** Anomaly rules: how many past weeks of the same hour form the baseline. */
  history_weeks: number | null;
  severity: AlertSeverity;
  /** After an alert of this rule and key resolves, no new one for that key before this many seconds. */
  cooldown_seconds: number;
  scope: AlertScope;
  enabled: boolean;
  /** 'default': created from the environment's thresholds at first start; 'user': through the API. */
  source: 'default' | 'user';
  created_at: string;
  updated_at: string;
}

/** POST body: every field but the generated ones; kind-specific fields per kind. */
export type AlertRuleInput = Omit<AlertRule, 'id' | 'source' | 'created_at' | 'updated_at'>;

export interface Alert {
  id: string;
  rule_id: string;
  kind: AlertKind;
  metric: AlertMetric;
  /** What the value is about: the rule's scope, plus the city/specialty an anomaly was found in. */
  scope: AlertScope;
  severity: AlertSeverity;
  status: AlertStatus;
  /** The latest evaluated value (count, XOF, or percent). */
  value: number;
  /** Threshold alerts. */
  comparison: AlertComparison | null;
  threshold: number | null;
  /** Anomaly alerts: the range the seasonal baseline expected, and its centre (median). */
  expected_low: number | null;
  expected_high: number | null;
  expected: number | null;
  window: AlertWindow;
  message: string;
  first_seen: string;
  last_seen: string;
  acknowledged_by: number | null;
  acknowledged_at: string | null;
  resolved_at: string | null;
  /** Null when the condition cleared by itself (resolved by the evaluator). */
  resolved_by: number | null;
}
