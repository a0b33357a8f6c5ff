// Checks the Postgres oracle against figures computed by hand from a small fixture.
// Every expected number below was worked out on paper from the rows inserted here (the
// arithmetic is left in comments / simple expressions); none comes from running the oracle.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GlobalStatisticsFigures } from '../../libs/metrics/src/types.js';
import { globalStatisticsOnPostgres, realTimeStatsOnPostgres } from './postgres-oracle.js';

const ADMIN_URL = process.env.DATABASE_TEST_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SCHEMA_FILE = fileURLToPath(new URL('../../apps/demo/sql/operational-schema.sql', import.meta.url));

function dbUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * The database gets a linguistic (ICU en-US) default collation when the server has ICU, so that
 * the byte-order tie-breaks ('Sikasso' < 'Ségou' < 'kati') are really exercised; plain otherwise.
 */
async function createDatabase(admin: pg.Client, name: string): Promise<void> {
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'`);
  } catch {
    await admin.query(`CREATE DATABASE ${name}`);
  }
  const c = new pg.Client({ connectionString: dbUrl(name) });
  await c.connect();
  try {
    await c.query(await readFile(SCHEMA_FILE, 'utf8'));
  } finally {
    await c.end();
  }
}

// ---------------------------------------------------------------------------------------------
// Fixture. now = Monday 2025-07-14 12:00 UTC.
//   24h window: >= 2025-07-13T12:00Z; 7d: >= 2025-07-07T12:00Z; 30d: >= 2025-06-14T12:00Z.
// ---------------------------------------------------------------------------------------------
const NOW = new Date('2025-07-14T12:00:00.000Z');
const H = (hours: number): Date => new Date(NOW.getTime() - hours * 3_600_000);
const D = (days: number): Date => H(days * 24);
const plus = (d: Date, seconds: number): Date => new Date(d.getTime() + seconds * 1000);
const at = (iso: string): Date => new Date(iso);

type Rec = Record<string, unknown>;

// id, username, user_type, is_active, created_at, last_login, first_name, last_name
const USERS: Rec[] = [
  { id: 1, username: 'admin1', user_type: 'admin', created_at: D(400), last_login: H(1) },
  { id: 2, username: 'alice', user_type: 'client', created_at: D(100), first_name: 'Alice', last_name: 'Diallo' }, // 2025-04-05
  { id: 3, username: 'bob', user_type: 'client', created_at: D(10), last_login: H(25) }, // 2025-07-04
  { id: 4, username: 'carl', user_type: 'client', created_at: H(2) }, // 2025-07-14
  { id: 5, username: 'dina', user_type: 'client', created_at: D(40), is_active: false }, // 2025-06-04
  { id: 6, username: 'eve', user_type: 'client', created_at: H(720) }, // exactly now-30d (included)
  { id: 7, username: 'tech1', user_type: 'technician', created_at: D(200), last_login: H(23), first_name: 'Moussa', last_name: 'Traoré' },
  { id: 8, username: 'tech2', user_type: 'technician', created_at: D(150) }, // 2025-02-14, empty name
  { id: 9, username: 'tech3', user_type: 'technician', created_at: D(20), first_name: 'Awa' }, // 2025-06-24
  { id: 10, username: 'tech4', user_type: 'technician', created_at: at('2025-07-07T23:59:59.999Z'), first_name: 'Ibrahim', last_name: 'Coulibaly' },
  { id: 11, username: 'sup', user_type: 'superviseur', created_at: at('2025-07-08T00:00:00.000Z'), last_login: H(24) },
  { id: 12, username: 'admin2', user_type: 'admin', created_at: D(31) }, // 2025-06-13
];

const CLIENTS: Rec[] = [
  { id: 1, user_id: 2 },
  { id: 2, user_id: 3 },
  { id: 3, user_id: 4 },
  { id: 4, user_id: 5 },
  { id: 5, user_id: 6 },
  { id: 6, user_id: 7 }, // tech1 is also a client: counted once in active_users_30d
];

const TECHNICIANS: Rec[] = [
  { id: 1, user_id: 7, specialty: 'plumber', is_verified: true, is_available: true },
  { id: 2, user_id: 8, specialty: 'plomberie', is_verified: true, is_available: false },
  { id: 3, user_id: 9, specialty: 'electrician', is_verified: false, is_available: true },
  { id: 4, user_id: 10, specialty: 'plumber', is_verified: true, is_available: true },
  { id: 5, user_id: 11, specialty: 'it', is_verified: true, is_available: true }, // T row of a non-technician user
];

