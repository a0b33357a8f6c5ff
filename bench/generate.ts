// Benchmark data set: fills an empty operational database with N repair requests and the users,
// profiles, payments, reviews and security audit trail that go with them, entirely in set-based
// SQL (INSERT ... SELECT over generate_series), so that 10M requests take minutes, not hours.
//
// The shape follows apps/demo/src/seed.ts and its vocabulary (same cities, specialties, enum
// frequencies, XOF prices, lifecycle delays, ~8 months of history growing ~5x), but nothing is
// built row by row in Node: the seed's in-memory generator is exact and deterministic, this one
// is statistical and fast. Ids grow with time: every time-stamped entity draws its ids from one
// hourly "timeline" (growth x weekday x hour-of-day weights), so id k of M is created at the
// instant where the cumulative activity reaches k/M. That also gives, without any join, how many
// clients / technicians / users existed when a request was made, so foreign keys point at rows
// that already existed.
//
// Loading runs on `parallelism` connections with secondary indexes, unique and foreign-key
// constraints dropped, then rebuilt (the pg_restore recipe, as seed.ts does); Postgres validates
// every constraint when it is added back, so a generation bug fails loudly.
import type pg from 'pg';
import { OPERATIONAL_TABLES, type OperationalTable } from '../apps/demo/src/operational-schema.js';
import { Random, type Weighted } from '../apps/demo/src/random.js';
import { dropSecondaryStructures, quoteIdent } from '../apps/demo/src/secondary-structures.js';
import {
  asciiSlug, CITIES, CLIENT_PAYMENT_METHODS, DEMO_PASSWORD_HASH, EXPERIENCE_LEVELS, FAILED_LOGIN_REASONS,
  FEMALE_FIRST_NAMES, FRENCH_LABELS, KNOWN_SPECIALTIES, LAST_NAMES, MALE_FIRST_NAMES, PAYOUT_METHODS, PRICE_MEDIAN_XOF,
  PRIORITIES, REQUEST_SPECIALTIES, REQUEST_TITLES, REVIEW_COMMENTS, REVIEW_RATINGS, REVIEW_TAGS, TECHNICIAN_SPECIALTIES,
  URGENCY_LEVELS, USER_AGENTS,
} from '../apps/demo/src/vocabulary.js';

export interface GenerateOptions {
  /** Number of repair requests; every other table is sized from it (as in seed.ts). */
  requests: number;
  /** The data ends at this instant (default: now). */
  now?: Date;
  /** Every statement starts with setseed() derived from it: same seed, same rows (the ids of payments
   *  and reviews, drawn from their sequences by parallel chunks, may interleave differently). */
  seed?: number;
  /** Connections used at once (default 2, the cores of the bench machine). */
  parallelism?: number;
  /** VACUUM ANALYZE at the end (default true): statistics, visibility map and hint bits set. */
  vacuum?: boolean;
  log?: (message: string) => void;
}

export interface GeneratePhase {
  name: string;
  seconds: number;
  rows: number;
}

export interface GenerateSummary {
  requests: number;
  now: Date;
  counts: Record<OperationalTable, number>;
  totalRows: number;
  /** What writers need to pick valid foreign keys after the load. */
  population: { users: number; clients: number; technicians: number; maxRequestId: number };
  phases: GeneratePhase[];
  /** Inserting the rows (indexes and constraints dropped). */
  loadSeconds: number;
  /** Rebuilding indexes and constraints. */
  indexSeconds: number;
  vacuumSeconds: number;
  seconds: number;
  /** totalRows / seconds, everything included. */
  rowsPerSecond: number;
}

const HISTORY_DAYS = 240;
const DAY_S = 86_400;
const HOUR_S = 3_600;
/** The platform account: pays technician payouts and refunds (users_user.id 1, the superuser). */
const PLATFORM_USER_ID = 1;
const ADMINS = [
  { username: 'admin', first: 'Administrateur', last: 'DepanneTeliman' },
  { username: 'aminata.diarra.ops', first: 'Aminata', last: 'Diarra' },
  { username: 'oumar.coulibaly.support', first: 'Oumar', last: 'Coulibaly' },
  { username: 'fatoumata.keita.finance', first: 'Fatoumata', last: 'Keïta' },
];
const FIRST_ID = ADMINS.length + 1;
/** Activity rhythm, as in seed.ts: Sun..Sat (UTC = Mali time), then hours of the day. */
const WEEKDAY = [0.65, 1.1, 1.05, 1.0, 1.0, 0.82, 0.9];
const HOURS = [0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.8, 1.6, 2.4, 2.8, 2.8, 2.5, 1.8, 1.4, 1.6, 2.0, 2.2, 2.2, 1.9, 1.5, 1.1, 0.7, 0.4, 0.2];

// ---------------------------------------------------------------------------------------------
// SQL building blocks (all values are constants of this file or numbers: nothing user-supplied)
// ---------------------------------------------------------------------------------------------

function lit(value: string | number | boolean | null): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return `'${value.replace(/'/g, "''")}'`;
}

/** One of `values`, uniformly, from a uniform [0,1) expression. */
function pick(r: string, values: readonly (string | number)[]): string {
  return `(ARRAY[${values.map(lit).join(', ')}])[1 + floor(${r} * ${values.length})::int]`;
}

/**
 * Weighted choice from a uniform [0,1) expression, as Random.weighted does. width_bucket reads
 * `r` once, so `r` may be a bare random() (a CASE over thresholds would draw once per branch).
 */
function weighted(r: string, choices: Weighted<string | number>): string {
  const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
  let cumulative = 0;
  const thresholds = choices.slice(0, -1).map(([, weight]) => (cumulative += weight) / total);
  const values = `ARRAY[${choices.map(([value]) => lit(value)).join(', ')}]`;
  if (thresholds.length === 0) return lit(choices[0]![0]);
  return `(${values})[width_bucket(${r}, ARRAY[${thresholds.join(', ')}]::float8[]) + 1]`;
}

/** Standard normal deviate, approximately (sum of three uniforms, rescaled): cheap and bounded. */
const NORMAL = `((random() + random() + random() - 1.5) * 2.0)`;

/** Log-normal draw with the given median, from a column holding a standard normal deviate. */
function logNormal(median: number | string, sigma: number, z: string): string {
  return `(${median} * exp(${sigma} * ${z}))`;
}

/** A 16-byte value that looks random but is unique through its second half (gen_random_uuid costs 4x). */
function uuidFrom(uniqueBigint: string): string {
  return `encode(int8send((random() * 9.2e18)::bigint) || int8send(${uniqueBigint}), 'hex')::uuid`;
}

function digits(n: number): string {
  return `lpad(floor(random() * ${10 ** n})::bigint::text, ${n}, '0')`;
}

const PHONE = `'+223 ' || ${pick('random()', ['6', '7', '9'])} || ${digits(1)} || ' ' || ${digits(2)} || ' ' || ${digits(2)} || ' ' || ${digits(2)}`;

