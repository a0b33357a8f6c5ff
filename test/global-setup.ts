// Medium tests need a Postgres with logical replication. Use the machine's (DATABASE_TEST_ADMIN_URL,
// default 127.0.0.1:5432) when it answers with wal_level=logical; otherwise start an embedded one
// for the run, so `npm test` works on a fresh machine too.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../apps/demo/src/embedded-postgres.js';

const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

async function walLevel(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ wal_level: string }>('SHOW wal_level');
    return rows[0]?.wal_level ?? null;
  } catch {
    return null;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export default async function setup(): Promise<() => Promise<void>> {
  const configured = process.env.DATABASE_TEST_ADMIN_URL ?? DEFAULT_ADMIN_URL;
  const level = await walLevel(configured);
  if (level === 'logical') return async () => undefined;
  if (process.env.DATABASE_TEST_ADMIN_URL) {
    throw new Error(`DATABASE_TEST_ADMIN_URL answers with wal_level=${level ?? 'unreachable'}; logical replication needs wal_level=logical`);
  }
  process.stderr.write(
    `test setup: ${configured} is ${level === null ? 'unreachable' : `at wal_level=${level}`}; starting an embedded Postgres for this run\n`,
  );
  const dataDir = mkdtempSync(join(tmpdir(), 'stat-test-pg-'));
  const server = await startEmbeddedPostgres({ dataDir, port: 54330 + Math.floor(Math.random() * 500), reset: true });
  const url = new URL(server.url);
  url.pathname = '/postgres';
  process.env.DATABASE_TEST_ADMIN_URL = url.toString();
  return async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
