// Bodies of POST and PATCH on alert rules (wire contract: libs/metrics/src/alerts.ts), validated
// strictly: an unknown field, a wrong type, a value outside its list or range, or a field of the
// other kind of rule is an AlertRuleValidationError naming the field (the controller's 400
// `{detail, field, valid?}`), so a typo never becomes a rule that silently watches something else.
// A POST gives every field of AlertRuleInput but `name` (derived from the rule when absent); the
// fields of the other kind (comparison/threshold on an anomaly rule, group_by/sensitivity/
// history_weeks on a threshold rule) may be omitted or null. A PATCH gives any subset; the merged
// rule is validated as a whole, and `kind` cannot change.
import { frenchNumber } from '../../../../../libs/metrics/src/format-fr.js';
import {
  ALERT_COMPARISONS,
  ALERT_KINDS,
  ALERT_METRICS,
  ALERT_SEVERITIES,
  ALERT_WINDOW_TEXT,
  ALERT_WINDOWS,
  ANOMALY_GROUPS,
  type AlertMetric,
  type AlertRule,
  type AlertRuleInput,
  type AlertScope,
} from '../../../../../libs/metrics/src/alerts.js';
import { InvalidFieldError } from '../../errors/domain-errors.js';

export const ALERT_RULE_FIELDS = [
  'name',
  'kind',
  'metric',
  'comparison',
  'threshold',
  'window',
  'group_by',
  'sensitivity',
  'history_weeks',
  'severity',
  'cooldown_seconds',
  'scope',
  'enabled',
] as const;

type Field = (typeof ALERT_RULE_FIELDS)[number];

export type AlertRulePatch = Partial<AlertRuleInput>;

export const NAME_MAX_LENGTH = 200;
export const SCOPE_VALUE_MAX_LENGTH = 100;
export const SENSITIVITY_RANGE = { min: 1, max: 20 } as const;
export const HISTORY_WEEKS_RANGE = { min: 2, max: 26 } as const;
/** A week: a longer silence after an alert would hide a recurring problem. */
export const COOLDOWN_MAX_SECONDS = 7 * 24 * 3600;
/** An anomaly rule compares the last hour with the same hour of past weeks. */
export const ANOMALY_WINDOW = '1h';

/** A field of the AlertRule that cannot be accepted (400, see InvalidFieldError). */
export class AlertRuleValidationError extends InvalidFieldError {
  override readonly name = 'AlertRuleValidationError';
}

function invalid(field: string, problem: string, valid?: readonly (string | number)[] | string): never {
  throw new AlertRuleValidationError(field, problem, valid);
}

function shown(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? JSON.stringify(value) : typeof value === 'object' ? 'an object' : String(value);
}

function oneOf<T extends string>(field: string, value: unknown, list: readonly T[]): T {
  if (typeof value === 'string' && (list as readonly string[]).includes(value)) return value as T;
  return invalid(field, `invalid value ${shown(value)}; expected one of ${list.join(', ')}`, list);
}

function finiteNumber(field: string, value: unknown, expected: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) invalid(field, `expected ${expected}, got ${shown(value)}`, expected);
  return value;
}

function integerIn(field: string, value: unknown, min: number, max: number): number {
  const expected = `an integer from ${min} to ${max}`;
  const number = finiteNumber(field, value, expected);
  if (!Number.isInteger(number) || number < min || number > max) invalid(field, `expected ${expected}, got ${number}`, expected);
  return number;
}

function scopeValue(field: string, value: unknown): string | null {
  const expected = `null or a non-empty exact value of at most ${SCOPE_VALUE_MAX_LENGTH} characters`;
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length === 0 || value.length > SCOPE_VALUE_MAX_LENGTH) {
    invalid(field, `expected ${expected}, got ${typeof value === 'string' ? `${value.length} characters` : shown(value)}`, expected);
  }
  return value;
}

function parseScope(value: unknown): AlertScope {
  const expected = 'an object {"city": ..., "specialty": ...}, each null or a value';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid('scope', `expected ${expected}, got ${shown(value)}`, ['city', 'specialty']);
  const unknown = Object.keys(value).filter((key) => key !== 'city' && key !== 'specialty');
  if (unknown.length > 0) invalid('scope', `unknown key(s) ${unknown.join(', ')}; accepted: city, specialty`, ['city', 'specialty']);
  const scope = value as Record<string, unknown>;
  return { city: scopeValue('scope.city', scope.city), specialty: scopeValue('scope.specialty', scope.specialty) };
}