/** City index 1..CITIES.length, with the demo's weights. */
function cityIndex(r: string): string {
  return weighted(r, CITIES.map((city, i) => [i + 1, city.weight] as const));
}
function cityName(index: string): string {
  return `(ARRAY[${CITIES.map((city) => lit(city.name)).join(', ')}])[${index}]`;
}
function cityLatitude(index: string): string {
  return `(ARRAY[${CITIES.map((city) => city.latitude).join(', ')}]::float8[])[${index}]`;
}
function cityLongitude(index: string): string {
  return `(ARRAY[${CITIES.map((city) => city.longitude).join(', ')}]::float8[])[${index}]`;
}
/** 'Rue 12, Porte 34, Badalabougou, Bamako' or just the district, as streetAddress() writes it. */
function address(index: string, rDistrict: string, rStreet: string): string {
  const district = `CASE ${index} ${CITIES.map((city, i) => `WHEN ${i + 1} THEN ${pick(rDistrict, city.districts)}`).join(' ')} END`;
  const place = `CASE WHEN ${cityName(index)} = '' THEN ${district} ELSE ${district} || ', ' || ${cityName(index)} END`;
  return `CASE WHEN ${rStreet} < 0.7 THEN 'Rue ' || (1 + floor(random() * 450)) || ', Porte ' || (1 + floor(random() * 120)) || ', ' || ${place} ELSE ${place} END`;
}

/** SQL CASE over a specialty code. */
function bySpecialty(code: string, value: (specialty: (typeof KNOWN_SPECIALTIES)[number]) => string): string {
  return `CASE ${code} ${KNOWN_SPECIALTIES.map((s) => `WHEN ${lit(s)} THEN ${value(s)}`).join(' ')} END`;
}

/** Whole francs rounded to 500, clamped, log-normal around the specialty's median (priceXof). */
function price(code: string, z: string): string {
  const median = bySpecialty(code, (s) => String(PRICE_MEDIAN_XOF[s]));
  // Integers: casting float8 to numeric on insert costs more than the rest of the expression.
  return `LEAST(150000, GREATEST(5000, (round(${logNormal(median, 0.6, z)} / 500) * 500)::int))`;
}

/**
 * Ids `from..to` of an entity with `m` ids spread over the timeline, with `at_s` (epoch seconds,
 * float) growing with the id. Carries random() in its target list, so Postgres evaluates it once
 * per row and never inlines it into the caller (nor does any caller level with random()).
 */
function timeline(m: number, from: number, to: number): string {
  return `(SELECT g.id::bigint AS id, t.lo_s + ((g.id - t.first_id) + random()) / t.n * t.len_s AS at_s
     FROM (SELECT lo_s, len_s, first_id, last_id, (last_id - first_id + 1)::float8 AS n
             FROM (SELECT lo_s, len_s, floor(cum_lo * ${m})::bigint + 1 AS first_id, floor(cum_hi * ${m})::bigint AS last_id
                     FROM bench_timeline) b
            WHERE last_id >= first_id AND last_id >= ${from} AND first_id <= ${to}) t
     CROSS JOIN LATERAL generate_series(GREATEST(t.first_id, ${from}), LEAST(t.last_id, ${to})) AS g(id))`;
}

/** Epoch seconds (float) → timestamptz, NULL-safe. */
function ts(seconds: string): string {
  return `to_timestamp(${seconds})`;
}

// ---------------------------------------------------------------------------------------------
// Sizes
// ---------------------------------------------------------------------------------------------

interface Plan {
  requests: number;
  nowS: number;
  historyStartS: number;
  /** Non-admin users, ids FIRST_ID .. FIRST_ID + users - 1. */
  users: number;
  /** Role of a non-admin user u: x = (u * 7919) % 1000; x < techPermille: technician profile,
   *  x < techPermille + barePermille: no profile, else client profile. 7919 is prime to 1000, so
   *  every 1000 consecutive ids hold exactly the intended mix. */
  techPermille: number;
  barePermille: number;
  audits: number;
  seed: number;
}

function plan(requests: number, now: Date, seed: number): Plan {
  const clients = Math.max(20, Math.round(requests / 6));
  const technicians = Math.max(12, Math.round(requests / 40));
  const bare = Math.max(3, Math.round(clients * 0.03));
  const users = clients + technicians + bare;
  const techPermille = Math.max(1, Math.round((1000 * technicians) / users));
  const barePermille = Math.max(1, Math.round((1000 * bare) / users));
  const nowS = now.getTime() / 1000;
  return {
    requests,
    nowS,
    historyStartS: nowS - HISTORY_DAYS * DAY_S,
    users,
    techPermille,
    barePermille,
    // Login/logout/OTP/... events: 1.2 per request plus the sign-up OTP steps (~1.9 per user).
    audits: Math.round(requests * 1.2 + users * 1.9),
    seed,
  };
}

const ROLE = (id: string): string => `((${id}) * 7919) % 1000`;

// ---------------------------------------------------------------------------------------------
// Statements
// ---------------------------------------------------------------------------------------------

function timelineRows(p: Plan): { loS: number[]; lenS: number[]; cumLo: number[]; cumHi: number[] } {
  const rng = new Random(p.seed);
  const weights: number[] = [];
  const loS: number[] = [];
  const lenS: number[] = [];
  const dayNoise = new Map<number, number>();
  for (let hour = Math.floor(p.historyStartS / HOUR_S) * HOUR_S; hour < p.nowS; hour += HOUR_S) {
    const lo = Math.max(hour, p.historyStartS);
    const hi = Math.min(hour + HOUR_S, p.nowS);
    if (hi <= lo) continue;
    const day = Math.floor(lo / DAY_S);
    if (!dayNoise.has(day)) dayNoise.set(day, 0.85 + 0.3 * rng.next());
    const at = new Date(lo * 1000);
    const growth = Math.exp((1.6 * (lo - p.historyStartS)) / (HISTORY_DAYS * DAY_S));
    weights.push(growth * WEEKDAY[at.getUTCDay()]! * HOURS[at.getUTCHours()]! * dayNoise.get(day)! * ((hi - lo) / HOUR_S));
    loS.push(lo);
    lenS.push(hi - lo);
  }
  const total = weights.reduce((sum, w) => sum + w, 0);
  const cumLo: number[] = [];
  const cumHi: number[] = [];
  let running = 0;
  for (let i = 0; i < weights.length; i++) {
    cumLo.push(i === 0 ? 0 : cumHi[i - 1]!);
    running += weights[i]!;
    cumHi.push(i === weights.length - 1 ? 1 : running / total);
  }
  return { loS, lenS, cumLo, cumHi };
}

function adminsSql(p: Plan): string {
  const rows = ADMINS.map((admin, i) => {
    const created = ts(lit(p.historyStartS - (40 - i * 7) * DAY_S));
    return `(${i + 1}, ${lit(DEMO_PASSWORD_HASH)}, ${ts(lit(p.nowS - 3600 * (i + 1)))}, ${i === 0}, ${lit(admin.username)}, ${lit(admin.first)}, ${lit(admin.last)}, ${lit(`${admin.username}@depanneteliman.ml`)}, true, true, ${created}, 'admin', true, ${created}, ${created})`;
  });
  return `INSERT INTO users_user (id, password, last_login, is_superuser, username, first_name, last_name, email, is_staff,
      is_active, date_joined, user_type, is_verified, created_at, updated_at) VALUES ${rows.join(', ')}`;
}

