// CDC ingest against a real Postgres (logical replication) and the real embedded ClickHouse:
// snapshot, streamed inserts/updates/deletes/truncates, odd values, and resume after a crash.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ingest } from '../../apps/ingest/src/ingest.js';
import { createTestClickHouse, createTestDatabase, uniqueName, type TestClickHouse, type TestDatabase } from '../factories/databases.js';

let db: TestDatabase;
let ch: TestClickHouse;
const slot = uniqueName('slot');

function newIngest(): Ingest {
  return new Ingest({
    databaseUrl: db.url,
    clickhouse: ch.clickhouse,
    slot,
    publication: 'stat_pub',
    batchRows: 1000,
    batchDelayMs: 20,
  });
}

async function chCount(table: string, where = '1'): Promise<number> {
  const rows = await ch.clickhouse.query<{ n: string }>(`SELECT count() AS n FROM ${table} FINAL WHERE ${where}`);
  return Number(rows[0]!.n);
}

async function insertUser(username: string, type = 'client'): Promise<number> {
  const { rows } = await db.pool.query<{ id: string }>(
    `INSERT INTO users_user (username, email, user_type) VALUES ($1::text, $1::text || '@x.ml', $2) RETURNING id`,
    [username, type],
  );
  return Number(rows[0]!.id);
}

beforeAll(async () => {
  db = await createTestDatabase();
  ch = await createTestClickHouse();
  for (let i = 0; i < 25; i++) await insertUser(`seed${i}`);
});

afterAll(async () => {
  await db?.drop();
  await ch?.destroy();
});

describe('ingest', () => {
  let ingest: Ingest;

  it('snapshots existing rows', async () => {
    ingest = newIngest();
    await ingest.start();
    expect(ingest.status().snapshot.status).toBe('done');
    expect(ingest.status().snapshot.rowsDone).toBe(25);
    expect(await chCount('users_user')).toBe(25);
    // NULL timestamps stay NULL through the snapshot (not clamped to 1900).
    expect(await chCount('users_user', 'last_login IS NULL')).toBe(25);
  });

  it('streams inserts, updates, deletes with exact values', async () => {
    const client = await insertUser('ami', 'technician');
    await db.pool.query(`UPDATE users_user SET first_name = 'Aminata', last_login = '2025-07-14 22:54:14.123456+02' WHERE id = $1`, [client]);
    await db.pool.query(`DELETE FROM users_user WHERE username IN ('seed0', 'seed1')`);
    // Same row changed three times in one transaction, and an unknown enum value.
    await db.pool.query(`BEGIN; UPDATE users_user SET user_type = 'superviseur' WHERE username = 'seed2';
      UPDATE users_user SET first_name = 'é"\\t' || chr(10) WHERE username = 'seed2';
      UPDATE users_user SET last_name = 'Keïta' WHERE username = 'seed2'; COMMIT;`);
    await ingest.catchUp();
    expect(await chCount('users_user')).toBe(24);
    const [ami] = await ch.clickhouse.query<{ first_name: string; last_login: string; user_type: string }>(
      `SELECT first_name, toString(last_login) AS last_login, user_type FROM users_user FINAL WHERE username = 'ami'`,
    );
    expect(ami).toEqual({ first_name: 'Aminata', last_login: '2025-07-14 20:54:14.123456', user_type: 'technician' });
    const [seed2] = await ch.clickhouse.query<{ first_name: string; last_name: string; user_type: string }>(
      `SELECT first_name, last_name, user_type FROM users_user FINAL WHERE username = 'seed2'`,
    );
    expect(seed2).toEqual({ first_name: 'é"\\t\n', last_name: 'Keïta', user_type: 'superviseur' });
  });

  it('keeps exact money and replays nothing twice after a crash', async () => {
    const userId = await insertUser('payer');
    const { rows: clientRows } = await db.pool.query<{ id: string }>('INSERT INTO depannage_client (user_id) VALUES ($1) RETURNING id', [userId]);
    const { rows: requestRows } = await db.pool.query<{ id: string }>(
      `INSERT INTO depannage_repairrequest (title, specialty_needed, address, client_id, final_price) VALUES ('t', 'plomberie', 'a', $1, 1499999.99) RETURNING id`,
      [clientRows[0]!.id],
    );
    await ingest.catchUp();
    // Crash: stop without any goodbye, write while down, restart with a new process state.
    await ingest.stop();
    for (let i = 0; i < 50; i++) {
      await db.pool.query(
        `INSERT INTO depannage_payment (amount, method, payment_type, status, payer_id, recipient_id, request_id) VALUES (1000.01, 'espece', 'client_payment', 'completed', $1, $1, $2)`,
        [userId, requestRows[0]!.id],
      );
    }
    await db.pool.query(`UPDATE depannage_payment SET status = 'refunded' WHERE id IN (SELECT id FROM depannage_payment ORDER BY id LIMIT 5)`);
    ingest = newIngest();
    await ingest.start();
    expect(ingest.status().snapshot.status).toBe('done');
    await ingest.catchUp();
    expect(await chCount('depannage_payment')).toBe(50);
    const [sums] = await ch.clickhouse.query<{ total: string; refunded: string }>(
      `SELECT toString(sum(amount)) AS total, toString(countIf(status = 'refunded')) AS refunded FROM depannage_payment FINAL`,
    );
    expect(sums).toEqual({ total: '50000.5', refunded: '5' });
    const [price] = await ch.clickhouse.query<{ p: string }>(`SELECT toString(final_price) AS p FROM depannage_repairrequest FINAL`);
    expect(price!.p).toBe('1499999.99');
  });

  it('keeps going when a column is added upstream', async () => {
    await db.pool.query(`ALTER TABLE users_user ADD COLUMN nickname varchar(40) NOT NULL DEFAULT ''`);
    await db.pool.query(`INSERT INTO users_user (username, email, user_type, nickname) VALUES ('nick', 'nick@x.ml', 'client', 'Nico')`);
    await db.pool.query(`UPDATE users_user SET first_name = 'Nicolas' WHERE username = 'nick'`);
    await ingest.catchUp();
    const [nick] = await ch.clickhouse.query<{ first_name: string }>(`SELECT first_name FROM users_user FINAL WHERE username = 'nick'`);
    expect(nick).toEqual({ first_name: 'Nicolas' });
  });

  it('applies a truncate', async () => {
    await db.pool.query('TRUNCATE users_securitynotification');
    const userId = await insertUser('notified');
    await db.pool.query(`INSERT INTO users_securitynotification (subject, message, user_id) VALUES ('s', 'm', $1)`, [userId]);
    await db.pool.query('TRUNCATE users_securitynotification');
    await db.pool.query(`INSERT INTO users_securitynotification (subject, message, user_id) VALUES ('s2', 'm', $1)`, [userId]);
    await ingest.catchUp();
    expect(await chCount('users_securitynotification')).toBe(1);
    await ingest.stop();
  });
});
