// Cache keys of the statistics responses: one key per endpoint, filter set and state of the source
// tables. Pure functions, so the canonical form is unit-tested without Redis.
import { createHash } from 'node:crypto';
import { REPLICATED_TABLE_NAMES } from '../../../../libs/ingest-feed/src/tables.js';
import { feedKeys } from '../../../../libs/ingest-feed/src/keys.js';

/** Every key we write starts with this; a purge deletes this prefix only (the Redis may be shared). */
export const CACHE_KEY_PREFIX = 'depanneteliman:stats:';

const REQUESTS = 'depannage_repairrequest';
const PAYMENTS = 'depannage_payment';
const REVIEWS = 'depannage_review';
const USERS = 'users_user';

/**
 * Which replicated tables each cached endpoint reads (with the city/specialty scope, payments and
 * reviews are reached through their request): a change to any of them invalidates it.
 */
export const STATISTICS_SOURCE_TABLES = {
  global_statistics: REPLICATED_TABLE_NAMES,
  overview: [USERS, 'depannage_client', 'depannage_technician', REQUESTS, PAYMENTS, REVIEWS],
  requests: [REQUESTS],
  financial: [PAYMENTS, REQUESTS],
  satisfaction: [REVIEWS, REQUESTS],
  technicians: [USERS, 'depannage_technician', REQUESTS, REVIEWS],
  specialties: [REQUESTS],
  security: ['users_auditlog', 'users_securitynotification'],
  geography: [REQUESTS, PAYMENTS],
  trends: [REQUESTS, PAYMENTS, REVIEWS, USERS],
  advanced: [USERS, 'depannage_client', 'depannage_technician', REQUESTS, PAYMENTS],
} as const satisfies Record<string, readonly string[]>;

export type CachedEndpoint = keyof typeof STATISTICS_SOURCE_TABLES;

export type Filters = Readonly<Record<string, string | undefined>>;

/**
 * `name=value` pairs sorted by name, values URI-encoded, absent filters dropped: the same request
 * written with its parameters in another order, or with an unset filter, maps to the same key.
 */
export function canonicalFilters(filters: Filters): string {
  return Object.entries(filters)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
    .join('&');
}

/**
 * Digest of the versions of the tables a result depends on (table order does not matter). A
 * digest rather than the list keeps keys short; the versions are logged when they change.
 */
export function versionsDigest(versions: ReadonlyMap<string, string>, tables: readonly string[]): string {
  const parts = [...new Set(tables)].sort().map((table) => {
    const version = versions.get(table);
    if (version === undefined) throw new Error(`no cache version for table ${table}`);
    return `${table}=${version}`;
  });
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 20);
}

/**
 * `depanneteliman:stats:<scope>:entry:<endpoint>:<filters>:v=<digest>`. The scope separates data
 * sources sharing one Redis (see StatisticsCacheService); the digest makes a key unreachable as
 * soon as one of its tables changes, which is the invalidation.
 */
export function statisticsCacheKey(parts: { scope: string; endpoint: string; filters: Filters; versions: string }): string {
  return `${entryPrefix(parts.scope)}${parts.endpoint}:${canonicalFilters(parts.filters)}:v=${parts.versions}`;
}

export function entryPrefix(scope: string): string {
  return `${CACHE_KEY_PREFIX}${scope}:entry:`;
}

/** Redis hash holding the table versions of one scope, shared by the API processes (written by the ingest's feed when it runs apart). */
export function versionsKey(scope: string): string {
  return feedKeys(scope).versions;
}

/** SCAN pattern matching every entry of one scope (glob characters of the scope escaped). */
export function entryPattern(scope: string): string {
  return entryPrefix(scope).replace(/[*?[\]\\]/g, '\\$&') + '*';
}
