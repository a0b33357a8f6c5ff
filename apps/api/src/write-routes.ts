// The statistics API is read-only except for these routes: anything else but GET/HEAD/OPTIONS under
// /depannage/api/statistics is a 405 (runtime.ts), as in the original. An explicit list, so that a
// new write endpoint is a deliberate line here rather than a side effect of a new controller.
import { ALERT_RULES_PATH } from './alerts/alert-rules.controller.js';
import { CACHE_PURGE_PATH } from './cache/statistics-cache.controller.js';
import { DASHBOARDS_PATH } from './dashboards/dashboards.controller.js';
import { EXPORTS_PATH } from './exports/exports.service.js';
import { REPORT_SCHEDULES_PATH } from './exports/schedules/report-schedules.controller.js';
import { DEMO_SESSION_PATH } from './web/demo-session.controller.js';

const STATISTICS_PREFIX = '/depannage/api/statistics';

function escaped(path: string): string {
  return path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** One path segment: an alert rule's or an alert's id. */
const ID = '[^/]+';
const RULES = escaped(ALERT_RULES_PATH);
const ALERTS = escaped(`${STATISTICS_PREFIX}/alerts`);
const EXPORTS = escaped(EXPORTS_PATH);
const SCHEDULES = escaped(REPORT_SCHEDULES_PATH);
const DASHBOARDS = escaped(DASHBOARDS_PATH);

const WRITE_ROUTES: ReadonlyArray<{ method: string; path: RegExp }> = [
  { method: 'DELETE', path: new RegExp(`^${escaped(CACHE_PURGE_PATH)}$`) },
  { method: 'POST', path: new RegExp(`^${RULES}$`) },
  { method: 'PATCH', path: new RegExp(`^${RULES}/${ID}$`) },
  { method: 'DELETE', path: new RegExp(`^${RULES}/${ID}$`) },
  { method: 'POST', path: new RegExp(`^${ALERTS}/${ID}/(acknowledge|resolve)$`) },
  { method: 'POST', path: new RegExp(`^${EXPORTS}$`) },
  { method: 'DELETE', path: new RegExp(`^${EXPORTS}/${ID}$`) },
  { method: 'POST', path: new RegExp(`^${SCHEDULES}$`) },
  { method: 'PATCH', path: new RegExp(`^${SCHEDULES}/${ID}$`) },
  { method: 'DELETE', path: new RegExp(`^${SCHEDULES}/${ID}$`) },
  { method: 'POST', path: new RegExp(`^${SCHEDULES}/${ID}/run$`) },
  { method: 'POST', path: new RegExp(`^${DASHBOARDS}$`) },
  { method: 'PATCH', path: new RegExp(`^${DASHBOARDS}/${ID}$`) },
  { method: 'DELETE', path: new RegExp(`^${DASHBOARDS}/${ID}$`) },
  { method: 'POST', path: new RegExp(`^${DASHBOARDS}/${ID}/export$`) },
  { method: 'POST', path: new RegExp(`^${escaped(DEMO_SESSION_PATH)}$`) },
];

/** Whether `method` on `path` (no query string, no trailing slash) is one of the write routes. */
export function isWriteRoute(method: string, path: string): boolean {
  return WRITE_ROUTES.some((route) => route.method === method && route.path.test(path));
}

/**
 * Why a write route's body is refused before parsing, or null: the write routes take JSON only.
 * Nest's Fastify adapter also parses form bodies, which would turn `name=x&kind=threshold` into a
 * patch the JSON validators then accept.
 */
export function writeBodyRefusal(headers: Record<string, string | string[] | undefined>): string | null {
  const length = headers['content-length'];
  const hasBody = headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  if (!hasBody) return null;
  const type = String(headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' ? null : `corps de type « ${type || 'absent'} » refusé : envoyez du JSON (application/json)`;
}