/** One field's type and range, whatever the rest of the rule (null where the contract allows it). */
function parseField(field: Field, value: unknown): unknown {
  switch (field) {
    case 'name': {
      const expected = `a non-blank text of at most ${NAME_MAX_LENGTH} characters`;
      if (typeof value !== 'string' || value.trim().length === 0) invalid(field, `expected ${expected}, got ${shown(value)}`, expected);
      if (value.length > NAME_MAX_LENGTH) invalid(field, `longer than ${NAME_MAX_LENGTH} characters`, expected);
      return value;
    }
    case 'kind':
      return oneOf(field, value, ALERT_KINDS);
    case 'metric':
      return oneOf(field, value, ALERT_METRICS);
    case 'window':
      return oneOf(field, value, ALERT_WINDOWS);
    case 'severity':
      return oneOf(field, value, ALERT_SEVERITIES);
    case 'comparison':
      return value === null ? null : oneOf(field, value, ALERT_COMPARISONS);
    case 'group_by':
      return value === null ? null : oneOf(field, value, ANOMALY_GROUPS);
    case 'threshold': {
      if (value === null) return null;
      const threshold = finiteNumber(field, value, 'a number, 0 or more');
      if (threshold < 0) invalid(field, `expected a number, 0 or more, got ${threshold}`, 'a number, 0 or more');
      return threshold;
    }
    case 'sensitivity': {
      if (value === null) return null;
      const expected = `a number from ${SENSITIVITY_RANGE.min} to ${SENSITIVITY_RANGE.max}`;
      const sensitivity = finiteNumber(field, value, expected);
      if (sensitivity < SENSITIVITY_RANGE.min || sensitivity > SENSITIVITY_RANGE.max) invalid(field, `expected ${expected}, got ${sensitivity}`, expected);
      return sensitivity;
    }
    case 'history_weeks':
      return value === null ? null : integerIn(field, value, HISTORY_WEEKS_RANGE.min, HISTORY_WEEKS_RANGE.max);
    case 'cooldown_seconds':
      return integerIn(field, value, 0, COOLDOWN_MAX_SECONDS);
    case 'scope':
      return parseScope(value);
    case 'enabled':
      if (typeof value !== 'boolean') invalid(field, `expected true or false, got ${shown(value)}`, 'true or false');
      return value;
  }
}

/** The body as an object of known fields, each of the right type (absent fields stay absent). */
function parseFields(body: unknown): AlertRulePatch {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    invalid('body', `expected a JSON object of alert rule fields, got ${shown(body)}`, ALERT_RULE_FIELDS);
  }
  const given = body as Record<string, unknown>;
  const unknown = Object.keys(given).filter((key) => !(ALERT_RULE_FIELDS as readonly string[]).includes(key));
  if (unknown.length > 0) invalid(unknown[0]!, `unknown field(s) ${unknown.join(', ')}; accepted: ${ALERT_RULE_FIELDS.join(', ')}`, ALERT_RULE_FIELDS);
  const parsed: Record<string, unknown> = {};
  for (const field of ALERT_RULE_FIELDS) {
    if (given[field] !== undefined) parsed[field] = parseField(field, given[field]);
  }
  return parsed as AlertRulePatch;
}

const COUNT_METRICS: readonly AlertMetric[] = ['requests', 'failed_logins'];

/** What no single field shows: the fields of each kind, and each metric's units and dimensions. */
export function validateAlertRule(rule: AlertRuleInput): void {
  if (rule.kind === 'threshold') {
    if (rule.comparison === null) invalid('comparison', 'required for a threshold rule', ALERT_COMPARISONS);
    if (rule.threshold === null) invalid('threshold', 'required for a threshold rule', 'a number, 0 or more');
    for (const field of ['group_by', 'sensitivity', 'history_weeks'] as const) {
      if (rule[field] !== null) invalid(field, 'applies to anomaly rules only; omit it or give null on a threshold rule');
    }
    if (rule.metric === 'failure_rate' && rule.threshold > 100) {
      invalid('threshold', `a failure rate is a percentage: expected 0 to 100, got ${rule.threshold}`, 'a percentage from 0 to 100');
    }
    if (rule.metric === 'revenue' && !/^\d{1,15}(\.\d{1,2})?$/.test(String(rule.threshold))) {
      invalid('threshold', `an amount in XOF has at most 2 decimals (and 15 digits), got ${rule.threshold}`, 'an amount in XOF such as 1000000 or 2500.50');
    }
    if (COUNT_METRICS.includes(rule.metric) && !Number.isSafeInteger(rule.threshold)) {
      invalid('threshold', `${rule.metric} is a count: expected a whole number, got ${rule.threshold}`, 'a whole number, 0 or more');
    }
  } else {
    for (const field of ['comparison', 'threshold'] as const) {
      if (rule[field] !== null) invalid(field, 'applies to threshold rules only; omit it or give null on an anomaly rule');
    }
    if (rule.window !== ANOMALY_WINDOW) invalid('window', `an anomaly rule compares the last hour: expected "${ANOMALY_WINDOW}"`, [ANOMALY_WINDOW]);
    if (rule.group_by === null) invalid('group_by', 'required for an anomaly rule', ANOMALY_GROUPS);
    if (rule.sensitivity === null) invalid('sensitivity', 'required for an anomaly rule', `a number from ${SENSITIVITY_RANGE.min} to ${SENSITIVITY_RANGE.max}`);
    if (rule.history_weeks === null) invalid('history_weeks', 'required for an anomaly rule', `an integer from ${HISTORY_WEEKS_RANGE.min} to ${HISTORY_WEEKS_RANGE.max}`);
  }
  if (rule.metric === 'failed_logins') {
    // Failed logins have a place (the audit log's geo_city) but no specialty.
    if (rule.scope.specialty !== null) invalid('scope.specialty', 'failed_logins have no specialty; give null');
    if (rule.group_by === 'specialty') invalid('group_by', 'failed_logins have no specialty; group by city', ['city']);
  }
}

