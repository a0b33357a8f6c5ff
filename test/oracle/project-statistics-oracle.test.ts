// Checks the legacy endpoints' Postgres oracle against figures worked out by hand from a small
// fixture (the arithmetic is in the comments); none comes from running the oracle or the service.
// It covers the rules most easily got wrong: 1-decimal rounding half away from zero (where
// Python's round() or a float would go the other way), ties, unknown statuses and specialties,
// avg_price null, a request with two payments counted once, reviews reached through the request,
// the French specialty label, the name falling back to the username, negative platform fees.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProjectStatistics } from '../../libs/metrics/src/legacy-types.js';
import { ADMIN_URL, dropDatabase, uniqueName } from '../factories/databases.js';
import { legacyExportOnPostgres, projectStatisticsOnPostgres, pythonFloatOf } from './project-statistics-oracle.js';

const SCHEMA_FILE = fileURLToPath(new URL('../../apps/demo/sql/operational-schema.sql', import.meta.url));

// now = Monday 2025-07-14 12:00 UTC; 24 h window ≥ 07-13 12:00, 7 d ≥ 07-07 12:00, 30 d ≥ 06-14 12:00.
const NOW = new Date('2025-07-14T12:00:00.000Z');
const H = (hours: number): Date => new Date(NOW.getTime() - hours * 3_600_000);
const D = (days: number): Date => H(days * 24);

type Rec = Record<string, unknown>;

const USERS: Rec[] = [
  { id: 1, username: 'admin1', user_type: 'admin' },
  { id: 2, username: 'alice', user_type: 'client', first_name: 'Alice', last_name: 'Diallo' },
  { id: 3, username: 'bob', user_type: 'client' },
  { id: 4, username: 'tech1', user_type: 'technician', first_name: 'Moussa', last_name: 'Traoré' },
  { id: 5, username: 'tech2', user_type: 'technician' }, // empty name → username
  { id: 6, username: 'tech3', user_type: 'technician', first_name: 'Awa' }, // 'Awa ' trimmed
  { id: 7, username: 'tech4', user_type: 'technician', first_name: 'Ibrahim', last_name: 'Coulibaly' },
  { id: 8, username: 'sup', user_type: 'superviseur', is_active: false }, // counts in total_users only
];

const CLIENTS: Rec[] = [
  { id: 1, user_id: 2 },
  { id: 2, user_id: 3 },
  { id: 3, user_id: 4 }, // tech1 is also a client: one active user
];

const TECHNICIANS: Rec[] = [
  { id: 1, user_id: 4, specialty: 'plumber', is_verified: true, is_available: true },
  { id: 2, user_id: 5, specialty: 'serrurerie', is_verified: true, is_available: false }, // unknown: raw
  { id: 3, user_id: 6, specialty: 'electrician', is_verified: true, is_available: true },
  { id: 4, user_id: 7, specialty: 'it', is_verified: false, is_available: true }, // unverified: never in the top
  { id: 5, user_id: 8, specialty: 'locksmith', is_verified: false, is_available: false },
];

function req(id: number, created: Date, status: string, client: number, tech: number | null, specialty: string, city: string, price: string | null): Rec {
  return { id, created_at: created, status, client_id: client, technician_id: tech, specialty_needed: specialty, city, final_price: price, title: `r${id}`, address: 'x' };
}

const REQUESTS: Rec[] = [
  req(1, D(40), 'completed', 1, 1, 'plumber', 'Bamako', '10000.00'),
  req(2, D(20), 'completed', 1, 1, 'plumber', 'Bamako', null), // earnings: NULL as 0
  req(3, D(10), 'completed', 2, 2, 'plumber', 'Kayes', '5000.01'), // two completed payments
  req(4, D(3), 'completed', 2, 2, 'plomberie', 'Kayes', '7000.00'), // 2025-07-11
  req(5, H(5), 'completed', 1, 3, 'electrician', '', '12000.00'), // 2025-07-14, city '' left out
  req(6, D(50), 'completed', 1, 4, 'it', 'Ségou', '3000.00'),
  req(7, H(23), 'pending', 2, null, 'plumber', 'Sikasso', null), // 2025-07-13
  req(8, H(30), 'in_progress', 2, 1, 'plumber', 'Bamako', null), // 2025-07-13 06:00
  req(9, D(6), 'cancelled', 1, null, 'electrician', 'kati', null), // 2025-07-08 12:00
  req(10, D(2), 'on_hold', 2, 3, 'electrician', 'Bamako', '3000.00'), // unknown status; 2025-07-12
  req(11, D(100), 'draft', 1, null, 'mechanic', 'Bamako', null),
  req(12, H(24), 'assigned', 2, 1, 'plumber', 'Kayes', null), // exactly now − 24 h: inside; 2025-07-13
  req(13, new Date('2025-07-07T23:59:59.999Z'), 'pending', 3, null, 'other', 'Bamako', null), // in 7 d, not in the 7 days
];