function req(
  id: number,
  created: Date,
  status: string,
  client: number,
  tech: number | null,
  specialty: string,
  city: string,
  extra: Rec = {},
): Rec {
  return {
    id, created_at: created, status, client_id: client, technician_id: tech,
    specialty_needed: specialty, city, title: `r${id}`, address: 'x', ...extra,
  };
}

const r1c = D(100); // 2025-04-05T12:00
const r2c = D(60); // 2025-05-15T12:00
const r3c = D(20); // 2025-06-24T12:00
const r4c = D(10); // 2025-07-04T12:00
const r11c = H(2); // 2025-07-14T10:00
const r13c = H(3); // 2025-07-14T09:00
const r15c = H(25); // 2025-07-13T11:00
const r16c = D(45); // 2025-05-30T12:00
const REQUESTS: Rec[] = [
  // completed; response 3.75h (13500 s), completion 3h
  req(1, r1c, 'completed', 1, 1, 'plumber', 'Bamako', { final_price: '10000.00', assigned_at: plus(r1c, 13500), completed_at: plus(r1c, 24300) }),
  // completed; response 1h, completion 4h
  req(2, r2c, 'completed', 1, 1, 'plumber', 'Bamako', { final_price: '10000.01', assigned_at: plus(r2c, 3600), completed_at: plus(r2c, 18000) }),
  // completed, NULL price, is_urgent; response 3726 s, completion 2h
  req(3, r3c, 'completed', 2, 2, 'plomberie', 'Kayes', { is_urgent: true, assigned_at: plus(r3c, 3726), completed_at: plus(r3c, 3726 + 7200) }),
  // completed; response 1h, completion 1h
  req(4, r4c, 'completed', 2, 4, 'electrician', 'Ségou', { urgency_level: 'same_day', final_price: '15000.50', assigned_at: plus(r4c, 3600), completed_at: plus(r4c, 7200) }),
  req(5, D(5), 'pending', 5, null, 'plumber', 'Kayes'), // 2025-07-09
  req(6, D(3), 'assigned', 5, 2, 'plomberie', 'Bamako', { urgency_level: 'urgent', assigned_at: H(70) }), // 2025-07-11
  req(7, D(2), 'draft', 2, null, 'it', ''), // 2025-07-12
  req(8, D(40), 'cancelled', 4, null, 'mechanic', 'kati', { urgency_level: 'sos' }), // 2025-06-04
  // completed without assigned_at: counts as completed, not in the duration means; completed 2025-07-08T18:00
  req(9, D(6), 'completed', 1, 1, 'plumber', 'Bamako', { final_price: '8000.01', completed_at: plus(D(6), 21600) }),
  req(10, H(1), 'pending', 3, null, 'plumber', 'Bamako', { urgency_level: 'sos' }),
  // completed in the last 24h; response 0.25h, completion 0.5h, '' city
  req(11, r11c, 'completed', 3, 3, 'plomberie', '', { final_price: '5000.00', assigned_at: plus(r11c, 900), completed_at: plus(r11c, 2700) }),
  // exactly now-24h: inside the 24h window
  req(12, H(24), 'cancelled', 5, null, 'plumber', 'Kayes', { urgency_level: 'urgent', is_urgent: true }),
  // unknown status 'Completed' (case-sensitive): in totals only
  req(13, r13c, 'Completed', 5, 4, 'it', 'Bamako', { final_price: '7000.00', assigned_at: plus(r13c, 1800), completed_at: plus(r13c, 3600) }),
  req(14, H(23), 'in_progress', 1, 1, 'plumber', 'Sikasso', { is_urgent: true, assigned_at: H(22) }),
  // created just outside 24h, completed inside it (2025-07-13T14:00); response 1h, completion 2h
  req(15, r15c, 'completed', 2, 4, 'plumber', 'Kayes', { final_price: '12000.00', assigned_at: plus(r15c, 3600), completed_at: plus(r15c, 10800) }),
  // negative response time kept (-1h), completion 3h; completed 2025-05-30T14:00
  req(16, r16c, 'completed', 1, 2, 'plomberie', 'Kayes', { final_price: '9000.00', assigned_at: plus(r16c, -3600), completed_at: plus(r16c, 7200) }),
  // first instant of 2025-07-07 (last day of 'Semaine 2'; outside the 7d window); client = tech1's user
  req(17, at('2025-07-07T00:00:00.000Z'), 'pending', 6, null, 'air_conditioning', 'Bamako'),
];

function rev(id: number, request: number, tech: number, client: number, rating: number, created: Date, extra: Rec = {}): Rec {
  return { id, request_id: request, technician_id: tech, client_id: client, rating, created_at: created, moderation_status: 'approved', ...extra };
}