function usersSql(p: Plan): string {
  const firsts = [...FEMALE_FIRST_NAMES, ...MALE_FIRST_NAMES];
  const femaleCount = FEMALE_FIRST_NAMES.length;
  const earliest = p.historyStartS - 30 * DAY_S;
  return `INSERT INTO users_user (id, password, last_login, is_superuser, username, first_name, last_name, email, is_staff,
      is_active, date_joined, user_type, is_verified, created_at, updated_at)
    SELECT id, ${lit(DEMO_PASSWORD_HASH)}, ${ts('last_login_s')}, false, username, first_name, last_name,
           username || '@' || ${weighted('r_domain', [['gmail.com', 60], ['yahoo.fr', 20], ['orangemali.net', 10], ['hotmail.com', 10]])},
           false, r_active >= 0.04, ${ts('created_s')}, user_type, r_verified < 0.65, ${ts('created_s')}, ${ts('updated_s')}
    FROM (
      SELECT id, created_s,
             (ARRAY[${firsts.map(lit).join(', ')}])[fi] AS first_name,
             (ARRAY[${LAST_NAMES.map(lit).join(', ')}])[li] AS last_name,
             (ARRAY[${firsts.map((n) => lit(asciiSlug(n))).join(', ')}])[fi] || '.' ||
               (ARRAY[${LAST_NAMES.map((n) => lit(asciiSlug(n))).join(', ')}])[li] || id AS username,
             CASE WHEN ${ROLE('id')} < ${p.techPermille} THEN CASE WHEN r_type < 0.02 THEN 'client' ELSE 'technician' END
                  WHEN ${ROLE('id')} < ${p.techPermille + p.barePermille} THEN CASE WHEN r_type < 0.7 THEN 'client' ELSE 'technician' END
                  ELSE 'client' END AS user_type,
             CASE WHEN r_login < 0.08 THEN GREATEST(created_s, ${p.nowS} - ${logNormal(20 * HOUR_S, 1.1, 'z_login')}) END AS last_login_s,
             LEAST(${p.nowS}, created_s + ${logNormal(3 * DAY_S, 1.5, 'z_update')}) AS updated_s,
             r_domain, r_active, r_verified
      FROM (
        SELECT id, GREATEST(${earliest}, at_s - ${logNormal(2 * DAY_S, 1.2, NORMAL)}) AS created_s,
               CASE WHEN random() < 0.45 THEN 1 + floor(random() * ${femaleCount})::int
                    ELSE ${femaleCount + 1} + floor(random() * ${firsts.length - femaleCount})::int END AS fi,
               1 + floor(random() * ${LAST_NAMES.length})::int AS li,
               random() AS r_type, random() AS r_login, ${NORMAL} AS z_login, ${NORMAL} AS z_update,
               random() AS r_domain, random() AS r_active, random() AS r_verified
        FROM (SELECT id + ${FIRST_ID - 1} AS id, at_s FROM ${timeline(p.users, 1, p.users)} tl) tl
      ) s OFFSET 0
    ) u`;
}

function clientsSql(p: Plan): string {
  return `INSERT INTO depannage_client (id, created_at, updated_at, address, phone, is_active, user_id)
    SELECT row_number() OVER (ORDER BY id), created_at + (1 + floor(random() * 90)) * interval '1 second',
           LEAST(${ts(lit(p.nowS))}, created_at + ${logNormal(5 * DAY_S, 1.5, NORMAL)} * interval '1 second'),
           ${address('ci', 'r_district', 'r_street')},
           CASE WHEN random() < 0.9 THEN ${PHONE} ELSE '' END,
           is_active AND random() >= 0.02, id
      FROM (SELECT u.id, u.created_at, u.is_active, ${cityIndex('random()')} AS ci, random() AS r_district, random() AS r_street
              FROM users_user u
             WHERE u.id >= ${FIRST_ID} AND ${ROLE('u.id')} >= ${p.techPermille + p.barePermille}
            OFFSET 0) u`;
}

function techniciansSql(p: Plan): string {
  const knownCities = CITIES.map((city, i) => [i + 1, city.name === '' ? 0 : city.weight] as const).filter(([, w]) => w > 0);
  return `INSERT INTO depannage_technician (id, created_at, updated_at, specialty, phone, is_available, is_verified,
      years_experience, experience_level, hourly_rate, last_position_update, current_latitude, current_longitude,
      is_available_urgent, response_time_minutes, badge_level, service_radius_km, bio, user_id)
    SELECT id, created_at, updated_at, specialty, phone, is_available, is_verified, years,
           CASE WHEN years >= 15 THEN 'expert' WHEN years >= 8 THEN 'senior' WHEN years >= 3 THEN 'intermediate' ELSE 'junior' END,
           (2 + floor(random() * 15)) * 500,
           CASE WHEN located THEN LEAST(${ts(lit(p.nowS))}, ${ts(`${p.nowS} - ${logNormal(6 * HOUR_S, 1.5, NORMAL)}`)}) END,
           CASE WHEN located THEN ${cityLatitude('ci')} + (random() - 0.5) * 0.08 END,
           CASE WHEN located THEN ${cityLongitude('ci')} + (random() - 0.5) * 0.08 END,
           random() < 0.3, ${pick('random()', [15, 20, 30, 45, 60])},
           ${weighted('random()', [['bronze', 55], ['silver', 28], ['gold', 13], ['platinum', 4]])},
           ${pick('random()', [5, 10, 15, 20, 30])},
           CASE WHEN random() < 0.5 THEN '' ELSE 'Technicien ' || specialty || ' à ' || ${cityName('ci')} || ', ' || years || ' ans d''expérience.' END,
           user_id
      FROM (
        SELECT row_number() OVER (ORDER BY u.id) AS id, u.id AS user_id,
               u.created_at + (1 + floor(random() * 300)) * interval '1 second' AS created_at,
               LEAST(${ts(lit(p.nowS))}, u.created_at + ${logNormal(4 * DAY_S, 1.2, NORMAL)} * interval '1 second') AS updated_at,
               ${weighted('random()', TECHNICIAN_SPECIALTIES)} AS specialty,
               ${PHONE} AS phone, random() < 0.7 AS is_available, random() < 0.75 AS is_verified,
               LEAST(30, floor(${logNormal(5, 0.8, NORMAL)}))::int AS years, random() < 0.8 AS located,
               ${weighted('random()', knownCities)} AS ci
          FROM users_user u
         WHERE u.id >= ${FIRST_ID} AND ${ROLE('u.id')} < ${p.techPermille}
        OFFSET 0
      ) t`;
}

