// OpenAPI (3.0) schemas of the main responses, request bodies and error bodies, written by hand from
// the shapes in libs/metrics (types.ts, alerts.ts, exports.ts, report-schedules.ts) and the enums
// they export, so that an enum has one definition. test/medium/openapi.test.ts checks real answers
// against them: a shape that changes without its schema fails there.
import { applyDecorators } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiInternalServerErrorResponse,
  ApiOkResponse,
  ApiProduces,
  ApiResponse,
  ApiServiceUnavailableResponse,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { ALERT_COMPARISONS, ALERT_KINDS, ALERT_METRICS, ALERT_SEVERITIES, ALERT_STATUSES, ALERT_WINDOWS, ANOMALY_GROUPS } from '../../../../libs/metrics/src/alerts.js';
import { WIDGET_TYPES, WIDGET_VALUE_FORMATS } from '../../../../libs/metrics/src/dashboards.js';
import { EXPORT_STATUSES, EXPORT_TYPES } from '../../../../libs/metrics/src/exports.js';
import { REPORT_RUN_STATUSES } from '../../../../libs/metrics/src/report-schedules.js';
import { AUDIT_ACTIONS } from '../audit/audit-log.js';
import { PERIODS, SECTIONS } from '../../../../libs/metrics/src/types.js';

/** The subset of OpenAPI 3.0's schema object used here (what the openapi test's validator reads). */
export interface SchemaObject {
  type?: 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean';
  format?: string;
  title?: string;
  properties?: Record<string, SchemaObject>;
  required?: string[];
  additionalProperties?: boolean | SchemaObject;
  items?: SchemaObject;
  enum?: string[];
  nullable?: boolean;
  oneOf?: SchemaObject[];
  anyOf?: SchemaObject[];
}

const number: SchemaObject = { type: 'number' };
const integer: SchemaObject = { type: 'integer' };
const string: SchemaObject = { type: 'string' };
const boolean: SchemaObject = { type: 'boolean' };
const instant: SchemaObject = { type: 'string', format: 'date-time' };

function nullable(schema: SchemaObject): SchemaObject {
  return { ...schema, nullable: true };
}

function oneOf(values: readonly string[]): SchemaObject {
  return { type: 'string', enum: [...values] };
}

/** An object with exactly these keys, all required but the `optional` ones. */
function object(properties: Record<string, SchemaObject>, optional: readonly string[] = []): SchemaObject {
  return { type: 'object', properties, required: Object.keys(properties).filter((key) => !optional.includes(key)), additionalProperties: false };
}

/** A map from free keys (dates, cities, statuses) to values of one shape. */
function map(values: SchemaObject): SchemaObject {
  return { type: 'object', additionalProperties: values };
}

function array(items: SchemaObject): SchemaObject {
  return { type: 'array', items };
}

function page(items: SchemaObject): SchemaObject {
  return object({ count: integer, page: integer, page_size: integer, results: array(items) });
}

// ---- errors ----

/** Every refusal of the JSON API: `detail` (refusals) or `error` (faults, unavailability), plus context keys. */
export const ERROR_BODY: SchemaObject = {
  type: 'object',
  properties: {
    detail: string,
    error: string,
    valid: { type: 'array', items: {} },
    field: string,
    reason: string,
    retry_after: integer,
  },
  anyOf: [{ required: ['detail'] }, { required: ['error'] }],
};

const errorResponse = { schema: ERROR_BODY };

/** The 401 and 429 of every Bearer route (auth/auth-failures.ts: AUTH_FAILURE_LIMIT per address and minute). */
export function ApiAuthResponses(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiUnauthorizedResponse({ description: 'No token, or one not valid (expired, bad signature)', ...errorResponse }),
    ApiTooManyRequestsResponse({
      description: 'Too many refused credentials from this address (AUTH_FAILURE_LIMIT a minute): refused until Retry-After seconds have passed',
      headers: { 'Retry-After': { description: 'Seconds until the address may try again', schema: { type: 'integer' } } },
      ...errorResponse,
    }),
  );
}

/**
 * 400, 401, 403, 429 and 503 of the admin endpoints; `notFound` adds the 404 of endpoints with an
 * id or a path choice, `jsonBody` the 415 of the write routes that take a body (runtime.ts: JSON only).
 */