const REVIEWS: Rec[] = [
  // V* (visible and approved): ratings 5,4,3,5,2,5,4,5 → Σ 33 / 8 = 4.125
  rev(1, 1, 1, 1, 5, D(99)),
  rev(2, 2, 1, 1, 4, D(59)),
  rev(3, 3, 2, 2, 3, D(19)),
  rev(4, 4, 4, 2, 5, D(9)),
  rev(5, 9, 1, 1, 2, D(5), { would_recommend: false }),
  rev(6, 11, 3, 3, 5, H(1)),
  rev(7, 15, 4, 2, 4, H(20)),
  rev(8, 16, 2, 1, 5, D(44)),
  // not V*
  rev(9, 13, 4, 5, 1, H(2), { moderation_status: 'pending' }),
  rev(10, 14, 1, 1, 1, H(10), { is_visible: false }),
  rev(11, 6, 2, 5, 1, D(2), { moderation_status: 'rejected', would_recommend: false }),
  rev(12, 5, 5, 5, 1, D(4), { moderation_status: 'Approved' }),
];

function pay(id: number, request: number, type: string, status: string, method: string, amount: string, created: Date): Rec {
  return { id, request_id: request, payment_type: type, status, method, amount, created_at: created, payer_id: 2, recipient_id: 7 };
}

const PAYMENTS: Rec[] = [
  pay(1, 1, 'client_payment', 'completed', 'orange_money', '10000.00', D(100)), // 2025-04-05
  pay(2, 1, 'technician_payout', 'completed', 'bank_transfer', '8000.00', D(99)),
  pay(3, 2, 'client_payment', 'completed', 'moov_money', '10000.01', D(60)), // 2025-05-15
  pay(4, 3, 'client_payment', 'completed', 'bank_transfer', '5000.00', D(20)), // 2025-06-24
  pay(5, 4, 'client_payment', 'completed', 'orange_money', '15000.50', D(10)), // 2025-07-04
  pay(6, 4, 'technician_payout', 'completed', 'orange_money', '12000.00', D(9)),
  pay(7, 9, 'client_payment', 'completed', 'espece', '9000.00', D(6)), // 2025-07-08
  pay(8, 11, 'client_payment', 'completed', 'orange_money', '5000.01', H(1)), // 2025-07-14
  pay(9, 15, 'client_payment', 'completed', 'moov_money', '12000.00', H(20)), // 2025-07-13
  pay(10, 15, 'technician_payout', 'pending', 'cash', '9000.00', H(19)),
  pay(11, 13, 'client_payment', 'failed', 'orange_money', '7000.00', H(3)),
  pay(12, 16, 'client_payment', 'refunded', 'cash', '9000.00', D(44)),
  pay(13, 16, 'refund', 'completed', 'cash', '500.00', D(40)),
  pay(14, 6, 'client_payment', 'processing', 'bank_transfer', '3000.00', D(3)),
  pay(15, 14, 'client_payment', 'COMPLETED', 'cash', '4000.00', H(5)),
  pay(16, 16, 'client_payment', 'completed', 'cash', '9000.00', D(45)), // 2025-05-30
  pay(17, 12, 'commission', 'completed', 'orange_money', '100.00', H(23)),
];

function audit(id: number, event_type: string, status: string, timestamp: Date): Rec {
  return { id, event_type, status, timestamp, ip_address: '10.0.0.1', user_id: id % 2 === 0 ? 2 : null };
}

const AUDIT: Rec[] = [
  audit(1, 'login', 'success', H(1)),
  audit(2, 'login', 'success', H(30)),
  audit(3, 'login', 'failure', H(2)),
  audit(4, 'login', 'failure', D(10)),
  audit(5, 'login', 'success', D(40)),
  audit(6, 'otp_sent', 'success', H(1)),
  audit(7, 'otp_verified', 'success', H(1)),
  audit(8, 'Login', 'success', H(3)),
  audit(9, 'login', 'failed', H(4)),
  audit(10, 'password_reset', 'success', H(5)),
  audit(11, 'login', 'success', H(24)),
  audit(12, 'login', 'failure', H(12)),
];

const NOTIFICATIONS: Rec[] = [
  { id: 1, subject: 's', message: 'm', sent_at: H(2), user_id: 2, event_type: 'login_high_risk' },
  { id: 2, subject: 's', message: 'm', sent_at: D(3), user_id: 2, event_type: 'login_high_risk' },
  { id: 3, subject: 's', message: 'm', sent_at: D(50), user_id: 3, event_type: null },
  { id: 4, subject: 's', message: 'm', sent_at: H(24), user_id: 3, event_type: 'other' },
];