/**
 * Requests from..to. Client and technician are drawn among the profiles that existed at that
 * point of the timeline (k/M ≤ id/N): clients skewed towards recent sign-ups (first request soon
 * after registering), technicians uniformly (veterans accumulate jobs). Lifecycle as in seed.ts.
 */
function requestsSql(p: Plan, clients: number, technicians: number, from: number, to: number): string {
  const n = p.requests;
  const young = weighted('r_status', [['draft', 3], ['pending', 42], ['assigned', 25], ['in_progress', 15], ['completed', 12], ['cancelled', 3]]);
  const week = weighted('r_status', [['draft', 2], ['pending', 10], ['assigned', 8], ['in_progress', 8], ['completed', 60], ['cancelled', 12]]);
  const old = weighted('r_status', [['draft', 1.5], ['pending', 1.5], ['assigned', 0.8], ['in_progress', 0.7], ['completed', 79], ['cancelled', 16.5]]);
  const frenchLabel = bySpecialty('code', (s) => pick('r_label', FRENCH_LABELS[s] ?? [s]));
  const title = bySpecialty('code', (s) => pick('r_title', REQUEST_TITLES[s]));
  return `INSERT INTO depannage_repairrequest (id, created_at, updated_at, uuid, title, description, specialty_needed, priority,
      urgency_level, min_experience_level, min_rating, status, address, latitude, longitude, preferred_date, assigned_at,
      started_at, completed_at, estimated_price, final_price, travel_cost, is_urgent, city, "postalCode", "date", "time",
      service_type, no_show_count, mission_validated, client_id, technician_id)
    SELECT id, ${ts('created_s')}, ${ts('GREATEST(created_s, assigned_s, started_s, completed_s)')}, ${uuidFrom('id')},
           title, CASE WHEN r_desc < 0.35 THEN NULL ELSE title || '. ' || ${pick('random()', ['Merci de venir rapidement.', 'Disponible le matin.', 'Appelez avant de venir.', 'Le problème dure depuis hier.', 'Urgent, la famille est à la maison.'])} END,
           specialty_needed, ${weighted('r_prio', PRIORITIES)}, urgency, ${weighted('r_exp', EXPERIENCE_LEVELS)},
           CASE WHEN r_minr < 0.2 THEN 3 + floor(r_minr * 15)::int END, status,
           ${address('ci', 'r_district', 'r_street')},
           ${cityLatitude('ci')} + (r_lat - 0.5) * 0.08, ${cityLongitude('ci')} + (r_lon - 0.5) * 0.08,
           CASE WHEN r_pref < 0.3 THEN ${ts('created_s + 3600 * (2 + floor(r_pref * 230))')} END,
           ${ts('assigned_s')}, ${ts('started_s')}, ${ts('completed_s')}, estimated_price, final_price,
           CASE WHEN r_travel < 0.5 THEN ${pick('r_travel * 2', [1000, 1500, 2000, 2500, 3000, 5000])} ELSE 0 END,
           is_urgent, ${cityName('ci')}, CASE WHEN r_postal < 0.05 THEN 'BP ' || (100 + floor(r_postal * 198000)) ELSE '' END,
           CASE WHEN r_wish < 0.25 THEN (${ts('created_s + 86400 * (1 + floor(r_wish * 12))')} AT TIME ZONE 'UTC')::date END,
           CASE WHEN r_wish < 0.25 THEN make_time(8 + floor(r_wish * 44)::int, CASE WHEN r_desc < 0.5 THEN 0 ELSE 30 END, 0) END,
           CASE WHEN specialty_needed <> code OR r_service < 0.3 THEN specialty_needed ELSE '' END,
           CASE WHEN r_noshow < 0.01 THEN 1 ELSE 0 END, status = 'completed' AND r_valid < 0.8, client_id,
           CASE WHEN reaches > 0 THEN technician_id END
    FROM (
      SELECT *,
             CASE WHEN reaches >= 1 THEN
               CASE WHEN status = 'completed' AND r_quirk < 0.006 THEN NULL
                    WHEN r_quirk > 0.998 THEN created_s - 60 * (1 + floor(r_quirk2 * 20))
                    ELSE created_s + to_assigned * scale END END AS assigned_s,
             CASE WHEN reaches >= 2 THEN created_s + (to_assigned + to_started) * scale END AS started_s,
             CASE WHEN reaches >= 3 THEN created_s + (to_assigned + to_started + to_completed) * scale END AS completed_s,
             CASE WHEN status = 'completed' AND r_fin >= 0.04 THEN
               CASE WHEN estimated_price IS NOT NULL AND r_finmode < 0.6
                    THEN GREATEST(5000, (round(estimated_price * (0.85 + 0.4 * r_finf) / 500) * 500)::int)
                    ELSE ${price('code', 'z_final')} END END AS final_price
      FROM (
        SELECT *,
               CASE WHEN reaches > 0 AND created_s + span > ${p.nowS} THEN 0.9 * (${p.nowS} - created_s) / span ELSE 1 END AS scale
        FROM (
          SELECT *,
                 CASE reaches WHEN 3 THEN to_assigned + to_started + to_completed WHEN 2 THEN to_assigned + to_started
                              WHEN 1 THEN to_assigned ELSE 0 END AS span,
                 CASE WHEN r_est < CASE WHEN status = 'draft' THEN 0.4 ELSE 0.85 END THEN ${price('code', 'z_est')} END AS estimated_price
          FROM (
            SELECT *,
                   CASE WHEN status = 'completed' THEN 3 WHEN status = 'in_progress' THEN 2
                        WHEN status IN ('assigned', 'on_hold') OR (status = 'cancelled' AND r_tc < 0.35) THEN 1 ELSE 0 END AS reaches,
                   ${logNormal(`CASE WHEN urgency = 'normal' THEN ${2.5 * HOUR_S} ELSE ${40 * 60} END`, 0.9, 'z1')} AS to_assigned,
                   ${logNormal(1.5 * HOUR_S, 0.7, 'z2')} AS to_started,
                   ${logNormal(2 * HOUR_S, 0.6, 'z3')} AS to_completed,
                   CASE WHEN r_fr < 0.06 THEN ${frenchLabel} ELSE code END AS specialty_needed,
                   ${title} AS title,
                   r_isurg < CASE WHEN urgency IN ('urgent', 'sos') THEN 0.45 ELSE 0.04 END AS is_urgent
            FROM (
              SELECT *,
                     CASE WHEN r_hold < 0.003 THEN 'on_hold'
                          WHEN ${p.nowS} - created_s < ${DAY_S} THEN ${young}
                          WHEN ${p.nowS} - created_s < ${7 * DAY_S} THEN ${week}
                          ELSE ${old} END AS status,
                     ${weighted('r_code', REQUEST_SPECIALTIES)} AS code,
                     ${weighted('r_urg', URGENCY_LEVELS)} AS urgency,
                     ${cityIndex('r_city')} AS ci,
                     GREATEST(1, ceil(GREATEST(1, floor(${clients}::float8 * id / ${n})) * sqrt(r_client)))::bigint AS client_id,
                     1 + floor(r_tech * GREATEST(1, floor(${technicians}::float8 * id / ${n})))::bigint AS technician_id
              FROM (
                SELECT tl.id, tl.at_s AS created_s,
                       random() AS r_status, random() AS r_hold, random() AS r_code, random() AS r_fr, random() AS r_label,
                       random() AS r_title, random() AS r_prio, random() AS r_urg, random() AS r_isurg, random() AS r_exp,
                       random() AS r_minr, random() AS r_city, random() AS r_district, random() AS r_street, random() AS r_lat,
                       random() AS r_lon, random() AS r_pref, random() AS r_tc, random() AS r_quirk, random() AS r_quirk2,
                       random() AS r_est, random() AS r_fin, random() AS r_finmode, random() AS r_finf, random() AS r_travel,
                       random() AS r_client, random() AS r_tech, random() AS r_valid, random() AS r_desc, random() AS r_postal,
                       random() AS r_wish, random() AS r_service, random() AS r_noshow,
                       ${NORMAL} AS z1, ${NORMAL} AS z2, ${NORMAL} AS z3, ${NORMAL} AS z_est, ${NORMAL} AS z_final
                FROM ${timeline(n, from, to)} tl
              ) draws OFFSET 0
            ) picked OFFSET 0
          ) lifecycle OFFSET 0
        ) priced OFFSET 0
      ) scaled OFFSET 0
    ) dated`;
}