export function ApiErrorResponses(options: { notFound?: boolean; jsonBody?: boolean } = {}): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiBadRequestResponse({ description: 'Invalid parameter or body: `detail` says which and why', ...errorResponse }),
    ApiAuthResponses(),
    ApiForbiddenResponse({ description: 'The token is valid but not an administrator’s', ...errorResponse }),
    ApiServiceUnavailableResponse({ description: 'The engine or a store is unavailable or saturated (Retry-After when it will be back)', ...errorResponse }),
    ...(options.notFound ? [ApiNotFoundResponse({ description: 'No such resource (or not the caller’s)', ...errorResponse })] : []),
    ...(options.jsonBody ? [ApiUnsupportedMediaTypeResponse({ description: 'A body that is not application/json', ...errorResponse })] : []),
  );
}

// ---- statistics (libs/metrics/src/types.ts) ----

const overview = object({
  total_users: integer,
  total_clients: integer,
  total_technicians: integer,
  total_admins: integer,
  active_users_30d: integer,
  new_users_30d: integer,
  total_requests: integer,
  completed_requests: integer,
  total_revenue: number,
  platform_fees: number,
  avg_rating: number,
  satisfaction_rate: number,
});
const requests = {
  total: integer,
  pending: integer,
  in_progress: integer,
  completed: integer,
  cancelled: integer,
  urgent: integer,
  success_rate: number,
  avg_response_time_hours: number,
  avg_completion_time_hours: number,
};
const financial = {
  total_revenue: number,
  total_payouts: number,
  platform_fees: number,
  avg_request_value: number,
  payment_methods: array(object({ method: string, count: integer, total: number })),
  payment_success_rate: number,
};
const satisfaction = { total_reviews: integer, avg_rating: number, satisfaction_rate: number, recommendation_rate: number };
const technicians = {
  total: integer,
  verified: integer,
  available: integer,
  avg_rating: number,
  top_technicians: array(object({ id: integer, name: string, specialty: string, total_jobs: integer, avg_rating: number, total_earnings: number })),
};
const specialtyFigures = { count: integer, completed: integer, avg_price: number };
const specialties = {
  distribution: map(object(specialtyFigures)),
  top_specialties: array(object({ specialty_needed: string, ...specialtyFigures })),
};
const security = { total_logins: integer, failed_logins: integer, security_alerts: integer, login_success_rate: number };
const geography = { top_cities: array(object({ city: string, count: integer })), service_areas: array({}) };
const bucket = { requests: integer, completed: integer, revenue: number };
const bucketWithUsers = object({ ...bucket, new_users: integer });
const trends = { daily: map(bucketWithUsers), weekly: map(object(bucket)), monthly: map(bucketWithUsers) };
const advanced = { conversion_rate: number, retention_rate: number, churn_rate: number, ltv: number, cac: nullable({}) };

const CALCULATION_INFO = object(
  {
    last_calculation: instant,
    calculation_duration: number,
    cached: boolean,
    generated_at: instant,
    data_as_of: nullable(instant),
    filters: object({ period: oneOf([...PERIODS, 'custom']), from: nullable(instant), to: nullable(instant), city: nullable(string), specialty: nullable(string) }),
    stale: boolean,
    max_stale_seconds: number,
  },
  ['stale', 'max_stale_seconds'],
);

export const GLOBAL_STATISTICS: SchemaObject = object({
  overview,
  requests: object(requests),
  financial: object(financial),
  satisfaction: object(satisfaction),
  technicians: object(technicians),
  specialties: object(specialties),
  security: object(security),
  geography: object(geography),
  trends: object(trends),
  advanced: object(advanced),
  calculation_info: CALCULATION_INFO,
});

