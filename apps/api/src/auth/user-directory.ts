// The users behind access tokens, read from the operational users_user table. Every request of a
// dashboard carries the same few tokens: a lookup is kept a few seconds and concurrent lookups of
// one user share one query, so a burst of requests costs one round trip to Postgres, not one each.
// A user deactivated or demoted in Django loses access within AUTH_USER_CACHE_SECONDS (default 5).
import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { OPERATIONAL_DB } from '../tokens.js';

/** Injection token of AUTH_USER_CACHE_SECONDS. */
export const USER_CACHE_SECONDS = Symbol('USER_CACHE_SECONDS');

export interface StoredUser {
  userType: string;
  isStaff: boolean;
  isActive: boolean;
}

const MAX_ENTRIES = 10_000;

@Injectable()
export class UserDirectory {
  private readonly entries = new Map<number, { user: StoredUser | null; expires: number }>();
  private readonly inFlight = new Map<number, Promise<StoredUser | null>>();

  constructor(
    @Inject(OPERATIONAL_DB) private readonly db: pg.Pool,
    @Inject(USER_CACHE_SECONDS) private readonly cacheSeconds: number,
  ) {}

  /** The user, or null when no row has this id. */
  find(id: number): Promise<StoredUser | null> {
    const entry = this.entries.get(id);
    if (entry && entry.expires > Date.now()) return Promise.resolve(entry.user);
    let lookup = this.inFlight.get(id);
    if (!lookup) {
      lookup = this.load(id).finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, lookup);
    }
    return lookup;
  }

  private async load(id: number): Promise<StoredUser | null> {
    const { rows } = await this.db.query<{ user_type: string; is_staff: boolean; is_active: boolean }>(
      'SELECT user_type, is_staff, is_active FROM users_user WHERE id = $1',
      [id],
    );
    const row = rows[0];
    const user = row ? { userType: row.user_type, isStaff: row.is_staff, isActive: row.is_active } : null;
    // Oldest first out: a Map iterates in insertion order, and a refreshed entry is re-inserted.
    this.entries.delete(id);
    if (this.cacheSeconds === 0) return user;
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(id, { user, expires: Date.now() + this.cacheSeconds * 1000 });
    return user;
  }
}