/**
 * Payments of requests from..to, as seed.ts makes them: a client payment for most completed
 * requests (some failed then retried, some refunded), the technician payout a day later, a
 * deposit for some assigned jobs. Up to four rows per request, ids in request order.
 */
function paymentsSql(p: Plan, from: number, to: number): string {
  const mobile = `method IN ('orange_money', 'moov_money', 'mobile_money')`;
  return `INSERT INTO depannage_payment (created_at, updated_at, uuid, amount, status, method, payment_type, transaction_id,
      reference, fees, processed_at, notes, payer_id, recipient_id, request_id)
    SELECT ${ts('at_s')}, ${ts('COALESCE(processed_s, at_s)')}, ${uuidFrom('request_id * 8 + slot')}, amount, status, method, payment_type,
           CASE WHEN method = 'moov_money' THEN 'MM' || ${digits(10)} WHEN ${mobile} THEN 'OM' || ${digits(10)}
                WHEN method = 'bank_transfer' THEN 'VIR' || ${digits(8)} ELSE '' END,
           'DT-' || ${digits(8)}, CASE WHEN ${mobile} THEN (amount * 0.01)::int ELSE 0 END,
           ${ts('processed_s')}, notes, payer_id, recipient_id, request_id
    FROM (
      SELECT *,
             CASE WHEN status IN ('completed', 'refunded', 'failed') THEN LEAST(${p.nowS}, at_s + 5 + floor(random() * 595)) END AS processed_s
      FROM (
        -- One row per payment: slot 1 first client payment, 2 its successful retry, 3 refund,
        -- 4 technician payout, 5 deposit. Only the wanted slots get here (unnest below).
        SELECT request_id, slot,
               CASE slot WHEN 1 THEN first_s WHEN 2 THEN paid_s WHEN 3 THEN refund_s WHEN 4 THEN payout_s ELSE deposit_s END AS at_s,
               CASE slot WHEN 4 THEN (price * payout_share)::int WHEN 5 THEN deposit ELSE price END AS amount,
               CASE slot WHEN 1 THEN CASE WHEN retried THEN 'failed' ELSE first_status END
                         WHEN 4 THEN CASE WHEN ${p.nowS} - payout_s < ${2 * DAY_S}
                                          THEN ${weighted('r_payout_status', [['pending', 60], ['processing', 10], ['completed', 30]])}
                                          ELSE ${weighted('r_payout_status', [['completed', 96], ['pending', 2], ['failed', 2]])} END
                         WHEN 5 THEN 'pending' ELSE 'completed' END AS status,
               CASE slot WHEN 4 THEN payout_method ELSE method END AS method,
               CASE slot WHEN 3 THEN 'refund' WHEN 4 THEN 'technician_payout' ELSE 'client_payment' END AS payment_type,
               CASE WHEN slot IN (3, 4) THEN ${PLATFORM_USER_ID} ELSE client_user END AS payer_id,
               CASE slot WHEN 3 THEN client_user ELSE technician_user END AS recipient_id,
               CASE slot WHEN 1 THEN CASE WHEN retried THEN 'Solde insuffisant' ELSE '' END
                         WHEN 3 THEN 'Remboursement après litige' WHEN 5 THEN 'Acompte' ELSE '' END AS notes
        FROM (
          -- A set-returning function in the select list (ProjectSet) costs far less than a
          -- LATERAL VALUES list, whose every row would be evaluated for every request.
          SELECT *, unnest(array_remove(ARRAY[
                   CASE WHEN settled_path THEN 1 END,
                   CASE WHEN settled_path AND retried THEN 2 END,
                   CASE WHEN settled_path AND NOT retried AND first_status = 'refunded' THEN 3 END,
                   CASE WHEN settled_path AND (first_status = 'completed' OR retried) AND r_payout < 0.92 THEN 4 END,
                   CASE WHEN deposit_path THEN 5 END], NULL)) AS slot
          FROM (
            SELECT *,
                   LEAST(${p.nowS}, paid_s + ${logNormal(2 * DAY_S, 0.8, 'z_refund')}) AS refund_s,
                   LEAST(${p.nowS}, paid_s + ${logNormal(20 * HOUR_S, 0.9, 'z_payout')}) AS payout_s
            FROM (
              SELECT *,
                     CASE WHEN retried THEN LEAST(${p.nowS}, first_s + 60 * (2 + floor(r_retry_delay * 89))) ELSE first_s END AS paid_s
              FROM (
                SELECT *,
                       first_status = 'failed' AND r_retry < 0.6 AS retried,
                       LEAST(${p.nowS}, done_s + ${logNormal(25 * 60, 1, 'z_paid')}) AS first_s
                FROM (
                  SELECT r.id AS request_id, extract(epoch FROM r.completed_at)::float8 AS done_s,
                         extract(epoch FROM COALESCE(r.assigned_at, r.created_at))::float8 AS deposit_s,
                         r.status = 'completed' AND r.completed_at IS NOT NULL AND COALESCE(r.final_price, r.estimated_price) IS NOT NULL
                           AND random() >= 0.05 AS settled_path,
                         r.status IN ('assigned', 'in_progress') AND r.estimated_price IS NOT NULL AND random() < 0.1 AS deposit_path,
                         COALESCE(r.final_price, r.estimated_price) AS price, round(r.estimated_price * 0.3) AS deposit,
                         cl.user_id AS client_user, t.user_id AS technician_user,
                         ${weighted('random()', CLIENT_PAYMENT_METHODS)} AS method,
                         ${weighted('random()', [['completed', 90], ['failed', 3], ['pending', 3], ['processing', 1], ['refunded', 3]])} AS first_status,
                         random() AS r_retry, random() AS r_retry_delay, random() AS r_payout, random() AS r_payout_status,
                         ${weighted('random()', PAYOUT_METHODS)} AS payout_method, 0.8 + 0.1 * random() AS payout_share,
                         ${NORMAL} AS z_paid, ${NORMAL} AS z_refund, ${NORMAL} AS z_payout
                    FROM depannage_repairrequest r
                    JOIN depannage_client cl ON cl.id = r.client_id
                    JOIN depannage_technician t ON t.id = r.technician_id
                   WHERE r.id BETWEEN ${from} AND ${to}
                     AND r.status IN ('completed', 'assigned', 'in_progress')
                ) base OFFSET 0
              ) retry OFFSET 0
            ) paid OFFSET 0
          ) settled OFFSET 0
        ) slots OFFSET 0
      ) payment
    ) timed`;
}