function rev(id: number, request: number, tech: number, client: number, rating: number, extra: Rec = {}): Rec {
  return { id, request_id: request, technician_id: tech, client_id: client, rating, created_at: D(1), ...extra };
}

// Every review counts, whatever its moderation: ratings 5 4 4 2 5 1 4 1 = 26 / 8 = 3.25.
const REVIEWS: Rec[] = [
  rev(1, 1, 1, 1, 5, { is_visible: false }),
  rev(2, 2, 1, 1, 4, { moderation_status: 'rejected' }),
  rev(3, 3, 3, 2, 4), // its technician_id says t3, its request says t2: it rates t2's job
  rev(4, 4, 2, 2, 2, { moderation_status: 'approved' }),
  rev(5, 5, 3, 1, 5),
  rev(6, 6, 4, 1, 1),
  rev(7, 10, 3, 2, 4), // t3's request, not completed: not in t3's rating
  rev(8, 9, 1, 1, 1),
];

function pay(id: number, request: number, type: string, status: string, method: string, amount: string): Rec {
  return { id, request_id: request, payment_type: type, status, method, amount, payer_id: 2, recipient_id: 4 };
}

const PAYMENTS: Rec[] = [
  pay(1, 1, 'client_payment', 'completed', 'orange_money', '10000.00'),
  pay(2, 1, 'client_payment', 'failed', 'orange_money', '10000.00'),
  pay(3, 3, 'client_payment', 'completed', 'cash', '5000.00'),
  pay(4, 3, 'technician_payout', 'completed', 'orange_money', '4000.00'),
  pay(5, 4, 'client_payment', 'completed', 'espece', '7000.00'),
  pay(6, 5, 'client_payment', 'completed', 'mobile_money', '12000.50'),
  pay(7, 5, 'technician_payout', 'completed', 'bank_transfer', '40000.00'),
  pay(8, 6, 'refund', 'completed', 'cash', '500.00'),
  pay(9, 6, 'client_payment', 'completed', 'cash', '2000.00'),
  pay(10, 2, 'client_payment', 'COMPLETED', 'cash', '999.00'), // not 'completed'
];

function audit(id: number, event_type: string, status: string, risk_score = 0): Rec {
  return { id, event_type, status, risk_score, ip_address: '10.0.0.1', timestamp: D(id) };
}

const AUDIT: Rec[] = [
  audit(1, 'login', 'success'),
  ...Array.from({ length: 13 }, (_, i) => audit(2 + i, 'login', 'failure')),
  audit(15, 'login', 'failure', 80), // high risk at the boundary
  audit(16, 'login', 'failure', 79),
  audit(17, 'password_reset', 'success', 95), // any event type
  audit(18, 'login', 'failed', 100), // odd status: not a failure, but high risk
  audit(19, 'Login', 'success'),
];

const NOTIFICATIONS: Rec[] = [1, 2, 3].map((id) => ({ id, subject: 's', message: 'm', user_id: 2, sent_at: H(id) })); // S is unused