async function insertAll(c: pg.ClientBase, table: string, rows: Rec[], defaults: Rec = {}): Promise<void> {
  for (const row of rows) {
    const full = { ...defaults, ...row };
    const cols = Object.keys(full);
    const sql = `INSERT INTO ${table} (${cols.map((k) => `"${k}"`).join(', ')})
                 VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})`;
    await c.query(sql, cols.map((k) => full[k]));
  }
}

async function loadFixture(c: pg.ClientBase): Promise<void> {
  await c.query('BEGIN');
  await insertAll(
    c,
    'users_user',
    USERS.map((u) => ({ ...u, email: `${String(u.username)}@example.ml` })),
  );
  await insertAll(c, 'depannage_client', CLIENTS);
  await insertAll(c, 'depannage_technician', TECHNICIANS);
  await insertAll(c, 'depannage_repairrequest', REQUESTS);
  await insertAll(c, 'depannage_review', REVIEWS);
  await insertAll(c, 'depannage_payment', PAYMENTS);
  await insertAll(c, 'users_auditlog', AUDIT);
  await insertAll(c, 'users_securitynotification', NOTIFICATIONS);
  await c.query('COMMIT');
}

// ---------------------------------------------------------------------------------------------
// Hand-computed expectations
// ---------------------------------------------------------------------------------------------