function reviewsSql(p: Plan, from: number, to: number): string {
  const rating = 'rating';
  const sub = (r: string, d: string): string => `CASE WHEN ${r} < 0.3 THEN NULL ELSE LEAST(5, GREATEST(1, ${rating} + floor(${d} * 3)::int - 1)) END`;
  const comment = `CASE ${rating} ${[5, 4, 3, 2, 1].map((value) => `WHEN ${value} THEN ${pick('random()', REVIEW_COMMENTS[value]!)}`).join(' ')} END`;
  const tagSets = [[], ['ponctuel'], ['professionnel', 'rapide'], ['propre'], ['bon_prix', 'ponctuel'], ['en_retard'], ['cher'], [...REVIEW_TAGS.slice(0, 3)]];
  return `INSERT INTO depannage_review (created_at, updated_at, rating, comment, would_recommend, is_visible, punctuality_rating,
      quality_rating, communication_rating, professionalism_rating, problem_solving_rating, cleanliness_rating,
      price_fairness_rating, intervention_duration_minutes, was_urgent, problem_complexity, parts_used, warranty_offered,
      warranty_duration_days, positive_aspects, improvement_suggestions, would_use_again, would_recommend_to_friends,
      review_quality_score, is_verified_review, moderation_status, moderation_notes, tags, client_id, request_id, technician_id)
    SELECT ${ts('at_s')}, ${ts(`CASE WHEN moderation = 'pending' THEN at_s ELSE LEAST(${p.nowS}, at_s + ${logNormal(8 * HOUR_S, 1, 'z_moderated')}) END`)},
           ${rating}, CASE WHEN random() < 0.2 THEN '' ELSE ${comment} END, recommend,
           CASE moderation WHEN 'rejected' THEN r_visible < 0.1 WHEN 'flagged' THEN r_visible < 0.5 ELSE r_visible < 0.97 END,
           ${sub('random()', 'random()')}, ${sub('random()', 'random()')}, ${sub('random()', 'random()')}, ${sub('random()', 'random()')},
           ${sub('random()', 'random()')}, ${sub('random()', 'random()')}, ${sub('random()', 'random()')},
           CASE WHEN random() < 0.5 THEN round(${logNormal(90, 0.6, NORMAL)}) END, was_urgent,
           CASE WHEN random() < 0.3 THEN NULL ELSE ${weighted('random()', [['simple', 40], ['moderate', 35], ['complex', 20], ['very_complex', 5]])} END,
           random() < 0.35, warranty, CASE WHEN warranty THEN ${pick('random()', [7, 15, 30, 90])} END,
           CASE WHEN ${rating} >= 4 AND random() < 0.5 THEN 'Ponctualité et travail propre' ELSE '' END,
           CASE WHEN ${rating} <= 3 AND random() < 0.5 THEN 'Prévenir en cas de retard' ELSE '' END,
           ${rating} >= 3, recommend, CASE WHEN random() < 0.8 THEN round(200 + 800 * random()) / 10 END,
           random() < 0.6, moderation,
           CASE moderation WHEN 'rejected' THEN 'Propos injurieux' WHEN 'flagged' THEN 'Signalé par le technicien' ELSE '' END,
           ${pick('random()', tagSets.map((tags) => JSON.stringify(tags)))}::jsonb, client_id, request_id, technician_id
    FROM (
      SELECT *,
             CASE WHEN ${p.nowS} - at_s < ${2 * DAY_S} AND r_fresh < 0.5 THEN 'pending'
                  ELSE ${weighted('r_moderation', [['approved', 80], ['pending', 11], ['rejected', 5], ['flagged', 4]])} END AS moderation,
             CASE WHEN ${rating} >= 4 THEN r_recommend < 0.93 WHEN ${rating} = 3 THEN r_recommend < 0.5 ELSE r_recommend < 0.1 END AS recommend
      FROM (
        SELECT r.id AS request_id, r.client_id, r.technician_id, r.is_urgent OR r.urgency_level <> 'normal' AS was_urgent,
               extract(epoch FROM r.completed_at)::float8 + ${logNormal(10 * HOUR_S, 1.1, NORMAL)} AS at_s,
               ${weighted('random()', REVIEW_RATINGS)} AS rating,
               random() AS r_fresh, random() AS r_moderation, random() AS r_recommend, random() AS r_visible,
               random() < 0.2 AS warranty, ${NORMAL} AS z_moderated
          FROM depannage_repairrequest r
         WHERE r.id BETWEEN ${from} AND ${to}
           AND r.status = 'completed' AND r.technician_id IS NOT NULL AND r.completed_at IS NOT NULL
           AND random() < 0.45 -- reviewed: decided before drawing the rest
      ) drawn
      WHERE at_s <= ${p.nowS}
      OFFSET 0
    ) kept`;
}