// Worked out by hand from the rows above.
const EXPECTED: ProjectStatistics = {
  overview: {
    total_users: 8,
    total_clients: 2,
    total_technicians: 4,
    total_admins: 1,
    // requests created in 30 d: clients u2 u3 u4 (r13), technicians u4 u5 u6 → {2, 3, 4, 5, 6}
    active_users_30d: 5,
    total_requests: 13,
    completed_requests: 6,
    total_revenue: 36000.5, // 10000 + 5000 + 7000 + 12000.50 + 2000
    platform_fees: -7999.5, // − (4000 + 40000)
    avg_rating: 3.3, // 3.25 half away from zero (Python's round(3.25, 1) gives 3.2)
    satisfaction_rate: 62.5, // ratings ≥ 4: 5 of 8
  },
  requests: {
    total: 13,
    pending: 2,
    in_progress: 1,
    completed: 6,
    cancelled: 1,
    recent_24h: 3, // r5 r7 r12
    recent_7d: 8, // + r4 r8 r9 r10 r13
    recent_30d: 10, // + r2 r3
    daily_evolution: [
      { date: '2025-07-08', count: 1 }, // r9
      { date: '2025-07-09', count: 0 },
      { date: '2025-07-10', count: 0 },
      { date: '2025-07-11', count: 1 }, // r4
      { date: '2025-07-12', count: 1 }, // r10
      { date: '2025-07-13', count: 3 }, // r7 r8 r12
      { date: '2025-07-14', count: 1 }, // r5
    ],
  },
  financial: {
    total_revenue: 36000.5,
    total_payouts: 44000,
    platform_fees: -7999.5,
    payment_methods: [
      { method: 'mobile_money', count: 1, total: 12000.5 },
      { method: 'orange_money', count: 1, total: 10000 },
      { method: 'cash', count: 2, total: 7000 }, // tie with espece: method asc
      { method: 'espece', count: 1, total: 7000 },
    ],
  },
  specialties: {
    stats: [
      // r1 r2 r3 r7 r8 r12; prices 10000 + 5000.01 over 2 = 7500.005 → 7500.01
      { specialty_needed: 'plumber', count: 6, completed: 3, avg_price: 7500.01 },
      // r5 r9 r10: (12000 + 3000) / 2, any status
      { specialty_needed: 'electrician', count: 3, completed: 1, avg_price: 7500 },
      { specialty_needed: 'it', count: 1, completed: 1, avg_price: 3000 },
      { specialty_needed: 'mechanic', count: 1, completed: 0, avg_price: null },
      { specialty_needed: 'other', count: 1, completed: 0, avg_price: null },
      { specialty_needed: 'plomberie', count: 1, completed: 1, avg_price: 7000 },
    ],
    top_technicians: [
      // t1: r1 r2; ratings 5 4 (whatever their moderation)
      { id: 1, name: 'Moussa Traoré', specialty: 'Plombier', total_jobs: 2, avg_rating: 4.5, total_earnings: 10000 },
      // t2 ties at 2 jobs (its two payments on r3 count once): id asc; ratings 4 (v3) 2
      { id: 2, name: 'tech2', specialty: 'serrurerie', total_jobs: 2, avg_rating: 3, total_earnings: 12000.01 },
      // t3: r5 only (r10 not completed)
      { id: 3, name: 'Awa', specialty: 'Électricien', total_jobs: 1, avg_rating: 5, total_earnings: 12000 },
    ],
  },
  technicians: { total: 4, verified: 3, available: 2, availability_rate: 66.7 },
  satisfaction: { total_reviews: 8, avg_rating: 3.3, satisfaction_rate: 62.5 },
  // 1 success, 15 failures (a2..a16; a18's 'failed' is none): 1/16 = 6.25 → 6.3 (a float gives 6.2);
  // risk ≥ 80: a15 (exactly 80), a17 (not a login), a18
  security: { total_logins: 1, failed_logins: 15, security_alerts: 3, success_rate: 6.3 },
  geography: {
    top_cities: [
      { city: 'Bamako', count: 6 }, // r1 r2 r8 r10 r11 r13
      { city: 'Kayes', count: 3 },
      { city: 'Sikasso', count: 1 }, // ties in code point order: 'Sikasso' < 'Ségou' < 'kati'
      { city: 'Ségou', count: 1 },
      { city: 'kati', count: 1 },
    ],
  },
};

let admin: pg.Client;
let pool: pg.Pool;
const name = uniqueName('legacy_oracle');

async function insertAll(table: string, rows: Rec[]): Promise<void> {
  for (const row of rows) {
    const columns = Object.keys(row);
    await pool.query(
      `INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
      columns.map((c) => row[c]),
    );
  }
}

beforeAll(async () => {
  admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  // A linguistic default collation when the server has ICU, so the byte-order tie-breaks matter.
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'`);
  } catch {
    await admin.query(`CREATE DATABASE ${name}`);
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  await pool.query(await readFile(SCHEMA_FILE, 'utf8'));
});

afterAll(async () => {
  await pool?.end();
  if (admin) {
    await dropDatabase(admin, name);
    await admin.end();
  }
});

