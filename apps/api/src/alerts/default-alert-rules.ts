// The rules every installation starts with: three thresholds from the environment (REQUEST_THRESHOLD,
// REVENUE_THRESHOLD, FAILURE_RATE_THRESHOLD, over 24 h) and seven seasonal anomaly rules (each metric
// per city and per specialty; failed logins per city only, having no specialty). Stable ids make
// their creation idempotent across restarts and replicas (see AlertRulesRepository.ensureDefaults).
import type { AlertThresholds } from '../../../../libs/config/src/config.js';
import type { AlertMetric, AlertRuleInput, AlertSeverity, AnomalyGroup } from '../../../../libs/metrics/src/alerts.js';
import { alertRuleName } from './dto/alert-rule.js';

export interface DefaultAlertRule {
  id: string;
  input: AlertRuleInput;
  /** Threshold rules follow the environment until edited through the API. */
  followsEnvironment: boolean;
}

const COOLDOWN_SECONDS = 3600;
const NO_SCOPE = { city: null, specialty: null } as const;

function thresholdRule(metric: AlertMetric, threshold: number, severity: AlertSeverity): DefaultAlertRule {
  const rule: Omit<AlertRuleInput, 'name'> = {
    kind: 'threshold',
    metric,
    comparison: 'gt',
    threshold,
    window: '24h',
    group_by: null,
    sensitivity: null,
    history_weeks: null,
    severity,
    cooldown_seconds: COOLDOWN_SECONDS,
    scope: { ...NO_SCOPE },
    enabled: true,
  };
  return { id: `default-${metric.replace('_', '-')}-threshold`, input: { name: alertRuleName(rule), ...rule }, followsEnvironment: true };
}

function anomalyRule(metric: AlertMetric, groupBy: AnomalyGroup): DefaultAlertRule {
  const rule: Omit<AlertRuleInput, 'name'> = {
    kind: 'anomaly',
    metric,
    comparison: null,
    threshold: null,
    window: '1h',
    group_by: groupBy,
    // 4 robust standard deviations: rare enough by chance that an alert is worth a look.
    sensitivity: 4,
    history_weeks: 8,
    severity: 'warning',
    cooldown_seconds: COOLDOWN_SECONDS,
    scope: { ...NO_SCOPE },
    enabled: true,
  };
  return { id: `default-${metric.replace('_', '-')}-anomaly-${groupBy}`, input: { name: alertRuleName(rule), ...rule }, followsEnvironment: false };
}

/** In the order they are listed. */
export function defaultAlertRules(thresholds: AlertThresholds): DefaultAlertRule[] {
  return [
    thresholdRule('requests', thresholds.requests, 'warning'),
    thresholdRule('revenue', thresholds.revenueXof, 'info'),
    thresholdRule('failure_rate', thresholds.failureRatePercent, 'critical'),
    anomalyRule('requests', 'city'),
    anomalyRule('requests', 'specialty'),
    anomalyRule('revenue', 'city'),
    anomalyRule('revenue', 'specialty'),
    anomalyRule('failure_rate', 'city'),
    anomalyRule('failure_rate', 'specialty'),
    anomalyRule('failed_logins', 'city'),
  ];
}
