// The one way the page calls the API: same origin, Bearer token in the Authorization header,
// JSON answers. A refused token (401) or a non-administrator (403) is an AccessError the shell
// turns into the login form with its reason; other failures are ApiError with the API's message.
import type { CalculationInfo, RealTimeStats, Section, SectionExtras, GlobalStatisticsFigures } from '../../../../libs/metrics/src/types.js';

export const STATISTICS_API = '/depannage/api/statistics';

/** What a section endpoint answers: the section's figures, its extra keys and calculation_info. */
export type SectionPayload<S extends Section> = GlobalStatisticsFigures[S] & SectionExtras[S] & { calculation_info: CalculationInfo };
export type { RealTimeStats, Section, CalculationInfo };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The parsed answer, when it was JSON: a 400's `field` names what to correct. */
    readonly body: unknown = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The token was refused (401) or its user is not an administrator (403). */
export class AccessError extends ApiError {
  constructor(
    status: 401 | 403,
    message: string,
  ) {
    super(status, message);
    this.name = 'AccessError';
  }
}

/** The API's own words for a failure: `detail` (DRF style), `error`, or Nest's `message`. */
function messageOf(body: unknown, status: number): string {
  if (body && typeof body === 'object') {
    const record = body as Record<string, unknown>;
    for (const key of ['detail', 'error', 'message']) {
      const value = record[key];
      if (typeof value === 'string' && value !== '') return value;
    }
  }
  return `réponse HTTP ${status}`;
}

export async function apiGet<T>(path: string, token: string, signal?: AbortSignal): Promise<T> {
  return apiCall<T>('GET', path, token, undefined, signal);
}

/**
 * Requests in flight at once. The embedded engine answers one query at a time: a tab's five
 * requests sent together would only wait in its queue (and past ENGINE_QUEUE_TIMEOUT_SECONDS get a
 * 503); two keep it busy without queueing behind our own page.
 */
const MAX_IN_FLIGHT = 2;
/** A 503 (engine queue full or its wait over, statistics not ready yet) is tried again this many times. */
const MAX_BUSY_RETRIES = 4;
let inFlight = 0;
const waiting: Array<() => void> = [];

async function withSlot<T>(work: () => Promise<T>): Promise<T> {
  if (inFlight >= MAX_IN_FLIGHT) await new Promise<void>((resolve) => waiting.push(resolve));
  inFlight++;
  try {
    return await work();
  } finally {
    inFlight--;
    waiting.shift()?.();
  }
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}

export async function apiCall<T>(method: string, path: string, token: string | null, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  for (let attempt = 0; ; attempt++) {
    response = await withSlot(() => fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal }));
    // Busy, not wrong: wait as told (Retry-After, seconds) and ask again; reads only.
    if (response.status !== 503 || method !== 'GET' || attempt >= MAX_BUSY_RETRIES) break;
    const retryAfter = Number(response.headers.get('Retry-After'));
    await pause(Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 30) * 1000 : 2000, signal);
  }
  const text = await response.text();
  let parsed: unknown = null;
  if (text !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ApiError(response.status, `réponse illisible de ${path} (HTTP ${response.status})`);
    }
  }
  if (response.status === 401) throw new AccessError(401, messageOf(parsed, 401));
  if (response.status === 403) {
    // The statistics' guard says only « Accès non autorisé »: the reason in words. A route that
    // explains itself (the demo sign-in from another machine) is quoted.
    const detail = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>).detail : undefined;
    throw new AccessError(
      403,
      typeof detail === 'string' && detail !== ''
        ? detail
        : 'Ce compte n\'est pas administrateur : les statistiques sont réservées aux administrateurs (user_type « admin » ou membre du staff).',
    );
  }
  if (!response.ok) throw new ApiError(response.status, messageOf(parsed, response.status), parsed);
  return parsed as T;
}

/** Query string of the statistics filters (only the ones set): the same as the page's own URL query. */
export function sectionPath(section: Section, query: URLSearchParams): string {
  const text = query.toString();
  return `${STATISTICS_API}/${section}/${text ? `?${text}` : ''}`;
}

export const REAL_TIME_PATH = `${STATISTICS_API}/real_time_stats/`;

/** The embedded demo's one-click sign-in (POST, same origin, loopback only): its token. */
export async function demoSession(): Promise<{ access: string; expires_at: string }> {
  return apiCall('POST', `${STATISTICS_API}/demo-session/`, null);
}