describe('legacy project_statistics oracle', () => {
  it('gives zeros, empty lists and seven empty days on an empty database', async () => {
    const empty = await projectStatisticsOnPostgres(pool, NOW);
    expect(empty.overview).toEqual({
      total_users: 0, total_clients: 0, total_technicians: 0, total_admins: 0, active_users_30d: 0, total_requests: 0,
      completed_requests: 0, total_revenue: 0, platform_fees: 0, avg_rating: 0, satisfaction_rate: 0,
    });
    expect(empty.requests.daily_evolution.map((day) => day.count)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(empty.specialties).toEqual({ stats: [], top_technicians: [] });
    expect(empty.technicians.availability_rate).toBe(0);
    expect(empty.security.success_rate).toBe(0);
    expect(empty.geography.top_cities).toEqual([]);
    const exported = await legacyExportOnPostgres(pool, NOW);
    expect(exported.sections[3]!.lines).toEqual([
      { label: "Nombre d'avis", value: 0, text: '0' },
      { label: 'Note moyenne', value: 0, text: '0' }, // round(None or 0, 2) is the integer 0
    ]);
    expect(exported.sections[2]!.lines.map((line) => line.text)).toEqual(['0.0', '0.0', '0.0']);
  });

  it('matches the hand-computed fixture, keys in the contract order', async () => {
    await insertAll('users_user', USERS.map((user) => ({ ...user, email: `${String(user.username)}@example.ml` })));
    await insertAll('depannage_client', CLIENTS);
    await insertAll('depannage_technician', TECHNICIANS);
    await insertAll('depannage_repairrequest', REQUESTS);
    await insertAll('depannage_review', REVIEWS);
    await insertAll('depannage_payment', PAYMENTS);
    await insertAll('users_auditlog', AUDIT);
    await insertAll('users_securitynotification', NOTIFICATIONS);
    const actual = await projectStatisticsOnPostgres(pool, NOW);
    expect(actual).toEqual(EXPECTED);
    expect(JSON.stringify(actual)).toBe(JSON.stringify(EXPECTED));
  });

  it('gives the export lines: counts, money as Python floats, the mean rating to 2 decimals', async () => {
    const { statistics, sections } = await legacyExportOnPostgres(pool, NOW);
    expect(statistics).toEqual(EXPECTED);
    expect(sections.map((section) => [section.title, section.pdfTitle, section.header])).toEqual([
      ["Vue d'ensemble", "Vue d'ensemble", null],
      ['Demandes', 'Demandes', null],
      ['Finances', 'Finances', null],
      ['Satisfaction', 'Satisfaction', null],
      ['Demandes par spécialité', 'Demandes par spécialité', ['Spécialité', 'Nombre de demandes']],
      ['Demandes par ville', 'Demandes par ville (top 10)', ['Ville', 'Nombre de demandes']],
    ]);
    expect(sections.map((section) => section.lines.map((line) => `${line.label} : ${line.text}`))).toEqual([
      ['Total utilisateurs : 8', 'Clients : 2', 'Techniciens : 4', 'Admins : 1', 'Utilisateurs actifs (30j) : 5'],
      ['Total demandes : 13', 'Terminées : 6', 'En attente : 2', 'En cours : 1', 'Annulées : 1'],
      ['Revenus totaux (XOF) : 36000.5', 'Paiements techniciens (XOF) : 44000.0', 'Frais plateforme (XOF) : -7999.5'],
      ["Nombre d'avis : 8", 'Note moyenne : 3.25'],
      ['plumber : 6', 'electrician : 3', 'it : 1', 'mechanic : 1', 'other : 1', 'plomberie : 1'],
      ['Bamako : 6', 'Kayes : 3', 'Sikasso : 1', 'Ségou : 1', 'kati : 1'],
    ]);
    expect(sections[2]!.lines.map((line) => line.value)).toEqual([36000.5, 44000, -7999.5]);
    expect(sections[3]!.lines[1]!.value).toBe(3.25);
  });

  it('prints decimals as Python prints floats', () => {
    expect(pythonFloatOf('150000.00')).toBe('150000.0');
    expect(pythonFloatOf('12.50')).toBe('12.5');
    expect(pythonFloatOf('-0.05')).toBe('-0.05');
    expect(pythonFloatOf('7')).toBe('7.0');
  });
});