const rating = object({ reviews: integer, avg_rating: number });
/** Each section endpoint: its global_statistics section, its extra keys, and calculation_info. */
const SECTION_SCHEMAS: Record<(typeof SECTIONS)[number], SchemaObject> = {
  overview: object({ ...overview.properties, calculation_info: CALCULATION_INFO }),
  requests: object({ ...requests, by_status: map(integer), calculation_info: CALCULATION_INFO }),
  financial: object({ ...financial, calculation_info: CALCULATION_INFO }),
  satisfaction: object({ ...satisfaction, rating_distribution: map(integer), calculation_info: CALCULATION_INFO }),
  technicians: object({ ...technicians, requests_per_technician: number, calculation_info: CALCULATION_INFO }),
  specialties: object({
    ...specialties,
    performance: array(
      object({ specialty_needed: string, count: integer, completed: integer, success_rate: number, avg_price: number, avg_response_time_hours: number, avg_completion_time_hours: number }),
    ),
    calculation_info: CALCULATION_INFO,
  }),
  security: object({
    ...security,
    high_risk_events: integer,
    top_risky_ips: array(object({ ip_address: string, events: integer, max_risk_score: number })),
    top_risky_cities: array(object({ city: string, events: integer })),
    calculation_info: CALCULATION_INFO,
  }),
  geography: object({
    ...geography,
    cities: array(object({ city: string, requests: integer, completed: integer, revenue: number })),
    map_points: array(object({ latitude: number, longitude: number, requests: integer })),
    calculation_info: CALCULATION_INFO,
  }),
  trends: object({ ...trends, ratings: object({ daily: map(rating), weekly: map(rating), monthly: map(rating) }), calculation_info: CALCULATION_INFO }),
  advanced: object({ ...advanced, calculation_info: CALCULATION_INFO }),
};

/** The `:section` endpoint answers the schema of the section named in its path. */
export const SECTION: SchemaObject = { oneOf: SECTIONS.map((section) => ({ ...SECTION_SCHEMAS[section], title: section })) };

const activity = object({ new_requests: integer, completed_requests: integer, new_users: integer, new_reviews: integer, revenue: number });
export const REAL_TIME_STATS: SchemaObject = object({
  current_time: instant,
  last_24h: activity,
  last_7d: activity,
  active_sessions: object({ online_users: integer, active_technicians: integer }),
});

export const KPIS: SchemaObject = object({
  business: object({
    conversion_rate: number,
    retention_rate: number,
    churn_rate: number,
    ltv: number,
    cac: object({ value: nullable(number), spend_xof: nullable(number), new_clients_30d: integer, basis: string }),
  }),
  operational: object({
    resolution_time_hours: number,
    technician_efficiency: number,
    requests_per_technician: number,
    quality_of_service: object({ avg_rating: number, satisfaction_rate: number, recommendation_rate: number }),
  }),
  technical: object({
    requests: integer,
    response_time_ms: object({ p50: number, p95: number, p99: number, mean: number }),
    error_rate: number,
    client_error_rate: number,
    uptime: object({ process_seconds: number, availability_percent: number, minutes_observed: integer, minutes_up: integer }),
    latency: object({ ingest_lag_seconds: nullable(number), clickhouse_ms: number }),
    samples_dropped: integer,
  }),
  calculation_info: CALCULATION_INFO,
});

// ---- alerts (libs/metrics/src/alerts.ts) ----

const scope = object({ city: nullable(string), specialty: nullable(string) });
const ruleFields = {
  name: string,
  kind: oneOf(ALERT_KINDS),
  metric: oneOf(ALERT_METRICS),
  comparison: nullable(oneOf(ALERT_COMPARISONS)),
  threshold: nullable(number),
  window: oneOf(ALERT_WINDOWS),
  group_by: nullable(oneOf(ANOMALY_GROUPS)),
  sensitivity: nullable(number),
  history_weeks: nullable(integer),
  severity: oneOf(ALERT_SEVERITIES),
  cooldown_seconds: integer,
  scope,
  enabled: boolean,
};
export const ALERT_RULE: SchemaObject = object({ id: string, ...ruleFields, source: oneOf(['default', 'user']), created_at: instant, updated_at: instant });
export const ALERT_RULE_LIST: SchemaObject = object({ count: integer, results: array(ALERT_RULE) });
/** POST body: kind-specific fields are checked per kind (threshold: comparison, threshold; anomaly: group_by, sensitivity, history_weeks). */
export const ALERT_RULE_INPUT: SchemaObject = object(ruleFields, ['name', 'comparison', 'threshold', 'group_by', 'sensitivity', 'history_weeks']);
/** PATCH body: any subset of the input fields except kind, validated with the rule it merges into. */
export const ALERT_RULE_PATCH: SchemaObject = object(
  Object.fromEntries(Object.entries(ruleFields).filter(([key]) => key !== 'kind')),
  Object.keys(ruleFields),
);