/** Security audit trail (ids from..to of p.audits): logins (20 % failing), logouts, OTP steps... */
function auditsSql(p: Plan, from: number, to: number): string {
  const maliPrefixes = ['41.73', '41.221', '197.155', '154.118', '102.164', '196.200'];
  const foreign = [['185.220', 'France', 'Paris'], ['105.235', "Côte d'Ivoire", 'Abidjan'], ['41.82', 'Sénégal', 'Dakar'], ['45.141', '', '']] as const;
  const knownCities = CITIES.filter((city) => city.name !== '').map((city) => [city.name, city.weight] as const);
  const events: Weighted<string> = [
    ['login', 58], ['logout', 12], ['otp_sent', 8], ['otp_verified', 6], ['profile_update', 5], ['payment', 3],
    ['password_reset_requested', 2.5], ['password_reset', 2], ['password_change', 1.5], ['session_revoke', 1], ['account_delete', 0.2],
  ];
  const failReasons = FAILED_LOGIN_REASONS.map((reason) => JSON.stringify({ reason }));
  return `INSERT INTO users_auditlog (id, ip_address, user_agent, event_type, status, "timestamp", geo_country, geo_city, risk_score,
      metadata, user_id, location)
    SELECT id, (prefix || '.' || floor(r_ip1 * 256) || '.' || (1 + floor(r_ip2 * 254)))::inet, ${pick('random()', USER_AGENTS)},
           event, CASE WHEN failed THEN 'failure' ELSE 'success' END, ${ts('at_s')}, country, geo_city,
           LEAST(130, CASE WHEN event = 'login' AND failed THEN base_failure + 30 ELSE low_risk END + CASE WHEN is_foreign THEN 25 ELSE 0 END),
           (CASE WHEN event = 'login' AND failed THEN CASE WHEN user_id IS NULL THEN '{"reason": "Utilisateur inconnu", "email": "inconnu' || ${digits(4)} || '@gmail.com"}'
                                                     ELSE ${pick('random()', failReasons)} END
                 WHEN event = 'login' THEN '{"method": "password"}'
                 WHEN event = 'otp_sent' THEN CASE WHEN random() < 0.8 THEN '{"channel": "sms"}' ELSE '{"channel": "email"}' END
                 WHEN failed THEN '{"reason": "Code OTP invalide"}'
                 ELSE '{}' END)::jsonb,
           user_id,
           CASE WHEN geo_city = '' THEN CASE WHEN random() < 0.5 THEN NULL ELSE '' END ELSE geo_city || ', ' || country END
    FROM (
      SELECT *,
             CASE WHEN is_foreign THEN ${weighted('r_origin', foreign.map(([prefix], i) => [prefix, i < 2 ? 2 : 1] as const))}
                  ELSE ${pick('r_origin', maliPrefixes)} END AS prefix,
             CASE WHEN is_foreign THEN ${weighted('r_origin', foreign.map(([, country], i) => [country, i < 2 ? 2 : 1] as const))}
                  WHEN geo_failed THEN '' ELSE 'Mali' END AS country,
             CASE WHEN is_foreign THEN ${weighted('r_origin', foreign.map(([, , city], i) => [city, i < 2 ? 2 : 1] as const))}
                  WHEN geo_failed THEN '' ELSE ${weighted('r_city', knownCities)} END AS geo_city,
             CASE WHEN event = 'login' THEN r_fail < 0.2
                  WHEN event = 'otp_verified' THEN r_fail < 0.1
                  WHEN event = 'password_change' THEN r_fail < 0.05 ELSE false END AS failed,
             CASE WHEN event = 'login' AND r_fail < 0.2 AND r_unknown < 0.3 THEN NULL ELSE known_user END AS user_id
      FROM (
        SELECT tl.id, tl.at_s, ${weighted('random()', events)} AS event,
               ${FIRST_ID - 1} + ceil(GREATEST(1, floor(${p.users}::float8 * tl.id / ${p.audits})) * GREATEST(random(), 1e-9))::bigint AS known_user,
               random() < 0.07 AS is_foreign, random() < 0.08 AS geo_failed, random() AS r_origin, random() AS r_city,
               random() AS r_fail, random() AS r_unknown, random() AS r_ip1, random() AS r_ip2,
               CASE WHEN random() < 0.85 THEN floor(random() * 46) ELSE 50 + floor(random() * 51) END AS base_failure,
               CASE WHEN random() < 0.93 THEN round(random() * 35) WHEN random() < 0.7 THEN 40 + floor(random() * 40)
                    ELSE 80 + floor(random() * 21) END AS low_risk
          FROM ${timeline(p.audits, from, to)} tl
      ) drawn OFFSET 0
    ) audit`;
}

/** Security e-mails: most high-risk attempts on a known account, and successful password changes. */
function notificationsSql(from: number, to: number): string {
  return `INSERT INTO users_securitynotification (subject, message, sent_at, event_type, user_id)
    SELECT CASE WHEN a.event_type = 'password_reset' THEN 'Votre mot de passe a été réinitialisé'
                WHEN a.event_type = 'password_change' THEN 'Votre mot de passe a été modifié'
                ELSE 'Alerte de sécurité : connexion inhabituelle' END,
           CASE WHEN a.event_type IN ('password_reset', 'password_change')
                THEN 'Si vous n''êtes pas à l''origine de cette action, contactez le support DepanneTeliman.'
                ELSE 'Une tentative de connexion inhabituelle a été détectée depuis ' || CASE WHEN a.geo_city = '' THEN 'un lieu inconnu' ELSE a.geo_city END
                     || ' (' || host(a.ip_address) || '). Si ce n''était pas vous, changez votre mot de passe.' END,
           a."timestamp" + (2 + floor(random() * 28)) * interval '1 second',
           CASE WHEN a.event_type = 'password_reset' THEN CASE WHEN random() < 0.8 THEN 'password_reset' END
                WHEN a.event_type = 'password_change' THEN CASE WHEN random() < 0.8 THEN 'password_changed' END
                WHEN random() < 0.9 THEN 'login_high_risk' END,
           a.user_id
      FROM users_auditlog a
     WHERE a.id BETWEEN ${from} AND ${to} AND a.user_id IS NOT NULL
       AND ((a.risk_score >= 80 AND random() < 0.75)
            OR (a.event_type IN ('password_reset', 'password_change') AND a.status = 'success'))`;
}

// ---------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------

interface Task {
  label: string;
  statements: string[];
}

function ranges(total: number, parts: number): Array<[number, number]> {
  const result: Array<[number, number]> = [];
  const size = Math.ceil(total / parts);
  for (let from = 1; from <= total; from += size) result.push([from, Math.min(total, from + size - 1)]);
  return result;
}

