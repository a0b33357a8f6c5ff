import { describe, expect, it } from 'vitest';
import { defaultAlertRules } from '../../apps/api/src/alerts/default-alert-rules.js';
import { AlertRuleValidationError, parseAlertRuleInput, validateAlertRule } from '../../apps/api/src/alerts/dto/alert-rule.js';
import { isWriteRoute } from '../../apps/api/src/write-routes.js';
import { loadConfig } from '../../libs/config/src/config.js';

describe('default alert rules', () => {
  it('are ten valid rules with unique stable ids, thresholds from the configuration', () => {
    const rules = defaultAlertRules(loadConfig({ REQUEST_THRESHOLD: '42', REVENUE_THRESHOLD: '2500000.50', FAILURE_RATE_THRESHOLD: '12.5' }).alertThresholds);
    expect(rules).toHaveLength(10);
    expect(new Set(rules.map((rule) => rule.id)).size).toBe(10);
    for (const rule of rules) expect(() => validateAlertRule(rule.input)).not.toThrow();
    // A rule given back as a POST body parses to itself.
    for (const rule of rules) expect(parseAlertRuleInput(rule.input)).toEqual(rule.input);
    expect(rules.filter((rule) => rule.followsEnvironment).map((rule) => [rule.input.name, rule.input.threshold])).toEqual([
      ['Demandes sur 24 h au-dessus de 42', 42],
      ['Revenus sur 24 h au-dessus de 2\u202f500\u202f000,5 XOF', 2_500_000.5],
      ['Taux d\'échec sur 24 h au-dessus de 12,5 %', 12.5],
    ]);
  });
});

describe('alert rule validation', () => {
  it('names the field and the accepted values', () => {
    try {
      parseAlertRuleInput({ kind: 'threshold', metric: 'profit' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AlertRuleValidationError);
      expect((error as AlertRuleValidationError).body()).toEqual({
        detail: 'metric: invalid value "profit"; expected one of requests, revenue, failure_rate, failed_logins',
        field: 'metric',
        valid: ['requests', 'revenue', 'failure_rate', 'failed_logins'],
      });
    }
  });
});

describe('write routes under /depannage/api/statistics', () => {
  it.each([
    ['DELETE', '/depannage/api/statistics/cache', true],
    ['POST', '/depannage/api/statistics/alert-rules', true],
    ['PATCH', '/depannage/api/statistics/alert-rules/0b6f', true],
    ['DELETE', '/depannage/api/statistics/alert-rules/0b6f', true],
    ['POST', '/depannage/api/statistics/alerts/42/acknowledge', true],
    ['POST', '/depannage/api/statistics/alerts/42/resolve', true],
    ['POST', '/depannage/api/statistics/cache', false],
    ['PUT', '/depannage/api/statistics/alert-rules/0b6f', false],
    ['PATCH', '/depannage/api/statistics/alert-rules', false],
    ['POST', '/depannage/api/statistics/alert-rules/0b6f', false],
    ['DELETE', '/depannage/api/statistics/alert-rules/0b6f/extra', false],
    ['POST', '/depannage/api/statistics/alerts/42/delete', false],
    ['POST', '/depannage/api/statistics/alerts/42/acknowledged', false],
    ['POST', '/depannage/api/statistics/alerts', false],
    ['POST', '/depannage/api/statistics/global_statistics', false],
  ] as const)('%s %s → %s', (method, path, allowed) => {
    expect(isWriteRoute(method, path)).toBe(allowed);
  });
});
