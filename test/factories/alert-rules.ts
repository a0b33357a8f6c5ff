// A threshold rule body for POST /alert-rules/: requests over the last hour in one city.
import type { AlertRuleInput } from '../../libs/metrics/src/alerts.js';

export function hourlyRequestsRule(city: string, threshold: number, overrides: Partial<AlertRuleInput> = {}): AlertRuleInput {
  return {
    name: `Requests in ${city} over the last hour above ${threshold}`,
    kind: 'threshold',
    metric: 'requests',
    comparison: 'gt',
    threshold,
    window: '1h',
    group_by: null,
    sensitivity: null,
    history_weeks: null,
    severity: 'warning',
    cooldown_seconds: 3600,
    scope: { city, specialty: null },
    enabled: true,
    ...overrides,
  };
}