// Period 'all'.
//   Requests: 17 rows; completed r1 r2 r3 r4 r9 r11 r15 r16 = 8; pending r5 r10 r17; in_progress r14;
//   cancelled r8 r12; urgent r3(flag) r6(urgent) r8(sos) r10(sos) r12(urgent+flag) r14(flag) = 6.
//   Response seconds over completed rows with both stamps (r9 has no assigned_at):
//     13500 + 3600 + 3726 + 3600 + 900 + 3600 − 3600 = 25326; /7 = 3618 s = 1.005 h → 1.01
//     (a double computation gives 1.00499… → 1.00).
//   Completion hours: 3 + 4 + 2 + 1 + 0.5 + 2 + 3 = 15.5; /7 = 2.2142… → 2.21.
//   RP: 10000 + 10000.01 + 5000 + 15000.50 + 9000 + 5000.01 + 12000 + 9000 = 75000.52.
//   Payouts (completed): 8000 + 12000 = 20000. avg_request_value = 75000.52 / 8 = 9375.065 → 9375.07.
//   Payments completed 12 of 17 → 70.588… → 70.59.
//   V*: v1..v8, Σ rating 33 / 8 = 4.125 → 4.13; rating ≥ 4: 6/8 = 75; recommend 7/8 = 87.5.
//   active_users_30d: clients {u2,u3,u4,u6,u7} ∪ technicians {u7,u8,u9,u10} = 8 of 12 users.
const EXPECTED_ALL: GlobalStatisticsFigures = {
  overview: {
    total_users: 12,
    total_clients: 5,
    total_technicians: 4,
    total_admins: 2,
    active_users_30d: 8,
    new_users_30d: 6, // u3 u4 u6(exact boundary) u9 u10 u11
    total_requests: 17,
    completed_requests: 8,
    total_revenue: 75000.52,
    platform_fees: 55000.52,
    avg_rating: 4.13,
    satisfaction_rate: 75,
  },
  requests: {
    total: 17,
    pending: 3,
    in_progress: 1,
    completed: 8,
    cancelled: 2,
    urgent: 6,
    success_rate: 47.06, // 800/17 = 47.0588…
    avg_response_time_hours: 1.01,
    avg_completion_time_hours: 2.21,
  },
  financial: {
    total_revenue: 75000.52,
    total_payouts: 20000,
    platform_fees: 55000.52,
    avg_request_value: 9375.07,
    payment_methods: [
      { method: 'orange_money', count: 3, total: 30000.51 }, // 10000 + 15000.50 + 5000.01
      { method: 'moov_money', count: 2, total: 22000.01 },
      { method: 'cash', count: 1, total: 9000 }, // tie with espece at 9000: method asc
      { method: 'espece', count: 1, total: 9000 },
      { method: 'bank_transfer', count: 1, total: 5000 },
    ],
    payment_success_rate: 70.59,
  },
  satisfaction: { total_reviews: 8, avg_rating: 4.13, satisfaction_rate: 75, recommendation_rate: 87.5 },
  technicians: {
    total: 4,
    verified: 4, // t1 t2 t4 t5
    available: 3, // t1 t4 t5 (t3 available but unverified)
    avg_rating: 4.13,
    top_technicians: [
      // t1: r1 r2 r9; earnings 10000 + 10000.01 + 8000.01; V* ratings 5 4 2 → 11/3
      { id: 1, name: 'Moussa Traoré', specialty: 'plumber', total_jobs: 3, avg_rating: 3.67, total_earnings: 28000.02 },
      // t2 and t4 tie at 2 jobs: id asc. t2: r3 (NULL price) + r16; ratings 3 5; empty name → username
      { id: 2, name: 'tech2', specialty: 'plomberie', total_jobs: 2, avg_rating: 4, total_earnings: 9000 },
      // t4: r4 r15 (r13 'Completed' not counted); ratings 5 4 (v9 pending ignored)
      { id: 4, name: 'Ibrahim Coulibaly', specialty: 'plumber', total_jobs: 2, avg_rating: 4.5, total_earnings: 27000.5 },
      // t3: r11; 'Awa' + ' ' + '' trimmed
      { id: 3, name: 'Awa', specialty: 'electrician', total_jobs: 1, avg_rating: 5, total_earnings: 5000 },
    ],
  },
  specialties: {
    distribution: {
      // plumber prices 10000, 10000.01, 8000.01, 12000 (4 NULLs ignored): 40000.02 / 4 = 10000.005 → 10000.01
      plumber: { count: 8, completed: 4, avg_price: 10000.01 },
      plomberie: { count: 4, completed: 3, avg_price: 7000 }, // (5000 + 9000) / 2, r3 NULL
      it: { count: 2, completed: 0, avg_price: 7000 }, // r13 only priced, status unknown
      air_conditioning: { count: 1, completed: 0, avg_price: 0 },
      electrician: { count: 1, completed: 1, avg_price: 15000.5 },
      mechanic: { count: 1, completed: 0, avg_price: 0 },
    },
    top_specialties: [
      { specialty_needed: 'plumber', count: 8, completed: 4, avg_price: 10000.01 },
      { specialty_needed: 'plomberie', count: 4, completed: 3, avg_price: 7000 },
      { specialty_needed: 'it', count: 2, completed: 0, avg_price: 7000 },
      // three-way tie at 1: code asc, 'mechanic' dropped
      { specialty_needed: 'air_conditioning', count: 1, completed: 0, avg_price: 0 },
      { specialty_needed: 'electrician', count: 1, completed: 1, avg_price: 15000.5 },
    ],
  },
  // logins a1 a2 a5 a11; failures a3 a4 a12 → 4/7 = 57.142…
  security: { total_logins: 4, failed_logins: 3, security_alerts: 4, login_success_rate: 57.14 },
  geography: {
    // ties at 1 in byte order: 'Sikasso' < 'Ségou' ('i' < 'é') < 'kati' (lower case after upper)
    top_cities: [
      { city: 'Bamako', count: 7 }, // r1 r2 r6 r9 r10 r13 r17
      { city: 'Kayes', count: 5 }, // r3 r5 r12 r15 r16
      { city: 'Sikasso', count: 1 },
      { city: 'Ségou', count: 1 },
      { city: 'kati', count: 1 },
    ],
    service_areas: [],
  },
  trends: {
    daily: {
      '2025-07-08': { requests: 1, completed: 1, revenue: 9000, new_users: 1 }, // r9, r9 done 18:00, p7, u11 at 00:00
      '2025-07-09': { requests: 1, completed: 0, revenue: 0, new_users: 0 }, // r5
      '2025-07-10': { requests: 0, completed: 0, revenue: 0, new_users: 0 },
      '2025-07-11': { requests: 1, completed: 0, revenue: 0, new_users: 0 }, // r6
      '2025-07-12': { requests: 1, completed: 0, revenue: 0, new_users: 0 }, // r7
      '2025-07-13': { requests: 3, completed: 1, revenue: 12000, new_users: 0 }, // r12 r14 r15; r15 done; p9
      '2025-07-14': { requests: 3, completed: 1, revenue: 5000.01, new_users: 1 }, // r10 r11 r13; r11; p8; u4
    },
    weekly: {
      'Semaine 1': { requests: 10, completed: 3, revenue: 26000.01 }, // 07-08..07-14
      'Semaine 2': { requests: 2, completed: 1, revenue: 15000.5 }, // 07-01..07-07: r4 r17; r4; p5
      'Semaine 3': { requests: 1, completed: 1, revenue: 5000 }, // 06-24..06-30: r3; r3; p4
      'Semaine 4': { requests: 0, completed: 0, revenue: 0 }, // 06-17..06-23
    },
    monthly: {
      '2025-02': { requests: 0, completed: 0, revenue: 0, new_users: 1 }, // u8
      '2025-03': { requests: 0, completed: 0, revenue: 0, new_users: 0 },
      '2025-04': { requests: 1, completed: 1, revenue: 10000, new_users: 1 }, // r1, p1, u2
      '2025-05': { requests: 2, completed: 2, revenue: 19000.01, new_users: 0 }, // r2 r16, p3 p16
      '2025-06': { requests: 2, completed: 1, revenue: 5000, new_users: 4 }, // r3 r8; r3; p4; u5 u6 u9 u12
      '2025-07': { requests: 12, completed: 4, revenue: 41000.51, new_users: 4 }, // r4 r9 r11 r15; p5 p7 p8 p9; u3 u4 u10 u11
    },
  },
  advanced: {
    conversion_rate: 47.06,
    retention_rate: 66.67, // 800/12
    churn_rate: 33.33,
    ltv: 15000.1, // 75000.52 / 5 clients = 15000.104
    cac: null,
  },
};

