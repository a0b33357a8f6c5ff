// Checks the Postgres oracle against figures computed by hand from a small fixture.
// Every expected number below was worked out on paper from the rows inserted here (the
// arithmetic is left in comments / simple expressions); none comes from running the oracle.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { dropDatabase } from '../factories/databases.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GlobalStatisticsFigures, SectionFigures, StatisticsQuery } from '../../libs/metrics/src/types.js';
import { periodQuery } from '../../libs/metrics/src/windows.js';
import {
  CAC_BASIS,
  globalStatisticsOnPostgres,
  kpisOnPostgres,
  realTimeStatsOnPostgres,
  sectionOnPostgres,
} from './postgres-oracle.js';

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
const EXTRAS_DB = `oracle_extras_${suffix}`;
let admin: pg.Client;
let pool: pg.Pool;
let emptyPool: pg.Pool;
let extrasPool: pg.Pool;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await createDatabase(admin, FIXTURE_DB);
  await createDatabase(admin, EMPTY_DB);
  await createDatabase(admin, EXTRAS_DB);
  pool = new pg.Pool({ connectionString: dbUrl(FIXTURE_DB), max: 3 });
  emptyPool = new pg.Pool({ connectionString: dbUrl(EMPTY_DB), max: 2 });
  extrasPool = new pg.Pool({ connectionString: dbUrl(EXTRAS_DB), max: 2 });
  const c = await pool.connect();
  try {
    await loadFixture(c);
  } finally {
    c.release();
  }
  const e = await extrasPool.connect();
  try {
    await loadExtrasFixture(e);
  } finally {
    e.release();
  }
});