const METRIC_NOUNS: Record<AlertMetric, string> = {
  requests: 'demandes',
  revenue: 'revenus',
  failure_rate: 'taux d\'échec',
  failed_logins: 'connexions échouées',
};
const COMPARISON_TEXT = { gt: 'au-dessus de', gte: 'au moins', lt: 'en dessous de', lte: 'au plus' } as const;
const GROUP_TEXT = { city: 'ville', specialty: 'spécialité' } as const;

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * The rule in plain French, as the web dashboard shows it, e.g. "Demandes sur 24 h au-dessus de 100",
 * "Anomalie : revenus par ville (dernière heure)"; numbers in French notation (2 500 000,5).
 */
export function alertRuleName(rule: Omit<AlertRuleInput, 'name'>): string {
  const noun = METRIC_NOUNS[rule.metric];
  let name: string;
  if (rule.kind === 'threshold') {
    const unit = rule.metric === 'revenue' ? ' XOF' : rule.metric === 'failure_rate' ? ' %' : '';
    name = `${capitalised(noun)} sur ${ALERT_WINDOW_TEXT[rule.window]} ${COMPARISON_TEXT[rule.comparison ?? 'gt']} ${frenchNumber(rule.threshold ?? 0)}${unit}`;
  } else {
    name = `Anomalie : ${noun}${rule.group_by ? ` par ${GROUP_TEXT[rule.group_by]}` : ''} (dernière heure)`;
  }
  if (rule.scope.city !== null) name += ` à ${rule.scope.city === '' ? '(ville inconnue)' : rule.scope.city}`;
  if (rule.scope.specialty !== null) name += `, spécialité ${rule.scope.specialty}`;
  return name.length > NAME_MAX_LENGTH ? `${name.slice(0, NAME_MAX_LENGTH - 1)}…` : name;
}

const REQUIRED_ON_CREATE: readonly Field[] = ['kind', 'metric', 'window', 'severity', 'cooldown_seconds', 'scope', 'enabled'];

/** POST body → a valid rule input. */
export function parseAlertRuleInput(body: unknown): AlertRuleInput {
  const fields = parseFields(body);
  for (const field of REQUIRED_ON_CREATE) {
    if (fields[field] === undefined) invalid(field, 'required');
  }
  const rule: Omit<AlertRuleInput, 'name'> = {
    kind: fields.kind!,
    metric: fields.metric!,
    comparison: fields.comparison ?? null,
    threshold: fields.threshold ?? null,
    window: fields.window!,
    group_by: fields.group_by ?? null,
    sensitivity: fields.sensitivity ?? null,
    history_weeks: fields.history_weeks ?? null,
    severity: fields.severity!,
    cooldown_seconds: fields.cooldown_seconds!,
    scope: fields.scope!,
    enabled: fields.enabled!,
  };
  validateAlertRule({ ...rule, name: '' });
  return { name: fields.name ?? alertRuleName(rule), ...rule };
}

/** PATCH body → the fields it changes, each of the right type (checked against the rule by applyAlertRulePatch). */
export function parseAlertRulePatch(body: unknown): AlertRulePatch {
  return parseFields(body);
}

/** The rule after `patch`, validated as a whole. */
export function applyAlertRulePatch(current: AlertRule, patch: AlertRulePatch): AlertRuleInput {
  if (patch.kind !== undefined && patch.kind !== current.kind) {
    const article = (word: string): string => (/^[aeiou]/i.test(word) ? 'an' : 'a');
    invalid('kind', `${article(current.kind)} ${current.kind} rule cannot become ${article(patch.kind)} ${patch.kind} rule; create a new rule instead`, [current.kind]);
  }
  const { id: _id, source: _source, created_at: _created, updated_at: _updated, ...input } = current;
  const next: AlertRuleInput = { ...input, ...patch };
  validateAlertRule(next);
  // A name that was derived from the rule stays derived: "… above 100" must not outlive the 100.
  if (patch.name === undefined && current.name === alertRuleName(input)) next.name = alertRuleName(next);
  return next;
}
