// Named leases in the state store: at most one holder per name at a time, e.g. the one replica that
// evaluates alerts. A holder renews before expiry; when it dies, another takes over after the TTL.
// One upsert decides, so acquisition is atomic on both dialects: the row is inserted, or updated
// only when it is already ours or has expired. Times come from the database's clock, not the
// replicas' (which may disagree), formatted as the store's ISO-8601 UTC text.
import type { StateDialect, StateQueries } from './store.js';

/** `now` and `now + $3 milliseconds` as ISO-8601 UTC text with milliseconds, per dialect. */
const CLOCK: Record<StateDialect, { now: string; expiry: string }> = {
  sqlite: {
    now: "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
    expiry: "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+' || ($3 / 1000.0) || ' seconds')",
  },
  postgres: {
    now: `to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
    expiry: `to_char((clock_timestamp() + $3 * interval '1 millisecond') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
  },
};

/**
 * Takes the lease `name` for `holder` for `ttlMs` if it is free, expired or already held by
 * `holder` (then its expiry is renewed). Resolves to whether `holder` now holds it.
 */
export async function tryAcquireLease(store: StateQueries, name: string, holder: string, ttlMs: number): Promise<boolean> {
  if (!Number.isInteger(ttlMs) || ttlMs <= 0) throw new RangeError(`lease ttlMs must be a positive integer, got ${ttlMs}`);
  const clock = CLOCK[store.dialect];
  const changed = await store.execute(
    `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, ${clock.expiry})
     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
     WHERE leases.holder = excluded.holder OR leases.expires_at <= ${clock.now}`,
    [name, holder, ttlMs],
  );
  return changed === 1;
}

/** Gives the lease up if `holder` holds it (another holder's lease is left alone). */
export async function releaseLease(store: StateQueries, name: string, holder: string): Promise<boolean> {
  return (await store.execute('DELETE FROM leases WHERE name = $1 AND holder = $2', [name, holder])) === 1;
}