export async function generateOperationalData(pool: pg.Pool, options: GenerateOptions): Promise<GenerateSummary> {
  const requests = options.requests;
  if (!Number.isInteger(requests) || requests < 100) throw new Error(`generateOperationalData: requests must be an integer >= 100, got ${requests}`);
  const now = options.now ?? new Date();
  const parallelism = Math.max(1, options.parallelism ?? 2);
  const log = options.log ?? (() => undefined);
  const p = plan(requests, now, options.seed ?? 1);
  const startedAt = performance.now();
  const phases: GeneratePhase[] = [];

  const connections = await Promise.all(Array.from({ length: parallelism }, () => pool.connect()));
  let seedCounter = 0;
  const nextSeed = (): number => {
    seedCounter += 1;
    // setseed takes [-1, 1]; spread the statements of one run over it deterministically.
    return ((p.seed * 7919 + seedCounter * 104729) % 1999) / 1000 - 1;
  };
  try {
    for (const client of connections) {
      await client.query(`SET synchronous_commit = off; SET maintenance_work_mem = '1GB'; SET work_mem = '256MB'; SET jit = off`);
    }
    for (const table of OPERATIONAL_TABLES) {
      const { rows } = await connections[0]!.query(`SELECT EXISTS (SELECT 1 FROM ${table}) AS has_rows`);
      if (rows[0].has_rows) throw new Error(`generateOperationalData: table ${table} is not empty; generate into an empty database`);
    }

    /** Runs tasks on the connections, each free connection taking the next task; returns the rows inserted. */
    const runPhase = async (name: string, tasks: Task[]): Promise<number> => {
      const phaseStart = performance.now();
      let rows = 0;
      let next = 0;
      await Promise.all(
        connections.map(async (client) => {
          while (next < tasks.length) {
            const task = tasks[next++]!;
            const taskStart = performance.now();
            let taskRows = 0;
            for (const sql of task.statements) {
              const result = await client.query(sql);
              if (result.command === 'INSERT') taskRows += result.rowCount ?? 0;
            }
            rows += taskRows;
            log(`  ${task.label}: ${taskRows > 0 ? `${taskRows.toLocaleString('en')} rows, ` : ''}${((performance.now() - taskStart) / 1000).toFixed(1)} s`);
          }
        }),
      );
      const seconds = (performance.now() - phaseStart) / 1000;
      phases.push({ name, seconds, rows });
      log(`${name}: ${rows > 0 ? `${rows.toLocaleString('en')} rows in ` : ''}${seconds.toFixed(1)} s${rows > 0 ? ` (${Math.round(rows / seconds).toLocaleString('en')} rows/s)` : ''}`);
      return rows;
    };
    const seeded = (label: string, sql: string): Task => ({ label, statements: [`SELECT setseed(${nextSeed()})`, sql] });

    // --- drop secondary indexes and constraints (restored below, from their catalog definitions)
    const admin = connections[0]!;
    const { foreignKeys, uniques, indexes } = await dropSecondaryStructures(admin, OPERATIONAL_TABLES);

    // --- the timeline every entity draws its ids and instants from (not replicated: not published)
    const line = timelineRows(p);
    await admin.query(`DROP TABLE IF EXISTS bench_timeline`);
    await admin.query(`CREATE UNLOGGED TABLE bench_timeline (lo_s float8, len_s float8, cum_lo float8, cum_hi float8)`);
    await admin.query(
      `INSERT INTO bench_timeline SELECT * FROM unnest($1::float8[], $2::float8[], $3::float8[], $4::float8[])`,
      [line.loS, line.lenS, line.cumLo, line.cumHi],
    );

    const loadStart = performance.now();
    const chunks = parallelism * 2;
    await runPhase('users + audit log', [
      { label: 'admins', statements: [adminsSql(p)] },
      seeded('users', usersSql(p)),
      ...ranges(p.audits, chunks).map(([from, to]) => seeded(`audit ${from}..${to}`, auditsSql(p, from, to))),
    ]);
    await runPhase('profiles + notifications', [
      seeded('clients', clientsSql(p)),
      seeded('technicians', techniciansSql(p)),
      ...ranges(p.audits, parallelism).map(([from, to]) => seeded(`notifications ${from}..${to}`, notificationsSql(from, to))),
    ]);
    const population = await admin.query<{ clients: string; technicians: string; users: string }>(
      `SELECT (SELECT count(*) FROM depannage_client) AS clients, (SELECT count(*) FROM depannage_technician) AS technicians,
              (SELECT count(*) FROM users_user) AS users`,
    );
    const clients = Number(population.rows[0]!.clients);
    const technicians = Number(population.rows[0]!.technicians);
    await runPhase(
      'repair requests',
      ranges(requests, chunks).map(([from, to]) => seeded(`requests ${from}..${to}`, requestsSql(p, clients, technicians, from, to))),
    );
    await runPhase('payments + reviews', [
      ...ranges(requests, parallelism).map(([from, to]) => seeded(`payments ${from}..${to}`, paymentsSql(p, from, to))),
      ...ranges(requests, parallelism).map(([from, to]) => seeded(`reviews ${from}..${to}`, reviewsSql(p, from, to))),
    ]);
    const loadSeconds = (performance.now() - loadStart) / 1000;

    // --- indexes, unique constraints, then foreign keys (validated: Postgres checks every row)
    const indexStart = performance.now();
    // One task per index, those of the largest tables first, so that both connections stay busy.
    const sizes = await admin.query<{ name: string; bytes: string }>(
      `SELECT relname AS name, pg_relation_size(oid) AS bytes FROM pg_class WHERE relname = ANY ($1::text[]) AND relkind = 'r'`,
      [OPERATIONAL_TABLES],
    );
    const bytes = new Map(sizes.rows.map((row) => [row.name, Number(row.bytes)]));
    const indexTasks = [
      ...indexes.map((index) => ({ table: index.table_name, label: `index ${index.name}`, statements: [index.definition] })),
      // The unique index first, then the constraint on it: CREATE INDEX only takes a SHARE lock, so
      // it builds beside the table's other indexes; ADD CONSTRAINT UNIQUE alone would lock them out.
      ...uniques.map((unique) => ({
        table: unique.table_name,
        label: `unique ${unique.name}`,
        statements: [
          `CREATE UNIQUE INDEX ${quoteIdent(unique.name)} ON ${unique.table_name} ${unique.definition.replace(/^UNIQUE /, '')}`,
          `ALTER TABLE ${unique.table_name} ADD CONSTRAINT ${quoteIdent(unique.name)} UNIQUE USING INDEX ${quoteIdent(unique.name)}`,
        ],
      })),
    ].sort((a, b) => (bytes.get(b.table) ?? 0) - (bytes.get(a.table) ?? 0));
    await runPhase('indexes + unique constraints', indexTasks);
    await runPhase(
      'foreign keys',
      foreignKeys.map((fk) => ({ label: `fk ${fk.name}`, statements: [`ALTER TABLE ${fk.table_name} ADD CONSTRAINT ${quoteIdent(fk.name)} ${fk.definition}`] })),
    );
    const indexSeconds = (performance.now() - indexStart) / 1000;
    for (const table of OPERATIONAL_TABLES) {
      await admin.query(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), GREATEST(1, (SELECT max(id) FROM ${table})))`);
    }
    await admin.query(`DROP TABLE bench_timeline`);

    const vacuumStart = performance.now();
    if (options.vacuum !== false) {
      await runPhase('vacuum analyze', OPERATIONAL_TABLES.map((table) => ({ label: `vacuum ${table}`, statements: [`VACUUM ANALYZE ${table}`] })));
    } else {
      await runPhase('analyze', OPERATIONAL_TABLES.map((table) => ({ label: `analyze ${table}`, statements: [`ANALYZE ${table}`] })));
    }
    const vacuumSeconds = (performance.now() - vacuumStart) / 1000;

    const counts = {} as Record<OperationalTable, number>;
    for (const table of OPERATIONAL_TABLES) {
      const { rows } = await admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
      counts[table] = Number(rows[0]!.n);
    }
    const totalRows = Object.values(counts).reduce((sum, n) => sum + n, 0);
    const seconds = (performance.now() - startedAt) / 1000;
    return {
      requests,
      now,
      counts,
      totalRows,
      population: { users: counts.users_user, clients, technicians, maxRequestId: requests },
      phases,
      loadSeconds,
      indexSeconds,
      vacuumSeconds,
      seconds,
      rowsPerSecond: Math.round(totalRows / seconds),
    };
  } finally {
    // The pool's next users (the benchmarks, the oracle) must see the server's own settings.
    for (const client of connections) {
      const broken = await client.query('RESET ALL').then(() => undefined, (error: Error) => error);
      client.release(broken);
    }
  }
}
