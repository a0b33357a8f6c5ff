// The state store on both dialects, against a real SQLite file and a throwaway Postgres database:
// migrations (ordered, once, checksummed, atomic, safe when two replicas start together), leases,
// transactions, and identical JS values from both drivers.
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { afterAll, describe, expect, it } from 'vitest';
import { readMigrations } from '../../libs/clickhouse/src/migrations.js';
import { tryAcquireLease, releaseLease } from '../../libs/state/src/leases.js';
import { migrateStateStore, stateMigrationsDirectory } from '../../libs/state/src/migrations.js';
import { connectStateStore, openStateStore, type StateStoreConfig } from '../../libs/state/src/open.js';
import type { StateDialect, StateStore } from '../../libs/state/src/store.js';
import { createTestDatabase } from '../factories/databases.js';

// The store's own log lines (one per open) are not what this file checks.
Logger.overrideLogger(false);

const scratch = mkdtempSync(join(tmpdir(), 'stat-state-'));
const cleanups: Array<() => Promise<void>> = [];
const stores: StateStore[] = [];

afterAll(async () => {
  for (const store of stores) await store.close();
  for (const cleanup of cleanups) await cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

let fileCounter = 0;

/** A fresh, empty target of the dialect: a new SQLite file (in a directory not yet created) or database. */
async function freshTarget(dialect: StateDialect): Promise<StateStoreConfig> {
  if (dialect === 'sqlite') {
    fileCounter += 1;
    return { stateDatabaseUrl: undefined, stateSqlitePath: join(scratch, `dir-${fileCounter}`, 'state.sqlite') };
  }
  const db = await createTestDatabase({ schema: false });
  cleanups.push(() => db.drop());
  return { stateDatabaseUrl: db.url, stateSqlitePath: join(scratch, 'unused.sqlite') };
}

function track<T extends StateStore>(store: T): T {
  stores.push(store);
  return store;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(['sqlite', 'postgres'] as const)('state store on %s', (dialect) => {
  const labels = readMigrations(stateMigrationsDirectory(dialect)).map((migration) => `${migration.version}_${migration.name}`);

  it('applies every migration in order once, then nothing', async () => {
    const store = track(await connectStateStore(await freshTarget(dialect)));
    expect(store.dialect).toBe(dialect);
    expect(labels.slice(0, 3)).toEqual(['0001_alert_rules', '0002_leases', '0003_export_jobs']);
    expect([...labels].sort()).toEqual(labels);
    expect(await migrateStateStore(store)).toEqual({ applied: labels, alreadyApplied: 0 });
    expect(await migrateStateStore(store)).toEqual({ applied: [], alreadyApplied: labels.length });
    const recorded = await store.query<{ version: string; name: string; checksum: string }>(
      'SELECT version, name, checksum FROM state_migrations ORDER BY version',
    );
    expect(recorded.map((row) => `${row.version}_${row.name}`)).toEqual(labels);
    expect(recorded.every((row) => /^[0-9a-f]{64}$/.test(row.checksum))).toBe(true);
    expect(await store.query('SELECT id FROM alert_rules')).toEqual([]);
    expect(await store.query('SELECT name FROM leases')).toEqual([]);
  });

  it('refuses an applied migration whose checksum changed, naming it', async () => {
    const config = await freshTarget(dialect);
    const store = track(await openStateStore(config));
    await store.execute('UPDATE state_migrations SET checksum = $1 WHERE version = $2', ['tampered', '0002']);
    await expect(openStateStore(config)).rejects.toThrow(/state migration 0002_leases .*changed after it was applied/);
  });

  it('rolls a failed batch of migrations back whole: no table, no record', async () => {
    const directory = mkdtempSync(join(scratch, `migrations-${dialect}-`));
    cpSync(stateMigrationsDirectory(dialect), directory, { recursive: true });
    writeFileSync(join(directory, '9001_scratch_table.sql'), 'CREATE TABLE scratch_table (id integer PRIMARY KEY)');
    writeFileSync(join(directory, '9002_broken.sql'), 'CREATE TABLE leases (id integer)');
    const store = track(await connectStateStore(await freshTarget(dialect)));
    await expect(migrateStateStore(store, directory)).rejects.toThrow(/leases/);
    // Not even the real ones before them: the whole run was one transaction.
    await expect(store.query('SELECT version FROM state_migrations')).rejects.toThrow(/state_migrations/);
    expect(await migrateStateStore(store)).toEqual({ applied: labels, alreadyApplied: 0 });
    await expect(store.query('SELECT id FROM scratch_table')).rejects.toThrow(/scratch_table/);
  });

  it('two replicas opening together both succeed, each migration applied once', async () => {
    const config = await freshTarget(dialect);
    // A second application of a migration would fail: its CREATE TABLE has no IF NOT EXISTS.
    const [first, second] = await Promise.all([openStateStore(config), openStateStore(config)]);
    track(first);
    track(second);
    const recorded = await second.query<{ version: string }>('SELECT version FROM state_migrations ORDER BY version');
    expect(recorded.map((row) => row.version)).toEqual(labels.map((label) => label.slice(0, 4)));

    const other = await freshTarget(dialect);
    const replicas = [track(await connectStateStore(other)), track(await connectStateStore(other)), track(await connectStateStore(other))];
    const results = await Promise.all(replicas.map((store) => migrateStateStore(store)));
    expect(results.flatMap((result) => result.applied).sort()).toEqual(labels);
    expect(results.filter((result) => result.applied.length === labels.length)).toHaveLength(1);
  });

  it('leases: acquired, refused to another holder while valid, renewed, taken over after expiry, released', async () => {
    const config = await freshTarget(dialect);
    const store = track(await openStateStore(config));
    const replica = track(await openStateStore(config));
    expect(await tryAcquireLease(store, 'alerts.evaluator', 'replica-a', 400)).toBe(true);
    expect(await tryAcquireLease(replica, 'alerts.evaluator', 'replica-b', 400)).toBe(false);
    // Another name is independent.
    expect(await tryAcquireLease(replica, 'exports.scheduler', 'replica-b', 400)).toBe(true);
    // Renewal by the holder pushes the expiry forward.
    const [before] = await store.query<{ expires_at: string }>('SELECT expires_at FROM leases WHERE name = $1', ['alerts.evaluator']);
    await sleep(20);
    expect(await tryAcquireLease(store, 'alerts.evaluator', 'replica-a', 400)).toBe(true);
    const [after] = await store.query<{ holder: string; expires_at: string }>('SELECT holder, expires_at FROM leases WHERE name = $1', [
      'alerts.evaluator',
    ]);
    expect(after!.holder).toBe('replica-a');
    expect(after!.expires_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(after!.expires_at > before!.expires_at).toBe(true);
    expect(Date.parse(after!.expires_at) - Date.now()).toBeGreaterThan(200);

    await sleep(500);
    expect(await tryAcquireLease(replica, 'alerts.evaluator', 'replica-b', 60_000)).toBe(true);
    expect(await tryAcquireLease(store, 'alerts.evaluator', 'replica-a', 60_000)).toBe(false);
    // Releasing a lease one does not hold changes nothing.
    expect(await releaseLease(store, 'alerts.evaluator', 'replica-a')).toBe(false);
    expect(await tryAcquireLease(store, 'alerts.evaluator', 'replica-a', 60_000)).toBe(false);
    expect(await releaseLease(replica, 'alerts.evaluator', 'replica-b')).toBe(true);
    expect(await tryAcquireLease(store, 'alerts.evaluator', 'replica-a', 60_000)).toBe(true);
    await expect(tryAcquireLease(store, 'alerts.evaluator', 'replica-a', 0)).rejects.toThrow(RangeError);
  });

  it('leases: of many holders racing for a free lease through two connections, exactly one wins', async () => {
    const config = await freshTarget(dialect);
    const connections = [track(await openStateStore(config)), track(await openStateStore(config))];
    const holders = Array.from({ length: 12 }, (_, index) => `holder-${index}`);
    const won = await Promise.all(holders.map((holder, index) => tryAcquireLease(connections[index % 2]!, 'race', holder, 60_000)));
    expect(won.filter(Boolean)).toHaveLength(1);
    const [row] = await connections[0]!.query<{ holder: string }>('SELECT holder FROM leases WHERE name = $1', ['race']);
    expect(row!.holder).toBe(holders[won.indexOf(true)]);
  });

  it('transactions commit together or roll back on error, rethrowing it', async () => {
    const store = track(await openStateStore(await freshTarget(dialect)));
    const failure = new Error('work failed half-way');
    await expect(
      store.transaction(async (tx) => {
        await tx.execute('INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)', ['a', 'h', '2030-01-01T00:00:00.000Z']);
        expect(await tx.query('SELECT name FROM leases')).toEqual([{ name: 'a' }]);
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await store.query('SELECT name FROM leases')).toEqual([]);

    // A failing statement rolls back the statements before it too.
    await expect(
      store.transaction(async (tx) => {
        await tx.execute('INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)', ['b', 'h', '2030-01-01T00:00:00.000Z']);
        await tx.execute('INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)', ['b', 'h', '2030-01-01T00:00:00.000Z']);
      }),
    ).rejects.toThrow();
    expect(await store.query('SELECT name FROM leases')).toEqual([]);

    let leaked: Parameters<Parameters<StateStore['transaction']>[0]>[0] | undefined;
    const changed = await store.transaction(async (tx) => {
      leaked = tx;
      return (
        (await tx.execute('INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)', ['c', 'h', '2030-01-01T00:00:00.000Z'])) +
        (await tx.execute('INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)', ['d', 'h', '2030-01-01T00:00:00.000Z']))
      );
    });
    expect(changed).toBe(2);
    expect(await store.query('SELECT name FROM leases ORDER BY name')).toEqual([{ name: 'c' }, { name: 'd' }]);
    // A transaction's handle is dead once it has finished.
    await expect(leaked!.query('SELECT name FROM leases')).rejects.toThrow(/finished transaction/);
  });

  it('returns the same JS values on both dialects (0/1 booleans, doubles, nulls, text times, repeated placeholders)', async () => {
    const store = track(await openStateStore(await freshTarget(dialect)));
    const now = new Date().toISOString();
    await store.execute(
      `INSERT INTO alert_rules (id, name, kind, metric, comparison, threshold, time_window, group_by, sensitivity, history_weeks,
         severity, cooldown_seconds, scope_city, scope_specialty, enabled, source, edited, created_at, updated_at, deleted_at)
       VALUES ($1, $2, 'threshold', 'revenue', 'gt', $3, '24h', NULL, NULL, NULL, 'info', $4, $5, NULL, $6, 'user', $7, $8, $8, NULL)`,
      ['r1', "Revenue in Ségou's market", 1_000_000.55, 3600, 'Ségou', true, false, now],
    );
    const rows = await store.query(
      `SELECT id, name, threshold, history_weeks, cooldown_seconds, scope_city, scope_specialty, enabled, edited, created_at,
              CAST(COUNT(*) OVER () AS INTEGER) AS total
       FROM alert_rules WHERE id = $1 OR name = $1 OR created_at = $2`,
      ['r1', now],
    );
    expect(rows).toEqual([
      {
        id: 'r1',
        name: "Revenue in Ségou's market",
        threshold: 1_000_000.55,
        history_weeks: null,
        cooldown_seconds: 3600,
        scope_city: 'Ségou',
        scope_specialty: null,
        enabled: 1,
        edited: 0,
        created_at: now,
        total: 1,
      },
    ]);
    // A `$1` inside a string literal is text, not a placeholder.
    expect(await store.query("SELECT id FROM alert_rules WHERE name <> '$1' AND id = $1", ['r1'])).toEqual([{ id: 'r1' }]);
  });

  if (dialect === 'sqlite') {
    it('sqlite: creates the parent directory; WAL, busy_timeout and foreign keys on', async () => {
      const config = await freshTarget('sqlite');
      expect(existsSync(join(config.stateSqlitePath, '..'))).toBe(false);
      const store = track(await openStateStore(config));
      expect(existsSync(config.stateSqlitePath)).toBe(true);
      expect(await store.query('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
      expect(await store.query('PRAGMA foreign_keys')).toEqual([{ foreign_keys: 1 }]);
      expect(await store.query('PRAGMA busy_timeout')).toEqual([{ timeout: 10_000 }]);
    });
  } else {
    it('postgres: an unreachable STATE_DATABASE_URL fails naming the variable, not the password', async () => {
      const config = { stateDatabaseUrl: 'postgres://stats:s3cret@127.0.0.1:1/state', stateSqlitePath: join(scratch, 'unused.sqlite') };
      const failure = openStateStore(config);
      await expect(failure).rejects.toThrow(/STATE_DATABASE_URL \(127\.0\.0\.1:1\/state\)/);
      await expect(failure).rejects.not.toThrow(/s3cret/);
    });
  }
});
