// Injection tokens for the runtime's shared resources (explicit tokens: no reliance on emitted
// type metadata, so the same modules run under tsc and under vitest's esbuild transform).
export const CLICKHOUSE = Symbol('CLICKHOUSE');
export const OPERATIONAL_DB = Symbol('OPERATIONAL_DB');
export const INGEST = Symbol('INGEST');
export const APP_CONFIG = Symbol('APP_CONFIG');
export const JWT_SECRET = Symbol('JWT_SECRET');
/** The store behind the statistics cache (Redis, memory or disabled), chosen at boot. */
export const CACHE_BACKEND = Symbol('CACHE_BACKEND');
/** The service's own state store (alert rules…): SQLite or Postgres, opened and migrated at boot. */
export const STATE_STORE = Symbol('STATE_STORE');
/** Whether the web dashboard's one-click demo sign-in is offered (the embedded demo only). */
export const DEMO_SIGN_IN = Symbol('DEMO_SIGN_IN');