// Period '24h' (>= 2025-07-13T12:00Z): requests r10 r11 r12 r13 r14; payments p8 p9 p10 p11 p15 p17;
// V* v6 v7; logins a1 a11, failures a3 a12; notifications s1 s4. Unfiltered parts as in 'all'.
const EXPECTED_24H: GlobalStatisticsFigures = {
  overview: {
    ...EXPECTED_ALL.overview,
    total_requests: 5,
    completed_requests: 1,
    total_revenue: 17000.01,
    platform_fees: 17000.01,
    avg_rating: 4.5,
    satisfaction_rate: 100,
  },
  requests: {
    total: 5,
    pending: 1,
    in_progress: 1,
    completed: 1,
    cancelled: 1,
    urgent: 3, // r10 r12 r14
    success_rate: 20,
    avg_response_time_hours: 0.25,
    avg_completion_time_hours: 0.5,
  },
  financial: {
    total_revenue: 17000.01, // p8 + p9
    total_payouts: 0, // p10 pending
    platform_fees: 17000.01,
    avg_request_value: 17000.01, // / 1 completed request (r11)
    payment_methods: [
      { method: 'moov_money', count: 1, total: 12000 },
      { method: 'orange_money', count: 1, total: 5000.01 },
    ],
    payment_success_rate: 50, // p8 p9 p17 of 6
  },
  satisfaction: { total_reviews: 2, avg_rating: 4.5, satisfaction_rate: 100, recommendation_rate: 100 },
  technicians: {
    total: 4,
    verified: 4,
    available: 3,
    avg_rating: 4.5,
    top_technicians: [{ id: 3, name: 'Awa', specialty: 'electrician', total_jobs: 1, avg_rating: 5, total_earnings: 5000 }],
  },
  specialties: {
    distribution: {
      plumber: { count: 3, completed: 0, avg_price: 0 },
      it: { count: 1, completed: 0, avg_price: 7000 },
      plomberie: { count: 1, completed: 1, avg_price: 5000 },
    },
    top_specialties: [
      { specialty_needed: 'plumber', count: 3, completed: 0, avg_price: 0 },
      { specialty_needed: 'it', count: 1, completed: 0, avg_price: 7000 },
      { specialty_needed: 'plomberie', count: 1, completed: 1, avg_price: 5000 },
    ],
  },
  security: { total_logins: 2, failed_logins: 2, security_alerts: 2, login_success_rate: 50 },
  geography: {
    top_cities: [
      { city: 'Bamako', count: 2 },
      { city: 'Kayes', count: 1 },
      { city: 'Sikasso', count: 1 },
    ],
    service_areas: [],
  },
  trends: EXPECTED_ALL.trends,
  advanced: { ...EXPECTED_ALL.advanced, conversion_rate: 20 },
};

const EXPECTED_REALTIME = {
  last_24h: { new_requests: 5, completed_requests: 2, new_users: 1, new_reviews: 4, revenue: 17000.01 },
  // >= 2025-07-07T12:00Z: r5 r6 r7 r9 r10..r15; completed r9 r11 r15; users u4 u10 u11;
  // reviews v5 v6 v7 v9 v10 v11 v12; RP p7 p8 p9
  last_7d: { new_requests: 10, completed_requests: 3, new_users: 3, new_reviews: 7, revenue: 26000.01 },
  active_sessions: { online_users: 3, active_technicians: 3 }, // last_login u1 u7 u11(exact boundary)
};

// ---------------------------------------------------------------------------------------------