export const ALERT: SchemaObject = object({
  id: string,
  rule_id: string,
  kind: oneOf(ALERT_KINDS),
  metric: oneOf(ALERT_METRICS),
  scope,
  severity: oneOf(ALERT_SEVERITIES),
  status: oneOf(ALERT_STATUSES),
  value: number,
  comparison: nullable(oneOf(ALERT_COMPARISONS)),
  threshold: nullable(number),
  expected_low: nullable(number),
  expected_high: nullable(number),
  expected: nullable(number),
  window: oneOf(ALERT_WINDOWS),
  message: string,
  first_seen: instant,
  last_seen: instant,
  acknowledged_by: nullable(integer),
  acknowledged_at: nullable(instant),
  resolved_at: nullable(instant),
  resolved_by: nullable(integer),
});
export const ALERT_PAGE: SchemaObject = page(ALERT);

// ---- exports (libs/metrics/src/exports.ts) and report schedules ----

const filterFields = { period: oneOf(PERIODS), from: string, to: string, city: string, specialty: string };
const sectionList = array(oneOf(SECTIONS));
export const EXPORT_INPUT: SchemaObject = object({ type: oneOf(EXPORT_TYPES), ...filterFields, sections: sectionList, raw: boolean }, [
  ...Object.keys(filterFields),
  'sections',
  'raw',
]);
export const EXPORT_ACCEPTED: SchemaObject = object({ export_id: string, status: oneOf(EXPORT_STATUSES) });
export const EXPORT_STATISTICS: SchemaObject = object({ export_id: string, status: oneOf(EXPORT_STATUSES), download_url: nullable(string), file_size: nullable(integer) });
const exportFilters = object({ period: oneOf([...PERIODS, 'custom']), from: nullable(instant), to: nullable(instant), city: nullable(string), specialty: nullable(string) });
export const EXPORT_JOB: SchemaObject = object({
  export_id: string,
  type: oneOf(EXPORT_TYPES),
  status: oneOf(EXPORT_STATUSES),
  progress: integer,
  file_size: nullable(integer),
  download_url: nullable(string),
  file_name: nullable(string),
  data_as_of: nullable(instant),
  error: nullable(string),
  filters: exportFilters,
  sections: sectionList,
  raw: boolean,
  dashboard: nullable(object({ id: string, name: string })),
  created_at: instant,
  completed_at: nullable(instant),
  expires_at: instant,
});
export const EXPORT_PAGE: SchemaObject = page(EXPORT_JOB);

const scheduleFields = {
  name: string,
  cron: string,
  timezone: string,
  type: oneOf(EXPORT_TYPES),
  ...filterFields,
  sections: sectionList,
  raw: boolean,
  recipients: array(string),
  webhook_url: nullable(string),
  enabled: boolean,
};
export const REPORT_SCHEDULE_INPUT: SchemaObject = object(scheduleFields, ['timezone', ...Object.keys(filterFields), 'sections', 'raw', 'recipients', 'webhook_url', 'enabled']);
export const REPORT_SCHEDULE_PATCH: SchemaObject = object(scheduleFields, Object.keys(scheduleFields));
const reportRun = object({
  id: string,
  schedule_id: string,
  due_at: instant,
  trigger: oneOf(['cron', 'manual']),
  started_at: instant,
  finished_at: nullable(instant),
  status: oneOf(REPORT_RUN_STATUSES),
  attempts: integer,
  export_id: nullable(string),
  error: nullable(string),
  delivered_to: object({ email: array(string), webhook: boolean }),
});
export const REPORT_SCHEDULE: SchemaObject = object({
  id: string,
  name: string,
  cron: string,
  timezone: string,
  type: oneOf(EXPORT_TYPES),
  period: oneOf([...PERIODS, 'custom']),
  from: nullable(instant),
  to: nullable(instant),
  city: nullable(string),
  specialty: nullable(string),
  sections: sectionList,
  raw: boolean,
  recipients: array(string),
  webhook_url: nullable(string),
  enabled: boolean,
  owner: integer,
  created_at: instant,
  updated_at: instant,
  next_run_at: nullable(instant),
  last_run: nullable(reportRun),
  smtp_configured: boolean,
});
export const REPORT_SCHEDULE_PAGE: SchemaObject = page(REPORT_SCHEDULE);
export const REPORT_RUN: SchemaObject = reportRun;
export const REPORT_RUN_PAGE: SchemaObject = page(reportRun);

// ---- health, metrics, audit log ----