afterAll(async () => {
  await pool?.end();
  await emptyPool?.end();
  await extrasPool?.end();
  if (admin) {
    for (const name of [EXTRAS_DB, FIXTURE_DB, EMPTY_DB]) await dropDatabase(admin, name);
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

// ---------------------------------------------------------------------------------------------
// Filters of docs/statistics-api.md on the main fixture: window [from, to), city, specialty.
// ---------------------------------------------------------------------------------------------

function query(filters: Partial<StatisticsQuery>): StatisticsQuery {
  return { period: 'custom', from: null, to: null, city: null, specialty: null, now: NOW, ...filters };
}

describe('globalStatisticsOnPostgres with a StatisticsQuery', () => {
  it('a full named-period query (periodQuery) and the equivalent custom window give the period figures', async () => {
    expect(await globalStatisticsOnPostgres(pool, periodQuery('24h', NOW))).toStrictEqual(EXPECTED_24H);
    expect(await globalStatisticsOnPostgres(pool, periodQuery('all', NOW))).toStrictEqual(EXPECTED_ALL);
    expect(await globalStatisticsOnPostgres(pool, query({ from: H(24) }))).toStrictEqual(EXPECTED_24H);
  });

  it('a window inside one day: from inclusive, to exclusive, on every filtered column', async () => {
    // [2025-07-14T09:00Z, 2025-07-14T11:00Z): r13 (09:00, inclusive) and r11 (10:00); r10 at 11:00 is out.
    // Payments: p11 (09:00, failed) only; p8 at 11:00 is out. V*: none (v6 at 11:00 out, v9 pending).
    // Audit: a8 'Login' (09:00), a3 login failure (10:00); a1 at 11:00 out. Notifications: s1 (10:00).
    const got = await globalStatisticsOnPostgres(pool, query({ from: H(3), to: H(1) }));
    expect(got.requests).toStrictEqual({
      total: 2, pending: 0, in_progress: 0, completed: 1, cancelled: 0, urgent: 0, success_rate: 50,
      avg_response_time_hours: 0.25, avg_completion_time_hours: 0.5, // r11 only ('Completed' r13 is not completed)
    });
    expect(got.financial).toStrictEqual({
      total_revenue: 0, total_payouts: 0, platform_fees: 0, avg_request_value: 0, payment_methods: [],
      payment_success_rate: 0, // 0 completed of 1
    });
    expect(got.satisfaction).toStrictEqual({ total_reviews: 0, avg_rating: 0, satisfaction_rate: 0, recommendation_rate: 0 });
    expect(got.security).toStrictEqual({ total_logins: 0, failed_logins: 1, security_alerts: 1, login_success_rate: 0 });
    expect(got.technicians.top_technicians).toStrictEqual([
      // r11 by t3; v6 (t3) is at 11:00, outside → avg_rating 0
      { id: 3, name: 'Awa', specialty: 'electrician', total_jobs: 1, avg_rating: 0, total_earnings: 5000 },
    ]);
    expect(got.specialties.top_specialties).toStrictEqual([
      { specialty_needed: 'it', count: 1, completed: 0, avg_price: 7000 }, // tie at 1: 'it' < 'plomberie'
      { specialty_needed: 'plomberie', count: 1, completed: 1, avg_price: 5000 },
    ]);
    expect(got.geography.top_cities).toStrictEqual([{ city: 'Bamako', count: 1 }]); // r11 has city ''
    expect(got.advanced.conversion_rate).toBe(50);
    // not window-filtered
    expect(got.overview.active_users_30d).toBe(8);
    expect(got.trends).toStrictEqual(EXPECTED_ALL.trends);
  });

  it('a window with only `to`', async () => {
    // to = 2025-05-16T00:00Z: requests r1 (04-05) r2 (05-15); payments p1 p2 (04-06) p3 (05-15);
    // V* v1 only (v2 is 2025-05-16T12:00); no audit row, no notification before that.
    const got = await globalStatisticsOnPostgres(pool, query({ to: at('2025-05-16T00:00:00Z') }));
    expect(got.requests).toStrictEqual({
      total: 2, pending: 0, in_progress: 0, completed: 2, cancelled: 0, urgent: 0, success_rate: 100,
      avg_response_time_hours: 2.38, // (3.75 + 1) / 2 = 2.375
      avg_completion_time_hours: 3.5, // (3 + 4) / 2
    });
    expect(got.financial).toStrictEqual({
      total_revenue: 20000.01,
      total_payouts: 8000,
      platform_fees: 12000.01,
      avg_request_value: 10000.01, // 20000.01 / 2 = 10000.005
      payment_methods: [
        { method: 'moov_money', count: 1, total: 10000.01 },
        { method: 'orange_money', count: 1, total: 10000 },
      ],
      payment_success_rate: 100,
    });
    expect(got.satisfaction).toStrictEqual({ total_reviews: 1, avg_rating: 5, satisfaction_rate: 100, recommendation_rate: 100 });
    expect(got.security).toStrictEqual({ total_logins: 0, failed_logins: 0, security_alerts: 0, login_success_rate: 0 });
  });

  it("city 'Kayes': requests, payments and reviews through their request; user/security figures unchanged", async () => {
    // Kayes: r3 (completed, plomberie, t2, flag urgent, NULL price), r5 (pending plumber), r12
    // (cancelled plumber, urgent), r15 (completed plumber t4, 12000), r16 (completed plomberie t2, 9000).
    // Payments of those requests: p4 (RP 5000) p9 (RP 12000) p10 (payout pending) p12 (refunded)
    // p13 (refund, completed) p16 (RP 9000) p17 (commission, completed) → 5 completed of 7.
    // V* of those requests: v3 (3) v7 (4) v8 (5); v12 (r5) is 'Approved', not V*.
    const got = await globalStatisticsOnPostgres(pool, query({ city: 'Kayes' }));
    const z = { requests: 0, completed: 0, revenue: 0 };
    const expected: GlobalStatisticsFigures = {
      overview: {
        ...EXPECTED_ALL.overview,
        total_requests: 5,
        completed_requests: 3,
        total_revenue: 26000,
        platform_fees: 26000,
        avg_rating: 4,
        satisfaction_rate: 66.67,
      },
      requests: {
        total: 5, pending: 1, in_progress: 0, completed: 3, cancelled: 1,
        urgent: 2, // r3 r12
        success_rate: 60,
        avg_response_time_hours: 0.35, // (3726 + 3600 − 3600) / 3 = 1242 s = 0.345 h
        avg_completion_time_hours: 2.33, // (2 + 2 + 3) / 3
      },
      financial: {
        total_revenue: 26000,
        total_payouts: 0,
        platform_fees: 26000,
        avg_request_value: 8666.67, // 26000 / 3
        payment_methods: [
          { method: 'moov_money', count: 1, total: 12000 },
          { method: 'cash', count: 1, total: 9000 },
          { method: 'bank_transfer', count: 1, total: 5000 },
        ],
        payment_success_rate: 71.43, // 5 / 7
      },
      satisfaction: { total_reviews: 3, avg_rating: 4, satisfaction_rate: 66.67, recommendation_rate: 100 },
      technicians: {
        total: 4,
        verified: 4,
        available: 3,
        avg_rating: 4,
        top_technicians: [
          // t2: r3 (NULL) r16 (9000); V* v3 (3) v8 (5)
          { id: 2, name: 'tech2', specialty: 'plomberie', total_jobs: 2, avg_rating: 4, total_earnings: 9000 },
          // t4: r15 only (r4 is in Ségou); V* v7 (4) only (v4 is r4's)
          { id: 4, name: 'Ibrahim Coulibaly', specialty: 'plumber', total_jobs: 1, avg_rating: 4, total_earnings: 12000 },
        ],
      },
      specialties: {
        distribution: {
          plumber: { count: 3, completed: 1, avg_price: 12000 },
          plomberie: { count: 2, completed: 2, avg_price: 9000 },
        },
        top_specialties: [
          { specialty_needed: 'plumber', count: 3, completed: 1, avg_price: 12000 },
          { specialty_needed: 'plomberie', count: 2, completed: 2, avg_price: 9000 },
        ],
      },
      security: EXPECTED_ALL.security,
      geography: { top_cities: [{ city: 'Kayes', count: 5 }], service_areas: [] },
      trends: {
        daily: {
          '2025-07-08': { ...z, new_users: 1 },
          '2025-07-09': { requests: 1, completed: 0, revenue: 0, new_users: 0 }, // r5
          '2025-07-10': { ...z, new_users: 0 },
          '2025-07-11': { ...z, new_users: 0 },
          '2025-07-12': { ...z, new_users: 0 },
          '2025-07-13': { requests: 2, completed: 1, revenue: 12000, new_users: 0 }, // r12 r15; r15; p9
          '2025-07-14': { ...z, new_users: 1 },
        },
        weekly: {
          'Semaine 1': { requests: 3, completed: 1, revenue: 12000 },
          'Semaine 2': z,
          'Semaine 3': { requests: 1, completed: 1, revenue: 5000 }, // r3, p4
          'Semaine 4': z,
        },
        monthly: {
          '2025-02': { ...z, new_users: 1 },
          '2025-03': { ...z, new_users: 0 },
          '2025-04': { ...z, new_users: 1 },
          '2025-05': { requests: 1, completed: 1, revenue: 9000, new_users: 0 }, // r16, p16
          '2025-06': { requests: 1, completed: 1, revenue: 5000, new_users: 4 }, // r3, p4
          '2025-07': { requests: 3, completed: 1, revenue: 12000, new_users: 4 },
        },
      },
      advanced: { ...EXPECTED_ALL.advanced, conversion_rate: 60 },
    };
    expect(got).toStrictEqual(expected);
  });

  it('specialty filter, city + specialty together, and a city that matches nothing (case-sensitive)', async () => {
    // plumber: r1 r2 r5 r9 r10 r12 r14 r15; completed r1 r2 r9 r15.
    // RP of plumber requests: p1 10000 + p3 10000.01 + p7 9000 + p9 12000 = 41000.01 (p15 'COMPLETED').
    const plumber = await globalStatisticsOnPostgres(pool, query({ specialty: 'plumber' }));
    expect(plumber.requests.total).toBe(8);
    expect(plumber.requests.completed).toBe(4);
    expect(plumber.financial.total_revenue).toBe(41000.01);
    expect(plumber.financial.avg_request_value).toBe(10250); // 41000.01 / 4 = 10250.0025
    expect(Object.keys(plumber.specialties.distribution)).toEqual(['plumber']);

    // Bamako + plumber: r1 r2 r9 (completed) r10 (pending, sos).
    const both = await globalStatisticsOnPostgres(pool, query({ city: 'Bamako', specialty: 'plumber' }));
    expect(both.requests).toStrictEqual({
      total: 4, pending: 1, in_progress: 0, completed: 3, cancelled: 0, urgent: 1, success_rate: 75,
      avg_response_time_hours: 2.38, // r1 3.75, r2 1 (r9 untimed)
      avg_completion_time_hours: 3.5,
    });
    // p1 p2 (payout 8000) p3 p7: all completed
    expect(both.financial).toStrictEqual({
      total_revenue: 29000.01,
      total_payouts: 8000,
      platform_fees: 21000.01,
      avg_request_value: 9666.67, // 29000.01 / 3
      payment_methods: [
        { method: 'moov_money', count: 1, total: 10000.01 },
        { method: 'orange_money', count: 1, total: 10000 },
        { method: 'espece', count: 1, total: 9000 },
      ],
      payment_success_rate: 100,
    });
    // v1 (5) v2 (4) v5 (2, no recommendation)
    expect(both.satisfaction).toStrictEqual({ total_reviews: 3, avg_rating: 3.67, satisfaction_rate: 66.67, recommendation_rate: 66.67 });

    const none = await globalStatisticsOnPostgres(pool, query({ city: 'bamako' }));
    expect(none.requests.total).toBe(0);
    expect(none.financial.total_revenue).toBe(0);
    expect(none.financial.payment_success_rate).toBe(0);
    expect(none.satisfaction.total_reviews).toBe(0);
    expect(none.technicians.top_technicians).toEqual([]);
    expect(none.overview.total_users).toBe(12);
    expect(none.advanced.ltv).toBe(15000.1);
    expect(none.security).toStrictEqual(EXPECTED_ALL.security);
  });
});

describe('sectionOnPostgres on the main fixture: sections without extra keys', () => {
  it('overview, financial and advanced are exactly the global section', async () => {
    const q = periodQuery('all', NOW);
    expect(await sectionOnPostgres(pool, 'overview', q)).toStrictEqual(EXPECTED_ALL.overview);
    expect(await sectionOnPostgres(pool, 'financial', q)).toStrictEqual(EXPECTED_ALL.financial);
    expect(await sectionOnPostgres(pool, 'advanced', periodQuery('24h', NOW))).toStrictEqual(EXPECTED_24H.advanced);
    expect(Object.keys(await sectionOnPostgres(pool, 'overview', q))).toEqual(Object.keys(EXPECTED_ALL.overview));
  });

  it('requests.by_status on the main fixture (unknown status, ties by byte order)', async () => {
    // completed 8; pending 3 (r5 r10 r17); cancelled 2; then ones: 'Completed' < 'assigned' < 'draft' < 'in_progress'
    const got = await sectionOnPostgres(pool, 'requests', { period: 'all', now: NOW });
    expect(got).toStrictEqual({
      ...EXPECTED_ALL.requests,
      by_status: { completed: 8, pending: 3, cancelled: 2, Completed: 1, assigned: 1, draft: 1, in_progress: 1 },
    });
    expect(Object.keys(got.by_status)).toEqual(['completed', 'pending', 'cancelled', 'Completed', 'assigned', 'draft', 'in_progress']);
  });
});

// ---------------------------------------------------------------------------------------------
// Extras fixture (own database): every extra key of the section endpoints and the KPIs.
// now = NOW (2025-07-14T12:00Z): 30d window >= 2025-06-14T12:00Z.
// ---------------------------------------------------------------------------------------------

const X_USERS: Rec[] = [
  { id: 1, username: 'adm', user_type: 'admin', created_at: at('2025-01-01T00:00:00Z') },
  { id: 2, username: 'c1', user_type: 'client', created_at: H(10) }, // new client (30d)
  { id: 3, username: 'c2', user_type: 'client', created_at: D(29) }, // new client (30d)
  { id: 4, username: 'c3', user_type: 'client', created_at: D(31) }, // not new
  { id: 5, username: 'ali', user_type: 'technician', created_at: at('2025-01-01T00:00:00Z'), first_name: 'Ali', last_name: 'Keita' },
  { id: 6, username: 'binta', user_type: 'technician', created_at: at('2025-01-01T00:00:00Z'), first_name: 'Binta' },
  { id: 7, username: 'cheick', user_type: 'technician', created_at: at('2025-01-01T00:00:00Z') },
];
const X_CLIENTS: Rec[] = [
  { id: 1, user_id: 2 },
  { id: 2, user_id: 3 },
  { id: 3, user_id: 4 },
];
const X_TECHNICIANS: Rec[] = [
  { id: 1, user_id: 5, specialty: 'electrician', is_verified: true, is_available: true },
  { id: 2, user_id: 6, specialty: 'plumber', is_verified: true, is_available: false },
  { id: 3, user_id: 7, specialty: 'it', is_verified: false, is_available: true },
];

function xreq(
  id: number, createdIso: string, status: string, client: number, tech: number | null, specialty: string,
  city: string, lat: number | null, lon: number | null, price: string | null,
  assignedAfterH: number | null, completedAfterH: number | null,
): Rec {
  const created = at(createdIso);
  return {
    id, created_at: created, status, client_id: client, technician_id: tech, specialty_needed: specialty, city,
    latitude: lat, longitude: lon, final_price: price, title: `q${id}`, address: 'x',
    assigned_at: assignedAfterH === null ? null : plus(created, assignedAfterH * 3600),
    completed_at: completedAfterH === null ? null : plus(created, completedAfterH * 3600),
  };
}

// Cells (floor(x × 100)): q1 q2 → (1263, −801); q3 q8 → (1444, −1145); q7 → (1263, −800); q10 → (0, 0).
const X_REQUESTS: Rec[] = [
  xreq(1, '2025-07-10T08:00:00Z', 'completed', 1, 1, 'electrician', 'Bamako', 12.6391, -8.0012, '10000.00', 2, 5), // resp 2 compl 3 resol 5
  xreq(2, '2025-07-11T08:00:00Z', 'completed', 1, 1, 'electrician', 'Bamako', 12.6399, -8.0001, '20000.00', 1, 2), // 1 1 2
  xreq(3, '2025-07-12T08:00:00Z', 'completed', 2, 2, 'plumber', 'Kayes', 14.4469, -11.4443, '5000.00', 4, 4.5), // 4 0.5 4.5
  xreq(4, '2025-07-12T09:00:00Z', 'pending', 2, null, 'plumber', 'Kayes', 95, 10, null, null, null), // latitude off the map
  xreq(5, '2025-07-13T09:00:00Z', 'Pending', 3, 2, 'plumber', 'Ségou', Number.NaN, 5, null, null, null),
  xreq(6, '2025-07-13T10:00:00Z', 'cancelled', 3, null, 'electrician', 'Sikasso', Number.POSITIVE_INFINITY, 1, null, null, null),
  xreq(7, '2025-07-13T11:00:00Z', 'completed', 2, 3, 'it', '', 12.6391, -7.9999, null, null, 1), // untimed
  xreq(8, '2025-07-14T10:00:00Z', 'assigned', 3, 3, 'it', 'Kayes', 14.4405, -11.4401, null, 0, null),
  xreq(9, '2025-06-01T00:00:00Z', 'completed', 1, 1, 'electrician', 'Bamako', null, null, '7000.00', 1, 2), // 1 1 2
  xreq(10, '2025-05-01T00:00:00Z', 'completed', 1, null, 'plumber', 'Mopti', 0, 0, '1000.00', null, null),
  xreq(11, '2025-05-02T00:00:00Z', 'cancelled', 2, null, 'plumber', 'Gao', 12, 1e300, null, null, null), // longitude off the map
];

function xpay(id: number, request: number, type: string, status: string, method: string, amount: string, iso: string): Rec {
  return { id, request_id: request, payment_type: type, status, method, amount, created_at: at(iso), payer_id: 2, recipient_id: 5 };
}
const X_PAYMENTS: Rec[] = [
  xpay(1, 1, 'client_payment', 'completed', 'orange_money', '10000.00', '2025-07-10T09:00:00Z'),
  xpay(2, 2, 'client_payment', 'completed', 'moov_money', '20000.00', '2025-07-11T09:00:00Z'),
  xpay(3, 3, 'client_payment', 'completed', 'cash', '5000.00', '2025-07-12T09:00:00Z'),
  xpay(4, 9, 'client_payment', 'completed', 'cash', '7000.00', '2025-06-01T05:00:00Z'),
  xpay(5, 6, 'client_payment', 'completed', 'cash', '500.00', '2025-07-13T10:30:00Z'),
  xpay(6, 1, 'technician_payout', 'completed', 'cash', '8000.00', '2025-07-10T10:00:00Z'),
  xpay(7, 9, 'client_payment', 'completed', 'orange_money', '3000.00', '2025-07-14T08:00:00Z'),
  xpay(8, 10, 'client_payment', 'completed', 'cash', '1000.00', '2025-07-05T00:00:00Z'),
  xpay(9, 11, 'client_payment', 'completed', 'cash', '0.00', '2025-07-06T00:00:00Z'),
  xpay(10, 4, 'client_payment', 'pending', 'cash', '4000.00', '2025-07-12T10:00:00Z'),
];

function xrev(id: number, request: number, tech: number, client: number, rating: number, iso: string, extra: Rec = {}): Rec {
  return { id, request_id: request, technician_id: tech, client_id: client, rating, created_at: at(iso), moderation_status: 'approved', ...extra };
}
// V*: v1 5, v2 4, v3 5 (no recommendation), v4 0, v5 7, v7 −1 (ratings outside 1..5 are storable)
const X_REVIEWS: Rec[] = [
  xrev(1, 1, 1, 1, 5, '2025-07-10T12:00:00Z'),
  xrev(2, 2, 1, 1, 4, '2025-07-11T12:00:00Z'),
  xrev(3, 3, 2, 2, 5, '2025-07-12T12:00:00Z', { would_recommend: false }),
  xrev(4, 7, 3, 2, 0, '2025-07-14T11:30:00Z'),
  xrev(5, 9, 1, 1, 7, '2025-06-02T00:00:00Z'),
  xrev(6, 5, 2, 3, 2, '2025-07-13T12:00:00Z', { moderation_status: 'pending' }),
  xrev(7, 8, 3, 3, -1, '2025-07-14T11:00:00Z'),
];

function xaudit(id: number, ip: string, risk: number, event: string, status: string, city: string, iso: string): Rec {
  return { id, ip_address: ip, risk_score: risk, event_type: event, status, geo_city: city, timestamp: at(iso), user_id: null };
}
const X_AUDIT: Rec[] = [
  xaudit(1, '10.1.2.3', 85, 'login', 'failure', 'Bamako', '2025-07-14T10:00:00Z'),
  xaudit(2, '10.1.2.3/32', 90, 'login', 'failure', 'Bamako', '2025-07-14T10:05:00Z'), // same host as a1
  xaudit(3, '10.0.0.0/8', 80, 'password_reset', 'success', 'Kayes', '2025-07-13T00:00:00Z'), // 80: high risk
  xaudit(4, '2001:db8::1', 100, 'otp_sent', 'success', '', '2025-07-12T00:00:00Z'),
  xaudit(5, '10.1.2.3/24', 120, 'login', 'failure', 'Kayes', '2025-07-11T00:00:00Z'),
  xaudit(6, '192.168.0.1', 79, 'login', 'failure', 'Bamako', '2025-07-14T09:00:00Z'), // 79: not high risk
  xaudit(7, '2001:db8:0:0:0:0:0:1', 95, 'login', 'success', 'Ségou', '2025-06-01T00:00:00Z'),
  xaudit(8, '9.9.9.9', 81, 'login', 'success', 'Sikasso', '2025-07-10T00:00:00Z'),
];

async function loadExtrasFixture(c: pg.ClientBase): Promise<void> {
  await c.query('BEGIN');
  await insertAll(c, 'users_user', X_USERS.map((u) => ({ ...u, email: `${String(u.username)}@example.ml` })));
  await insertAll(c, 'depannage_client', X_CLIENTS);
  await insertAll(c, 'depannage_technician', X_TECHNICIANS);
  await insertAll(c, 'depannage_repairrequest', X_REQUESTS);
  await insertAll(c, 'depannage_review', X_REVIEWS);
  await insertAll(c, 'depannage_payment', X_PAYMENTS);
  await insertAll(c, 'users_auditlog', X_AUDIT);
  await c.query('COMMIT');
}

const X_ALL = periodQuery('all', NOW);
const X_JULY = query({ from: at('2025-07-01T00:00:00Z') }); // excludes q9 q10 q11, p4, v5, a7

describe('sectionOnPostgres extras (extras fixture)', () => {
  it('requests: base figures + by_status (unknown values, ties by byte order)', async () => {
    const got = await sectionOnPostgres(extrasPool, 'requests', X_ALL);
    expect(got).toStrictEqual({
      total: 11, pending: 1, in_progress: 0, completed: 6, cancelled: 2, urgent: 0,
      success_rate: 54.55, // 6 / 11
      avg_response_time_hours: 2, // q1 2, q2 1, q3 4, q9 1
      avg_completion_time_hours: 1.38, // (3 + 1 + 0.5 + 1) / 4 = 1.375
      by_status: { completed: 6, cancelled: 2, Pending: 1, assigned: 1, pending: 1 },
    } satisfies SectionFigures<'requests'>);
    expect(Object.keys(got)).toEqual([
      'total', 'pending', 'in_progress', 'completed', 'cancelled', 'urgent', 'success_rate',
      'avg_response_time_hours', 'avg_completion_time_hours', 'by_status',
    ]);
    expect(Object.keys(got.by_status)).toEqual(['completed', 'cancelled', 'Pending', 'assigned', 'pending']);
  });

  it('satisfaction: rating_distribution with 1..5 always present and out-of-range ratings', async () => {
    const got = await sectionOnPostgres(extrasPool, 'satisfaction', X_ALL);
    // V* ratings 5 4 5 0 7 −1: Σ 20 / 6; ≥ 4: 4 of 6; recommend 5 of 6
    expect(got).toStrictEqual({
      total_reviews: 6, avg_rating: 3.33, satisfaction_rate: 66.67, recommendation_rate: 83.33,
      rating_distribution: { '1': 0, '2': 0, '3': 0, '4': 1, '5': 2, '0': 1, '7': 1, '-1': 1 },
    });
    // JS enumerates integer-like keys in numeric order first, then '-1'
    expect(Object.keys(got.rating_distribution)).toEqual(['0', '1', '2', '3', '4', '5', '7', '-1']);
    // electrician requests q1 q2 q6 q9 → v1 (5) v2 (4) v5 (7)
    const elec = await sectionOnPostgres(extrasPool, 'satisfaction', query({ specialty: 'electrician' }));
    expect(elec).toStrictEqual({
      total_reviews: 3, avg_rating: 5.33, satisfaction_rate: 100, recommendation_rate: 100,
      rating_distribution: { '1': 0, '2': 0, '3': 0, '4': 1, '5': 1, '7': 1 },
    });
    // nothing in the window: the five keys at 0
    const empty = await sectionOnPostgres(extrasPool, 'satisfaction', query({ to: at('2025-01-01T00:00:00Z') }));
    expect(empty.rating_distribution).toStrictEqual({ '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 });
  });

  it('technicians: requests_per_technician', async () => {
    const got = await sectionOnPostgres(extrasPool, 'technicians', X_ALL);
    expect(got).toStrictEqual({
      total: 3,
      verified: 2,
      available: 1,
      avg_rating: 3.33,
      top_technicians: [
        // t1: q1 q2 q9 (37000); V* 5 4 7 → 16/3
        { id: 1, name: 'Ali Keita', specialty: 'electrician', total_jobs: 3, avg_rating: 5.33, total_earnings: 37000 },
        // t2: q3 (q10 has no technician); V* v3 (v6 pending)
        { id: 2, name: 'Binta', specialty: 'plumber', total_jobs: 1, avg_rating: 5, total_earnings: 5000 },
        // t3: q7 (NULL price); V* 0 and −1
        { id: 3, name: 'cheick', specialty: 'it', total_jobs: 1, avg_rating: -0.5, total_earnings: 0 },
      ],
      requests_per_technician: 2.33, // q1 q2 q3 q5 q7 q8 q9 = 7 (any status) / 3 technician users
    });
    // Kayes: q3 q8 with a technician (q4 without) → 2 / 3
    expect((await sectionOnPostgres(extrasPool, 'technicians', query({ city: 'Kayes' }))).requests_per_technician).toBe(0.67);
  });

  it('specialties: performance in top_specialties order, no limit', async () => {
    const got = await sectionOnPostgres(extrasPool, 'specialties', X_ALL);
    expect(got.performance).toStrictEqual([
      // q3 q4 q5 q10 q11; completed q3 q10; prices 5000 1000; timed q3 only
      { specialty_needed: 'plumber', count: 5, completed: 2, success_rate: 40, avg_price: 3000,
        avg_response_time_hours: 4, avg_completion_time_hours: 0.5 },
      // q1 q2 q6 q9; completed q1 q2 q9; prices 10000 20000 7000; responses 2 1 1, completions 3 1 1
      { specialty_needed: 'electrician', count: 4, completed: 3, success_rate: 75, avg_price: 12333.33,
        avg_response_time_hours: 1.33, avg_completion_time_hours: 1.67 },
      // q7 (completed, untimed) q8
      { specialty_needed: 'it', count: 2, completed: 1, success_rate: 50, avg_price: 0,
        avg_response_time_hours: 0, avg_completion_time_hours: 0 },
    ]);
    expect(got.top_specialties).toStrictEqual([
      { specialty_needed: 'plumber', count: 5, completed: 2, avg_price: 3000 },
      { specialty_needed: 'electrician', count: 4, completed: 3, avg_price: 12333.33 },
      { specialty_needed: 'it', count: 2, completed: 1, avg_price: 0 },
    ]);
    expect(Object.keys(got)).toEqual(['distribution', 'top_specialties', 'performance']);
  });

  it('security: high-risk events, IPs as printed by Postgres, cities; not city-filtered', async () => {
    const expected: SectionFigures<'security'> = {
      // logins: success a7 a8, failure a1 a2 a5 a6 → 2 / 6
      total_logins: 2, failed_logins: 4, security_alerts: 0, login_success_rate: 33.33,
      high_risk_events: 7, // all but a6 (79)
      top_risky_ips: [
        { ip_address: '10.1.2.3', events: 2, max_risk_score: 90 }, // a1 + a2 ('10.1.2.3/32' prints as '10.1.2.3')
        { ip_address: '2001:db8::1', events: 2, max_risk_score: 100 }, // a4 + a7
        { ip_address: '10.0.0.0/8', events: 1, max_risk_score: 80 }, // ties in byte order of the text
        { ip_address: '10.1.2.3/24', events: 1, max_risk_score: 120 },
        { ip_address: '9.9.9.9', events: 1, max_risk_score: 81 },
      ],
      top_risky_cities: [
        { city: 'Bamako', events: 2 },
        { city: 'Kayes', events: 2 },
        { city: 'Sikasso', events: 1 }, // 'i' < 'é' in byte order
        { city: 'Ségou', events: 1 },
      ],
    };
    const got = await sectionOnPostgres(extrasPool, 'security', X_ALL);
    expect(got).toStrictEqual(expected);
    expect(Object.keys(got)).toEqual(Object.keys(expected));
    expect(await sectionOnPostgres(extrasPool, 'security', query({ city: 'Kayes', specialty: 'it' }))).toStrictEqual(expected);
    // from 2025-07-01: a7 (IPv6, Ségou) leaves
    const july = await sectionOnPostgres(extrasPool, 'security', X_JULY);
    expect(july.high_risk_events).toBe(6);
    expect(july.top_risky_ips).toStrictEqual([
      { ip_address: '10.1.2.3', events: 2, max_risk_score: 90 },
      { ip_address: '10.0.0.0/8', events: 1, max_risk_score: 80 },
      { ip_address: '10.1.2.3/24', events: 1, max_risk_score: 120 },
      { ip_address: '2001:db8::1', events: 1, max_risk_score: 100 },
      { ip_address: '9.9.9.9', events: 1, max_risk_score: 81 },
    ]);
    expect(july.top_risky_cities).toStrictEqual([
      { city: 'Bamako', events: 2 },
      { city: 'Kayes', events: 2 },
      { city: 'Sikasso', events: 1 },
    ]);
    expect(july.total_logins).toBe(1); // a8
  });

  it('geography: cities (revenue through the request, zero-revenue rule) and map_points', async () => {
    const got = await sectionOnPostgres(extrasPool, 'geography', X_ALL);
    expect(got).toStrictEqual({
      top_cities: [
        { city: 'Bamako', count: 3 },
        { city: 'Kayes', count: 3 },
        { city: 'Gao', count: 1 },
        { city: 'Mopti', count: 1 },
        { city: 'Sikasso', count: 1 },
        { city: 'Ségou', count: 1 },
      ],
      service_areas: [],
      cities: [
        { city: 'Bamako', requests: 3, completed: 3, revenue: 40000 }, // p1 p2 p4 p7
        { city: 'Kayes', requests: 3, completed: 1, revenue: 5000 }, // p3 (p10 pending)
        { city: 'Mopti', requests: 1, completed: 1, revenue: 1000 },
        { city: 'Sikasso', requests: 1, completed: 0, revenue: 500 },
        { city: 'Gao', requests: 1, completed: 0, revenue: 0 }, // revenue tie at 0: 'Gao' < 'Ségou'
        { city: 'Ségou', requests: 1, completed: 0, revenue: 0 },
      ],
      map_points: [
        { latitude: 12.63, longitude: -8.01, requests: 2 }, // q1 q2 (floor of −800.12 is −801)
        { latitude: 14.44, longitude: -11.45, requests: 2 }, // q3 q8
        { latitude: 0, longitude: 0, requests: 1 }, // q10
        { latitude: 12.63, longitude: -8, requests: 1 }, // q7 (city '' still has a point)
        // q9 NULL, q5 NaN, q6 Infinity, q4 latitude 95, q11 longitude 1e300: off the map
      ],
    } satisfies SectionFigures<'geography'>);

    // from 2025-07-01: Bamako keeps q1 q2 and gets p7 (paid in July for the June request q9);
    // Mopti has no request in the window but p8 1000 → listed; Gao: no request, revenue 0 → not listed.
    const july = await sectionOnPostgres(extrasPool, 'geography', X_JULY);
    expect(july.cities).toStrictEqual([
      { city: 'Kayes', requests: 3, completed: 1, revenue: 5000 },
      { city: 'Bamako', requests: 2, completed: 2, revenue: 33000 },
      { city: 'Sikasso', requests: 1, completed: 0, revenue: 500 },
      { city: 'Ségou', requests: 1, completed: 0, revenue: 0 },
      { city: 'Mopti', requests: 0, completed: 0, revenue: 1000 },
    ]);
    expect(july.map_points).toStrictEqual([
      { latitude: 12.63, longitude: -8.01, requests: 2 },
      { latitude: 14.44, longitude: -11.45, requests: 2 },
      { latitude: 12.63, longitude: -8, requests: 1 },
    ]);

    const bamako = await sectionOnPostgres(extrasPool, 'geography', query({ city: 'Bamako' }));
    expect(bamako.cities).toStrictEqual([{ city: 'Bamako', requests: 3, completed: 3, revenue: 40000 }]);
    expect(bamako.map_points).toStrictEqual([{ latitude: 12.63, longitude: -8.01, requests: 2 }]);
  });

  it('trends: ratings per bucket (V*, through the request for specialty), base series unchanged', async () => {
    const zr = { reviews: 0, avg_rating: 0 };
    const got = await sectionOnPostgres(extrasPool, 'trends', X_ALL);
    expect(Object.keys(got)).toEqual(['daily', 'weekly', 'monthly', 'ratings']);
    expect(got.ratings).toStrictEqual({
      daily: {
        '2025-07-08': zr,
        '2025-07-09': zr,
        '2025-07-10': { reviews: 1, avg_rating: 5 },
        '2025-07-11': { reviews: 1, avg_rating: 4 },
        '2025-07-12': { reviews: 1, avg_rating: 5 },
        '2025-07-13': zr, // v6 is pending
        '2025-07-14': { reviews: 2, avg_rating: -0.5 }, // 0 and −1
      },
      weekly: { 'Semaine 1': { reviews: 5, avg_rating: 2.6 }, 'Semaine 2': zr, 'Semaine 3': zr, 'Semaine 4': zr },
      monthly: {
        '2025-02': zr, '2025-03': zr, '2025-04': zr, '2025-05': zr,
        '2025-06': { reviews: 1, avg_rating: 7 },
        '2025-07': { reviews: 5, avg_rating: 2.6 }, // 13 / 5
      },
    });
    expect(Object.keys(got.ratings.daily)).toEqual(Object.keys(got.daily));
    // requests per bucket, hand-counted: July 8 requests (q1..q8), June q9, May q10 q11
    expect(got.monthly['2025-07']).toStrictEqual({ requests: 8, completed: 4, revenue: 39500, new_users: 1 }); // p1 p2 p3 p5 p7 p8 p9
    expect(got.monthly['2025-05']).toStrictEqual({ requests: 2, completed: 0, revenue: 0, new_users: 0 }); // q10 has no completed_at

    const elec = await sectionOnPostgres(extrasPool, 'trends', query({ specialty: 'electrician' }));
    expect(elec.ratings.weekly['Semaine 1']).toStrictEqual({ reviews: 2, avg_rating: 4.5 }); // v1 v2
    expect(elec.ratings.monthly['2025-06']).toStrictEqual({ reviews: 1, avg_rating: 7 }); // v5
    expect(elec.ratings.daily['2025-07-14']).toStrictEqual(zr);
    // requests q1 q2 q6 in July; revenue p1 p2 p5 p7; new_users never filtered
    expect(elec.monthly['2025-07']).toStrictEqual({ requests: 3, completed: 2, revenue: 33500, new_users: 1 });
  });
});

describe('kpisOnPostgres (business + operational)', () => {
  it('period all, with a configured spend', async () => {
    const got = await kpisOnPostgres(extrasPool, X_ALL, { acquisitionSpendXof: 100001 });
    expect(got).toStrictEqual({
      business: {
        conversion_rate: 54.55,
        // active 30d: clients c1 c2 c3 (users 2 3 4) + technicians t1 t2 t3 (users 5 6 7) = 6 of 7
        retention_rate: 85.71,
        churn_rate: 14.29,
        ltv: 15500, // RP all time 10000 + 20000 + 5000 + 7000 + 500 + 3000 + 1000 + 0 = 46500 / 3 clients
        cac: { value: 50000.5, spend_xof: 100001, new_clients_30d: 2, basis: CAC_BASIS }, // users 2 and 3
      },
      operational: {
        resolution_time_hours: 3.38, // (5 + 2 + 4.5 + 2) / 4 = 3.375 = 2 + 1.375
        technician_efficiency: 1.67, // completed with a technician q1 q2 q3 q7 q9 = 5 / {t1 t2 t3}
        requests_per_technician: 2.33,
        quality_of_service: { avg_rating: 3.33, satisfaction_rate: 66.67, recommendation_rate: 83.33 },
      },
    });
    expect(Object.keys(got)).toEqual(['business', 'operational']);
  });

  it('no spend configured → cac.value null; city filter on the operational side only', async () => {
    const got = await kpisOnPostgres(extrasPool, query({ city: 'Bamako' }), { acquisitionSpendXof: null });
    expect(got).toStrictEqual({
      business: {
        conversion_rate: 100, // q1 q2 q9 all completed
        retention_rate: 85.71,
        churn_rate: 14.29,
        ltv: 15500,
        cac: { value: null, spend_xof: null, new_clients_30d: 2, basis: CAC_BASIS },
      },
      operational: {
        resolution_time_hours: 3, // (5 + 2 + 2) / 3
        technician_efficiency: 3, // 3 jobs / t1
        requests_per_technician: 1, // 3 / 3
        quality_of_service: { avg_rating: 5.33, satisfaction_rate: 100, recommendation_rate: 100 }, // v1 v2 v5
      },
    });
  });

  it('zero new clients → cac.value null even with a spend; all zeros on an empty database', async () => {
    const now = new Date('2026-01-03T00:00:00.000Z');
    expect(await kpisOnPostgres(emptyPool, periodQuery('7d', now), { acquisitionSpendXof: 5000 })).toStrictEqual({
      business: {
        conversion_rate: 0, retention_rate: 0, churn_rate: 0, ltv: 0,
        cac: { value: null, spend_xof: 5000, new_clients_30d: 0, basis: CAC_BASIS },
      },
      operational: {
        resolution_time_hours: 0, technician_efficiency: 0, requests_per_technician: 0,
        quality_of_service: { avg_rating: 0, satisfaction_rate: 0, recommendation_rate: 0 },
      },
    });
    // extras fixture a year later: no client registered in the last 30 days
    const later = await kpisOnPostgres(extrasPool, periodQuery('all', at('2026-07-14T12:00:00Z')), { acquisitionSpendXof: 5000 });
    expect(later.business.cac).toStrictEqual({ value: null, spend_xof: 5000, new_clients_30d: 0, basis: CAC_BASIS });
    // a spend of 0 is a configured spend: 0 / 2
    const zero = await kpisOnPostgres(extrasPool, X_ALL, { acquisitionSpendXof: 0 });
    expect(zero.business.cac.value).toBe(0);
  });
});