const suffix = `${process.pid}_${Date.now()}`;
const FIXTURE_DB = `oracle_fixture_${suffix}`;
const EMPTY_DB = `oracle_empty_${suffix}`;
let admin: pg.Client;
let pool: pg.Pool;
let emptyPool: pg.Pool;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await createDatabase(admin, FIXTURE_DB);
  await createDatabase(admin, EMPTY_DB);
  pool = new pg.Pool({ connectionString: dbUrl(FIXTURE_DB), max: 3 });
  emptyPool = new pg.Pool({ connectionString: dbUrl(EMPTY_DB), max: 2 });
  const c = await pool.connect();
  try {
    await loadFixture(c);
  } finally {
    c.release();
  }
});

afterAll(async () => {
  await pool?.end();
  await emptyPool?.end();
  if (admin) {
    await admin.query(`DROP DATABASE IF EXISTS ${FIXTURE_DB} WITH (FORCE)`);
    await admin.query(`DROP DATABASE IF EXISTS ${EMPTY_DB} WITH (FORCE)`);
    await admin.end();
  }
});

describe('globalStatisticsOnPostgres on the hand-made fixture', () => {
  it("period 'all' matches the hand-computed figures", async () => {
    const got = await globalStatisticsOnPostgres(pool, { period: 'all', now: NOW });
    expect(got).toStrictEqual(EXPECTED_ALL);
  });

  it("period '24h' filters each family on its own column", async () => {
    const got = await globalStatisticsOnPostgres(pool, { period: '24h', now: NOW });
    expect(got).toStrictEqual(EXPECTED_24H);
  });

  it("period '7d' requests (half-away rounding of 0.625 h)", async () => {
    const got = await globalStatisticsOnPostgres(pool, { period: '7d', now: NOW });
    // r5 r6 r7 r9 r10..r15; completed r9 r11 r15; durations from r11 (0.25 / 0.5) and r15 (1 / 2)
    expect(got.requests).toStrictEqual({
      total: 10,
      pending: 2,
      in_progress: 1,
      completed: 3,
      cancelled: 1,
      urgent: 4,
      success_rate: 30,
      avg_response_time_hours: 0.63,
      avg_completion_time_hours: 1.25,
    });
    // 30d-style fields are never period-filtered
    expect(got.overview.active_users_30d).toBe(8);
    expect(got.advanced.ltv).toBe(15000.1);
  });

  it("period '30d' counts requests since 2025-06-14T12:00Z", async () => {
    const got = await globalStatisticsOnPostgres(pool, { period: '30d', now: NOW });
    expect(got.requests.total).toBe(13); // all but r1 r2 r8 r16
    expect(got.requests.completed).toBe(5); // r3 r4 r9 r11 r15
  });

  it('keeps the specified key order', async () => {
    const got = await globalStatisticsOnPostgres(pool, { period: 'all', now: NOW });
    expect(Object.keys(got)).toEqual([
      'overview', 'requests', 'financial', 'satisfaction', 'technicians',
      'specialties', 'security', 'geography', 'trends', 'advanced',
    ]);
    expect(Object.keys(got.trends.daily)).toEqual([
      '2025-07-08', '2025-07-09', '2025-07-10', '2025-07-11', '2025-07-12', '2025-07-13', '2025-07-14',
    ]);
    expect(Object.keys(got.trends.weekly)).toEqual(['Semaine 1', 'Semaine 2', 'Semaine 3', 'Semaine 4']);
    expect(Object.keys(got.trends.monthly)).toEqual(['2025-02', '2025-03', '2025-04', '2025-05', '2025-06', '2025-07']);
    expect(Object.keys(got.overview)).toEqual(Object.keys(EXPECTED_ALL.overview));
  });

  it('accepts a plain client and does not depend on the session time zone', async () => {
    const c = new pg.Client({ connectionString: dbUrl(FIXTURE_DB), options: '-c TimeZone=Pacific/Kiritimati' });
    await c.connect();
    try {
      expect(await globalStatisticsOnPostgres(c, { period: 'all', now: NOW })).toStrictEqual(EXPECTED_ALL);
      expect(await realTimeStatsOnPostgres(c, { now: NOW })).toStrictEqual(EXPECTED_REALTIME);
    } finally {
      await c.end();
    }
  });
});

describe('realTimeStatsOnPostgres on the hand-made fixture', () => {
  it('matches the hand-computed figures', async () => {
    expect(await realTimeStatsOnPostgres(pool, { now: NOW })).toStrictEqual(EXPECTED_REALTIME);
  });
});