export const LIVENESS: SchemaObject = object({ status: oneOf(['ok']) });
export const READINESS: SchemaObject = object({ status: oneOf(['ready', 'starting', 'not_ready']), reasons: array(string) }, ['reasons']);
const probeResult: SchemaObject = { type: 'object', properties: { ok: boolean, error: string }, required: ['ok'] };
/** Components are described by their key facts; their inner detail may grow without a schema change. */
export const HEALTH_DETAILS: SchemaObject = {
  type: 'object',
  properties: {
    status: oneOf(['ok', 'degraded', 'down']),
    time: instant,
    postgres: probeResult,
    clickhouse: probeResult,
    cache: { type: 'object', properties: { ok: boolean }, required: ['ok'] },
    state_store: probeResult,
    realtime: { type: 'object', properties: { ok: boolean }, required: ['ok'] },
    alerts: { type: 'object' },
    exports: { type: 'object', properties: { formats: object({ excel: boolean, json: boolean, csv: boolean, pdf: boolean }) }, required: ['formats'] },
    ingest: {
      type: 'object',
      properties: { state: string, applied_lsn: nullable(string), data_as_of: nullable(instant), seconds_since_last_change: nullable(number), last_error: nullable(string) },
      required: ['state', 'applied_lsn', 'data_as_of'],
    },
  },
  required: ['status', 'time', 'postgres', 'clickhouse', 'cache', 'state_store', 'realtime', 'alerts', 'exports', 'ingest'],
};

export const AUDIT_ENTRY: SchemaObject = object({
  id: integer,
  at: instant,
  user_id: nullable(integer),
  action: oneOf(AUDIT_ACTIONS),
  target_id: nullable(string),
  ip: nullable(string),
  detail: { type: 'object' },
});
export const AUDIT_PAGE: SchemaObject = page(AUDIT_ENTRY);

/** /metrics: Prometheus text; its refusals are the JSON error bodies. */
export function ApiPrometheusResponses(): MethodDecorator {
  return applyDecorators(
    ApiProduces('text/plain'),
    ApiOkResponse({ description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } }),
    ApiAuthResponses(),
    ApiForbiddenResponse({ description: 'A valid token that is neither an administrator’s nor METRICS_TOKEN', ...errorResponse }),
  );
}

// ---- legacy (libs/metrics/src/legacy-types.ts) ----

const legacyRequests = object({
  total: integer,
  pending: integer,
  in_progress: integer,
  completed: integer,
  cancelled: integer,
  recent_24h: integer,
  recent_7d: integer,
  recent_30d: integer,
  daily_evolution: array(object({ date: string, count: integer })),
});
export const PROJECT_STATISTICS: SchemaObject = object({
  overview: object(Object.fromEntries(Object.entries(overview.properties!).filter(([key]) => key !== 'new_users_30d'))),
  requests: legacyRequests,
  financial: object({ total_revenue: number, total_payouts: number, platform_fees: number, payment_methods: financial.payment_methods }),
  specialties: object({
    stats: array(object({ specialty_needed: string, count: integer, completed: integer, avg_price: nullable(number) })),
    top_technicians: technicians.top_technicians,
  }),
  technicians: object({ total: integer, verified: integer, available: integer, availability_rate: number }),
  satisfaction: object({ total_reviews: integer, avg_rating: number, satisfaction_rate: number }),
  security: object({ total_logins: integer, failed_logins: integer, security_alerts: integer, success_rate: number }),
  geography: object({ top_cities: geography.top_cities }),
});

/** The legacy routes' refusals and faults: the bodies the Django views answered. */
export function ApiLegacyResponses(ok: { contentType: string; description: string; schema?: SchemaObject }): MethodDecorator {
  const content = { [ok.contentType]: { schema: ok.schema ?? { type: 'string', format: 'binary' } } };
  return applyDecorators(
    ApiOkResponse({ description: ok.description, content }),
    ApiAuthResponses(),
    ApiForbiddenResponse({ description: 'Not allowed: {"error": ...} for project_statistics, DRF\'s {"detail": ...} for the exports', ...errorResponse }),
    ApiInternalServerErrorResponse({ description: 'The computation or the rendering failed: {"detail": "Erreur lors ..."}', ...errorResponse }),
    ApiServiceUnavailableResponse({ description: 'The engine is saturated or unavailable (Retry-After)', ...errorResponse }),
  );
}

// ---- the SQL gateway (/clickhouse) ----

const clickhouseError = {
  description: 'ClickHouse HTTP protocol error: plain text `Code: N. DB::Exception: … (NAME)` with the X-ClickHouse-Exception-Code header',
  content: { 'text/plain': { schema: { type: 'string' } } },
};