describe('empty database', () => {
  // now at a UTC midnight at the turn of a year: buckets cross the year boundary
  const now = new Date('2026-01-03T00:00:00.000Z');
  const zero = { requests: 0, completed: 0, revenue: 0 };
  const zeroU = { ...zero, new_users: 0 };

  it('gives zeros everywhere without crashing', async () => {
    const got = await globalStatisticsOnPostgres(emptyPool, { period: '24h', now });
    expect(got).toStrictEqual({
      overview: {
        total_users: 0, total_clients: 0, total_technicians: 0, total_admins: 0, active_users_30d: 0,
        new_users_30d: 0, total_requests: 0, completed_requests: 0, total_revenue: 0, platform_fees: 0,
        avg_rating: 0, satisfaction_rate: 0,
      },
      requests: {
        total: 0, pending: 0, in_progress: 0, completed: 0, cancelled: 0, urgent: 0, success_rate: 0,
        avg_response_time_hours: 0, avg_completion_time_hours: 0,
      },
      financial: {
        total_revenue: 0, total_payouts: 0, platform_fees: 0, avg_request_value: 0, payment_methods: [],
        payment_success_rate: 0,
      },
      satisfaction: { total_reviews: 0, avg_rating: 0, satisfaction_rate: 0, recommendation_rate: 0 },
      technicians: { total: 0, verified: 0, available: 0, avg_rating: 0, top_technicians: [] },
      specialties: { distribution: {}, top_specialties: [] },
      security: { total_logins: 0, failed_logins: 0, security_alerts: 0, login_success_rate: 0 },
      geography: { top_cities: [], service_areas: [] },
      trends: {
        daily: {
          '2025-12-28': zeroU, '2025-12-29': zeroU, '2025-12-30': zeroU, '2025-12-31': zeroU,
          '2026-01-01': zeroU, '2026-01-02': zeroU, '2026-01-03': zeroU,
        },
        weekly: { 'Semaine 1': zero, 'Semaine 2': zero, 'Semaine 3': zero, 'Semaine 4': zero },
        monthly: {
          '2025-08': zeroU, '2025-09': zeroU, '2025-10': zeroU, '2025-11': zeroU, '2025-12': zeroU, '2026-01': zeroU,
        },
      },
      advanced: { conversion_rate: 0, retention_rate: 0, churn_rate: 0, ltv: 0, cac: null },
    } satisfies GlobalStatisticsFigures);
    expect(Object.keys(got.trends.daily)[0]).toBe('2025-12-28');
    expect(Object.keys(got.trends.monthly)).toEqual(['2025-08', '2025-09', '2025-10', '2025-11', '2025-12', '2026-01']);
  });

  it("rounds churn from the unrounded retention, inside the caller's own transaction", async () => {
    // 160 users, one of them active (a client with a request 1h ago): retention = 100/160 = 0.625
    // → 0.63 and churn = 99.375 → 99.38 (not 100 − 0.63 = 99.37). The rows live in an
    // uncommitted transaction of a plain client, which the oracle uses as is; rolled back after.
    const c = new pg.Client({ connectionString: dbUrl(EMPTY_DB) });
    await c.connect();
    try {
      await c.query('BEGIN');
      await c.query(
        `INSERT INTO users_user (id, username, email, user_type, created_at)
         SELECT i, 'u' || i, 'u' || i || '@example.ml', 'client', '2025-01-01T00:00:00Z'
           FROM generate_series(1, 160) AS i`,
      );
      await c.query(`INSERT INTO depannage_client (id, user_id) VALUES (1, 1)`);
      await c.query(
        `INSERT INTO depannage_repairrequest (id, title, specialty_needed, address, client_id, created_at)
         VALUES (1, 't', 'it', 'x', 1, '2026-01-02T23:00:00Z')`,
      );
      const got = await globalStatisticsOnPostgres(c, { period: 'all', now });
      expect(got.overview.active_users_30d).toBe(1);
      expect(got.advanced).toStrictEqual({ conversion_rate: 0, retention_rate: 0.63, churn_rate: 99.38, ltv: 0, cac: null });
    } finally {
      await c.query('ROLLBACK').catch(() => undefined);
      await c.end();
    }
  });

  it('real-time figures are zeros', async () => {
    const zeroW = { new_requests: 0, completed_requests: 0, new_users: 0, new_reviews: 0, revenue: 0 };
    expect(await realTimeStatsOnPostgres(emptyPool, { now })).toStrictEqual({
      last_24h: zeroW,
      last_7d: zeroW,
      active_sessions: { online_users: 0, active_technicians: 0 },
    });
  });
});