/** The gateway answers like a ClickHouse server: any output format on success, plain-text exceptions otherwise. */
export function ApiAnalystResponses(): MethodDecorator {
  return applyDecorators(
    ApiResponse({
      status: 200,
      description: 'The result in the requested FORMAT (TabSeparated by default; JSON, JSONEachRow, CSV, Parquet…); X-ClickHouse-Summary, X-ClickHouse-Query-Id',
      content: { 'text/tab-separated-values': { schema: { type: 'string' } }, 'application/json': { schema: { type: 'object' } }, 'text/csv': { schema: { type: 'string' } } },
    }),
    ApiResponse({ status: 400, ...clickhouseError }),
    ApiResponse({ status: 401, ...clickhouseError }),
    ApiResponse({ status: 403, ...clickhouseError }),
    ApiResponse({
      status: 429,
      ...clickhouseError,
      description: `${clickhouseError.description}: more than ANALYST_RATE_LIMIT queries a minute, or too many at once (Retry-After)`,
      headers: { 'Retry-After': { description: 'Seconds until a query is admitted again', schema: { type: 'integer' } } },
    }),
    ApiResponse({ status: 500, ...clickhouseError }),
    ApiResponse({ status: 503, ...clickhouseError, description: `${clickhouseError.description}: the engine is saturated or unavailable` }),
  );
}

// ---- dashboards (libs/metrics/src/dashboards.ts) ----

const widgetFilters = object({ period: oneOf([...PERIODS, 'custom']), from: nullable(instant), to: nullable(instant), city: nullable(string), specialty: nullable(string) });
const widgetSource = object({ endpoint: oneOf([...SECTIONS, 'kpis', 'real_time_stats']), key: string });
const widgetPosition = object({ x: integer, y: integer, w: integer, h: integer });
const dashboardLayout = object({ columns: integer, row_height: integer });
const DASHBOARD_WIDGET = object({
  id: string,
  type: oneOf(WIDGET_TYPES),
  title: string,
  source: widgetSource,
  filters: widgetFilters,
  refresh_seconds: integer,
  position: widgetPosition,
});
export const DASHBOARD: SchemaObject = object({
  id: string,
  name: string,
  owner: integer,
  is_default: boolean,
  refresh_seconds: integer,
  layout: dashboardLayout,
  widgets: array(DASHBOARD_WIDGET),
  created_at: instant,
  updated_at: instant,
});
export const DASHBOARD_LIST: SchemaObject = object({ count: integer, results: array(DASHBOARD) });
/** A widget as sent: id optional (the server gives one), filters as the statistics query parameters (each optional, null = absent). */
const widgetInput = object(
  {
    id: string,
    type: oneOf(WIDGET_TYPES),
    title: string,
    source: widgetSource,
    filters: object({ period: nullable(oneOf(PERIODS)), from: nullable(string), to: nullable(string), city: nullable(string), specialty: nullable(string) }, ['period', 'from', 'to', 'city', 'specialty']),
    refresh_seconds: integer,
    position: widgetPosition,
  },
  ['id', 'filters', 'refresh_seconds'],
);
const dashboardFields = {
  name: string,
  is_default: boolean,
  refresh_seconds: integer,
  layout: object({ columns: integer, row_height: integer }, ['columns', 'row_height']),
  widgets: array(widgetInput),
};
export const DASHBOARD_INPUT: SchemaObject = object(dashboardFields, ['is_default', 'refresh_seconds', 'layout', 'widgets']);
export const DASHBOARD_PATCH: SchemaObject = object(dashboardFields, Object.keys(dashboardFields));
export const DASHBOARD_DATA: SchemaObject = object({
  dashboard_id: string,
  generated_at: instant,
  dashboard_updated_at: nullable(instant),
  data_as_of: nullable(instant),
  widgets: array(object({ id: string, value: nullable({}), format: nullable(oneOf([...WIDGET_VALUE_FORMATS])) })),
  partial: boolean,
});
export const DASHBOARD_SOURCES: SchemaObject = object({
  widget_types: array(oneOf(WIDGET_TYPES)),
  endpoints: array(object({ endpoint: string, keys: array(object({ key: string, kind: oneOf(['number', 'string', 'boolean', 'object', 'map', 'list', 'any']) })) })),
});
