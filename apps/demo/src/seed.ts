// Bulk demo data for the operational database: ~8 months of a Malian repair marketplace
// (users, profiles, requests through their whole lifecycle, payments, reviews, security
// audit trail), deterministic from a seed and loaded with COPY in a single transaction.
//
// Rows are generated in memory first, then sorted by creation time before ids are given out,
// so that ids grow with time as they do in the live database. The tables must be empty.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { OPERATIONAL_TABLES, type OperationalTable } from './operational-schema.js';
import { Random } from './random.js';
import {
  CITIES, CITY_WEIGHTS, CLIENT_PAYMENT_METHODS, DEMO_PASSWORD_HASH, EXPERIENCE_LEVELS, FAILED_LOGIN_REASONS, finalPriceXof,
  PAYOUT_METHODS, PRIORITIES, REQUEST_SPECIALTIES, REQUEST_TITLES, REVIEW_COMMENTS, REVIEW_RATINGS, REVIEW_TAGS,
  TECHNICIAN_SPECIALTIES, URGENCY_LEVELS, USER_AGENTS, emailFor, ipOrigin, malianPhone, payoutXof, personName,
  priceXof, specialtyCode, storedSpecialty, streetAddress, usernameFor, type City, type Specialty,
} from './vocabulary.js';
import { dropSecondaryStructures, quoteIdent } from './secondary-structures.js';
import { inTransaction } from './transaction.js';

export interface SeedOptions {
  /** Number of repair requests; every other table is sized from it. */
  requests: number;
  /** PRNG seed (default 1): same seed and same `now` give the same rows. */
  seed?: number;
  /** Reference instant: the data ends here (default: the current time). */
  now?: Date;
}

export interface SeedSummary {
  /** users_user.id of the superuser `admin`. */
  adminUserId: number;
  counts: Record<OperationalTable, number>;
  /** First and last instant covered by the generated activity (ISO 8601, UTC). */
  from: string;
  to: string;
  durationMs: number;
}

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;
/** Length of the activity history; users may predate it by a few weeks. */
const HISTORY_DAYS = 240;

type Cell = string | number | boolean | null;

/**
 * Loads the demo data set into empty operational tables in one transaction (all or nothing).
 * The load briefly drops and recreates the tables' secondary indexes and constraints, so it
 * takes exclusive locks: run it before CDC or any other reader starts, as the demo does.
 */
export async function seedDemoData(pool: pg.Pool, opts: SeedOptions): Promise<SeedSummary> {
  if (!Number.isInteger(opts.requests) || opts.requests < 1) {
    throw new Error(`seedDemoData: requests must be a positive integer, got ${opts.requests}`);
  }
  const startedAt = Date.now();
  const now = (opts.now ?? new Date()).getTime();
  const data = generate(opts.requests, opts.seed ?? 1, now);

  const loaded = await inTransaction(pool, async (client) => {
    for (const table of OPERATIONAL_TABLES) {
      const existing = await client.query(`SELECT EXISTS (SELECT 1 FROM ${table}) AS has_rows`);
      if (existing.rows[0].has_rows) throw new Error(`seedDemoData: table ${table} is not empty; seed an empty database`);
    }
    const counts = {} as Record<OperationalTable, number>;
    await bulkLoad(client, OPERATIONAL_TABLES, async () => {
      for (const table of OPERATIONAL_TABLES) {
        const { columns, lines } = data[table];
        counts[table] = await copyInto(client, table, columns, lines);
        // Ids were given explicitly: move the identity past them for later inserts.
        await client.query(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), (SELECT max(id) FROM ${table}))`);
      }
    });
    return counts;
  });
  await analyze(pool);
  return {
    adminUserId: data.adminUserId,
    counts: loaded,
    from: new Date(now - HISTORY_DAYS * DAY).toISOString(),
    to: new Date(now).toISOString(),
    durationMs: Date.now() - startedAt,
  };
}

/**
 * Without statistics the planner takes status = 'completed' for a rare value and picks slow
 * plans (100 ms instead of 0.1 ms for the simulator's row picks) until autovacuum gets to the
 * tables; the tables are analysed in parallel on the pool's connections.
 */
async function analyze(pool: pg.Pool): Promise<void> {
  await Promise.all(OPERATIONAL_TABLES.map((table) => pool.query(`ANALYZE ${table}`)));
}

// ---------------------------------------------------------------------------------------------
// COPY
// ---------------------------------------------------------------------------------------------

/**
 * Runs `load` with the tables' secondary indexes, unique and foreign-key constraints dropped,
 * then recreates them from their own catalog definitions (the pg_restore recipe), inside the
 * caller's transaction. Building an index once and validating a foreign key with one join is
 * several times faster than maintaining 40 indexes row by row and firing ~2M deferred FK
 * triggers at COMMIT. Postgres still checks every constraint when it is added back, so a
 * generation bug fails the seed exactly as it would have with the constraints in place.
 */
async function bulkLoad(client: pg.PoolClient, tables: readonly string[], load: () => Promise<void>): Promise<void> {
  const { foreignKeys, uniques, indexes } = await dropSecondaryStructures(client, tables);

  await load();

  await client.query(`SET LOCAL maintenance_work_mem = '256MB'`);
  for (const index of indexes) await client.query(index.definition);
  for (const unique of uniques) await client.query(`ALTER TABLE ${unique.table_name} ADD CONSTRAINT ${quoteIdent(unique.name)} ${unique.definition}`);
  for (const fk of foreignKeys) await client.query(`ALTER TABLE ${fk.table_name} ADD CONSTRAINT ${quoteIdent(fk.name)} ${fk.definition}`);
}

/**
 * One COPY text-format line (without newline): tab-separated, \N for NULL, t/f for booleans.
 * Strings are written as they are: every value comes from the generator's own vocabulary,
 * and copyInto rejects any chunk holding a character COPY would interpret (escaping each of
 * ~18M cells was a fifth of the generation time).
 */
function encodeRow(cells: readonly Cell[]): string {
  const parts = new Array<string>(cells.length);
  for (let i = 0; i < cells.length; i++) {
    const value = cells[i]!;
    if (value === null) parts[i] = '\\N';
    else if (typeof value === 'string') parts[i] = value;
    else if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new Error(`seedDemoData: non-finite number in column ${i}`);
      parts[i] = String(value);
    } else parts[i] = value ? 't' : 'f';
  }
  // join() yields one flat string; `+=` would keep a rope of ~30 pieces per retained line.
  return parts.join('\t');
}

// A backslash other than the \N of NULL, or a carriage return. (A stray tab or newline would
// change the column count, which COPY itself rejects.)
const UNESCAPED_COPY_CHARS = /\\(?!N)|\r/;

async function copyInto(client: pg.PoolClient, table: string, columns: readonly string[], lines: readonly string[]): Promise<number> {
  function* chunks(): Generator<string> {
    for (let start = 0; start < lines.length; start += 2000) {
      const chunk = lines.slice(start, start + 2000).join('\n') + '\n';
      const bad = UNESCAPED_COPY_CHARS.exec(chunk);
      if (bad) throw new Error(`seedDemoData: ${table} value needs COPY escaping near ${JSON.stringify(chunk.slice(Math.max(0, bad.index - 40), bad.index + 40))}`);
      yield chunk;
    }
  }
  const sink = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  await pipeline(Readable.from(chunks()), sink);
  return lines.length;
}

// ---------------------------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------------------------

// Date#toISOString was the single largest cost of generating ~2M timestamps; this formats the
// same 'YYYY-MM-DDTHH:MM:SS.mmmZ' from a cached day prefix (times are truncated to the ms).
const dayPrefixes = new Map<number, string>();
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
function iso(ms: number): string {
  const t = Math.floor(ms);
  const day = Math.floor(t / DAY);
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    prefix = new Date(day * DAY).toISOString().slice(0, 11);
    dayPrefixes.set(day, prefix);
  }
  let rest = t - day * DAY;
  const hours = Math.floor(rest / HOUR);
  rest -= hours * HOUR;
  const minutes = Math.floor(rest / MINUTE);
  rest -= minutes * MINUTE;
  const seconds = Math.floor(rest / 1000);
  return `${prefix}${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds]}.${THREE_DIGITS[rest - seconds * 1000]}Z`;
}

/**
 * Draws instants with the marketplace's rhythm: activity grows ~5x over the history, is lower
 * on Fridays (prayer) and Sundays, peaks mid-morning and late afternoon, is quiet at night.
 */
class ActivityClock {
  private readonly dayStarts: number[] = [];
  private readonly cumulative: number[] = [];
  private static readonly WEEKDAY = [0.65, 1.1, 1.05, 1.0, 1.0, 0.82, 0.9]; // Sun..Sat (UTC = Mali time)
  private static readonly HOURS = [
    0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.8, 1.6, 2.4, 2.8, 2.8, 2.5,
    1.8, 1.4, 1.6, 2.0, 2.2, 2.2, 1.9, 1.5, 1.1, 0.7, 0.4, 0.2,
  ];
  private readonly hourCumulative: number[] = [];

  constructor(private readonly rng: Random, private readonly now: number, days: number) {
    const today = Math.floor(now / DAY) * DAY;
    let total = 0;
    for (let d = days; d >= 0; d--) {
      const start = today - d * DAY;
      const growth = Math.exp(1.6 * (1 - d / days));
      const noise = 0.85 + 0.3 * rng.next();
      // Today weighs a whole day: sample() turns away its instants after `now`, so its elapsed
      // hours are as busy as those of other days. (Weighting it by the elapsed fraction as well
      // left the morning's hours half as busy as the same hours of past weeks, which the seasonal
      // anomaly rules then flag at the demo's first start.)
      total += growth * ActivityClock.WEEKDAY[new Date(start).getUTCDay()]! * noise;
      this.dayStarts.push(start);
      this.cumulative.push(total);
    }
    let hourTotal = 0;
    for (const weight of ActivityClock.HOURS) this.hourCumulative.push((hourTotal += weight));
  }

  sample(): number {
    for (;;) {
      const day = this.dayStarts[lowerBound(this.cumulative, this.rng.next() * this.cumulative[this.cumulative.length - 1]!)]!;
      const hour = lowerBound(this.hourCumulative, this.rng.next() * this.hourCumulative[23]!);
      const instant = day + hour * HOUR + Math.floor(this.rng.next() * HOUR);
      if (instant <= this.now) return instant;
    }
  }
}

/** First index whose value is >= target (values ascending). */
function lowerBound(values: readonly number[], target: number): number {
  let lo = 0;
  let hi = values.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface UserDraft {
  id: number;
  kind: 'admin' | 'client' | 'technician';
  userType: string;
  createdAt: number;
  city: City;
  isActive: boolean;
  username?: string;
}

interface TechnicianDraft {
  user: UserDraft;
  id: number;
  specialty: string;
  code: Specialty;
  firstJobAt: number;
}

interface ClientDraft {
  user: UserDraft;
  id: number;
  firstRequestAt: number;
}

interface RequestDraft {
  id: number;
  createdAt: number;
  client: ClientDraft;
  technician: TechnicianDraft | null;
  status: string;
  code: Specialty;
  specialty: string;
  city: City;
  urgency: string;
  isUrgent: boolean;
  assignedAt: number | null;
  startedAt: number | null;
  completedAt: number | null;
  estimatedPrice: number | null;
  finalPrice: number | null;
}

/** A row whose id is given after sorting by time: `line` is the COPY line without the id. */
interface TimedRow {
  at: number;
  line: string;
}

/** Per table: its COPY column list and the encoded COPY text lines (no trailing newline). */
type TableData = Record<OperationalTable, { columns: readonly string[]; lines: string[] }> & { adminUserId: number };

function generate(requestCount: number, seed: number, now: number): TableData {
  const rng = new Random(seed);
  const clock = new ActivityClock(rng, now, HISTORY_DAYS);
  const historyStart = now - HISTORY_DAYS * DAY;
  const capNow = (t: number): number => Math.min(t, now);

  // --- population sizes ----------------------------------------------------------------------
  const clientCount = Math.max(20, Math.round(requestCount / 6));
  const technicianCount = Math.max(12, Math.round(requestCount / 40));

  const users: UserDraft[] = [];
  const newUser = (kind: UserDraft['kind'], userType: string, city: City): UserDraft => {
    const user: UserDraft = { id: 0, kind, userType, createdAt: 0, city, isActive: !rng.chance(0.04) };
    users.push(user);
    return user;
  };

  const clients: ClientDraft[] = [];
  for (let i = 0; i < clientCount; i++) {
    clients.push({ user: newUser('client', 'client', rng.weighted(CITY_WEIGHTS)), id: 0, firstRequestAt: Infinity });
  }
  const technicians: TechnicianDraft[] = [];
  const techniciansByCity = new Map<string, TechnicianDraft[]>();
  for (let i = 0; i < technicianCount; i++) {
    let city = rng.weighted(CITY_WEIGHTS);
    if (city.name === '') city = CITIES[0]!; // technicians always have a known base
    // A few technician profiles hang off accounts registered as clients (profile and
    // user_type are independent in the model).
    const user = newUser('technician', rng.chance(0.02) ? 'client' : 'technician', city);
    const specialty = rng.weighted(TECHNICIAN_SPECIALTIES);
    const technician: TechnicianDraft = { user, id: 0, specialty, code: specialtyCode(specialty), firstJobAt: Infinity };
    technicians.push(technician);
    const pool = techniciansByCity.get(city.name) ?? [];
    pool.push(technician);
    techniciansByCity.set(city.name, pool);
  }

  // --- requests --------------------------------------------------------------------------------
  const requestTimes: number[] = [];
  for (let i = 0; i < requestCount; i++) requestTimes.push(clock.sample());
  requestTimes.sort((a, b) => a - b);

  const requests: RequestDraft[] = [];
  for (let i = 0; i < requestCount; i++) {
    const createdAt = requestTimes[i]!;
    const client = clients[rng.skewedIndex(clientCount, 1.7)]!;
    client.firstRequestAt = Math.min(client.firstRequestAt, createdAt);
    const city = rng.chance(0.9) ? client.user.city : rng.weighted(CITY_WEIGHTS);
    const code = rng.weighted(REQUEST_SPECIALTIES);
    const ageDays = (now - createdAt) / DAY;
    const status = requestStatus(rng, ageDays);
    const urgency = rng.weighted(URGENCY_LEVELS);
    const isUrgent = rng.chance(urgency === 'urgent' || urgency === 'sos' ? 0.45 : 0.04);

    const hasTechnician = ['assigned', 'in_progress', 'completed', 'on_hold'].includes(status) || (status === 'cancelled' && rng.chance(0.35));
    const technician = hasTechnician ? pickTechnician(rng, technicians, techniciansByCity, city, code) : null;

    // Lifecycle offsets from creation; compressed when they would run past `now`.
    let toAssigned = rng.logNormal(urgency === 'normal' ? 2.5 * HOUR : 40 * MINUTE, 0.9);
    let toStarted = rng.logNormal(1.5 * HOUR, 0.7);
    let toCompleted = rng.logNormal(2 * HOUR, 0.6);
    const reaches = status === 'completed' ? 3 : status === 'in_progress' ? 2 : hasTechnician ? 1 : 0;
    const span = [toAssigned, toStarted, toCompleted].slice(0, reaches).reduce((a, b) => a + b, 0);
    if (reaches > 0 && createdAt + span > now) {
      const scale = ((now - createdAt) * 0.9) / span;
      toAssigned *= scale;
      toStarted *= scale;
      toCompleted *= scale;
    }
    let assignedAt = reaches >= 1 ? createdAt + toAssigned : null;
    const startedAt = reaches >= 2 && assignedAt !== null ? assignedAt + toStarted : null;
    const completedAt = reaches >= 3 && startedAt !== null ? startedAt + toCompleted : null;
    // Data-quality quirks of the live data: a few completed jobs never got assigned_at, a few
    // got it before created_at (clock skew between the app servers).
    if (status === 'completed' && rng.chance(0.006)) assignedAt = null;
    else if (assignedAt !== null && rng.chance(0.002)) assignedAt = createdAt - rng.int(1, 20) * MINUTE;

    const estimatedPrice = rng.chance(status === 'draft' ? 0.4 : 0.85) ? priceXof(rng, code) : null;
    let finalPrice: number | null = null;
    if (status === 'completed' && !rng.chance(0.04)) finalPrice = finalPriceXof(rng, code, estimatedPrice);
    if (technician) {
      const firstContact = assignedAt ?? createdAt;
      technician.firstJobAt = Math.min(technician.firstJobAt, firstContact);
    }

    requests.push({
      id: i + 1, createdAt, client, technician, status, code, specialty: storedSpecialty(rng, code), city, urgency, isUrgent,
      assignedAt, startedAt, completedAt, estimatedPrice, finalPrice,
    });
  }

  // --- users: creation times, then ids in creation order -------------------------------------
  for (const client of clients) {
    client.user.createdAt = client.firstRequestAt === Infinity
      ? clock.sample()
      : Math.max(historyStart - 30 * DAY, client.firstRequestAt - rng.logNormal(2 * DAY, 1.2));
  }
  for (const technician of technicians) {
    technician.user.createdAt = technician.firstJobAt === Infinity
      ? clock.sample()
      : Math.max(historyStart - 45 * DAY, technician.firstJobAt - rng.logNormal(10 * DAY, 0.8) - HOUR);
  }
  // Sign-ups that never completed a profile.
  const profileless = Math.max(3, Math.round(clientCount * 0.03));
  for (let i = 0; i < profileless; i++) {
    const kind = rng.chance(0.7) ? 'client' : 'technician';
    newUser(kind, kind, rng.weighted(CITY_WEIGHTS)).createdAt = clock.sample();
  }
  const adminNames = [
    { username: 'admin', firstName: 'Administrateur', lastName: 'DepanneTeliman' },
    { username: 'aminata.diarra.ops', firstName: 'Aminata', lastName: 'Diarra' },
    { username: 'oumar.coulibaly.support', firstName: 'Oumar', lastName: 'Coulibaly' },
    { username: 'fatoumata.keita.finance', firstName: 'Fatoumata', lastName: 'Keïta' },
  ];
  const admins = adminNames.map((_, i) => {
    const admin = newUser('admin', 'admin', CITIES[0]!);
    admin.isActive = true;
    admin.createdAt = historyStart - (40 - i * 7) * DAY;
    return admin;
  });
  admins.forEach((admin, i) => (admin.username = adminNames[i]!.username));

  users.sort((a, b) => a.createdAt - b.createdAt);
  users.forEach((user, index) => (user.id = index + 1));
  const userCreatedAt = users.map((user) => user.createdAt);
  const platformUser = admins[0]!; // pays technician payouts and refunds

  const userRows = users.map((user) => {
    const isAdmin = user.kind === 'admin';
    const adminIndex = admins.indexOf(user);
    const name = isAdmin ? adminNames[adminIndex]! : personName(rng);
    const username = user.username ?? usernameFor(name, user.id);
    const lastLogin = isAdmin
      ? now - rng.int(5, 6 * 60) * MINUTE
      : rng.chance(0.08) ? Math.max(user.createdAt, now - rng.logNormal(20 * HOUR, 1.1)) : null;
    return encodeRow([
      user.id, DEMO_PASSWORD_HASH, lastLogin === null ? null : iso(lastLogin), username === 'admin', username,
      name.firstName, name.lastName, isAdmin ? `${username}@depanneteliman.ml` : emailFor(rng, username),
      isAdmin, user.isActive, iso(user.createdAt), user.userType,
      isAdmin || rng.chance(user.kind === 'technician' ? 0.8 : 0.6), iso(user.createdAt),
      iso(capNow(user.createdAt + rng.logNormal(3 * DAY, 1.5))),
    ]);
  });

  // Profiles, created seconds after their user; ids in creation order.
  const clientsByTime = [...clients].sort((a, b) => a.user.createdAt - b.user.createdAt);
  clientsByTime.forEach((client, index) => (client.id = index + 1));
  const clientRows = clientsByTime.map((client) => {
    const createdAt = capNow(client.user.createdAt + rng.int(1, 90) * 1000);
    return encodeRow([
      client.id, iso(createdAt), iso(capNow(createdAt + rng.logNormal(5 * DAY, 1.5))),
      streetAddress(rng, client.user.city), rng.chance(0.9) ? malianPhone(rng) : '', client.user.isActive && !rng.chance(0.02),
      client.user.id,
    ]);
  });

  const techniciansByTime = [...technicians].sort((a, b) => a.user.createdAt - b.user.createdAt);
  techniciansByTime.forEach((technician, index) => (technician.id = index + 1));
  const technicianRows = techniciansByTime.map((technician) => {
    const createdAt = capNow(technician.user.createdAt + rng.int(1, 300) * 1000);
    const years = Math.min(30, Math.floor(rng.logNormal(5, 0.8)));
    const level = years >= 15 ? 'expert' : years >= 8 ? 'senior' : years >= 3 ? 'intermediate' : 'junior';
    const city = technician.user.city;
    const located = rng.chance(0.8);
    const lastPosition = located ? capNow(now - rng.logNormal(6 * HOUR, 1.5)) : null;
    const verified = rng.chance(0.75);
    return encodeRow([
      technician.id, iso(createdAt), iso(capNow(Math.max(createdAt, now - rng.logNormal(4 * DAY, 1.2)))),
      technician.specialty, malianPhone(rng), technician.user.isActive && rng.chance(0.62), verified, years, level,
      Math.round(rng.logNormal(4000, 0.4) / 500) * 500,
      lastPosition === null ? null : iso(Math.max(createdAt, lastPosition)),
      located ? round6(city.latitude + rng.normal() * 0.04) : null,
      located ? round6(city.longitude + rng.normal() * 0.04) : null,
      rng.chance(0.3), rng.pick([15, 30, 30, 45, 60, 90]),
      rng.weighted([['bronze', 55], ['silver', 28], ['gold', 13], ['platinum', 4]] as const),
      rng.pick([5, 10, 10, 15, 20, 30]),
      rng.chance(0.6) ? `${years} ans d'expérience, intervention rapide à ${city.name}.` : '',
      technician.user.id,
    ]);
  });

  // --- request rows ------------------------------------------------------------------------
  const requestRows = requests.map((request) => {
    const { createdAt, status, city } = request;
    const title = rng.pick(REQUEST_TITLES[request.code]);
    const lastEvent = Math.max(createdAt, request.assignedAt ?? 0, request.startedAt ?? 0, request.completedAt ?? 0);
    const updatedAt = status === 'cancelled' || status === 'on_hold'
      ? capNow(lastEvent + rng.logNormal(3 * HOUR, 1))
      : lastEvent;
    const wished = rng.chance(0.4) ? createdAt + rng.int(0, 3) * DAY : null;
    const located = city.name !== '' && rng.chance(0.88);
    const frontend = rng.chance(0.35); // created through the web frontend form
    return encodeRow([
      request.id, iso(createdAt), iso(updatedAt), rng.uuid(), title,
      rng.chance(0.1) ? null : `${title}. ${rng.chance(0.5) ? 'Merci de venir avec le matériel.' : 'Disponible toute la journée.'}`,
      request.specialty, request.isUrgent ? 'high' : rng.weighted(PRIORITIES), request.urgency,
      rng.weighted(EXPERIENCE_LEVELS), rng.chance(0.25) ? rng.int(3, 5) : null, status,
      status === 'in_progress' ? iso(capNow(Math.max(request.startedAt ?? createdAt, now - rng.int(1, 120) * MINUTE))) : null,
      streetAddress(rng, city),
      located ? round6(city.latitude + rng.normal() * 0.03) : null,
      located ? round6(city.longitude + rng.normal() * 0.03) : null,
      rng.chance(0.3) ? iso(createdAt + rng.int(1, 72) * HOUR) : null,
      request.assignedAt === null ? null : iso(request.assignedAt),
      request.startedAt === null ? null : iso(request.startedAt),
      request.completedAt === null ? null : iso(request.completedAt),
      request.estimatedPrice, request.finalPrice,
      rng.chance(0.5) ? rng.pick([1000, 1500, 2000, 2500, 3000, 5000]) : 0,
      request.isUrgent, city.name, rng.chance(0.05) ? `BP ${rng.int(100, 9999)}` : '',
      wished === null ? null : iso(wished).slice(0, 10),
      wished === null ? null : `${String(rng.int(8, 18)).padStart(2, '0')}:${rng.pick(['00', '30'])}:00`,
      frontend ? request.specialty : '', rng.chance(0.01) ? 1 : 0,
      status === 'completed' && rng.chance(0.8), request.client.id, request.technician?.id ?? null,
    ]);
  });

  // --- payments --------------------------------------------------------------------------
  const payments: TimedRow[] = [];
  const addPayment = (at: number, amount: number, status: string, method: string, type: string, payer: number, recipient: number, requestId: number, notes = ''): void => {
    const mobile = method === 'orange_money' || method === 'moov_money' || method === 'mobile_money';
    const processedAt = status === 'completed' || status === 'refunded' || status === 'failed' ? capNow(at + rng.int(5, 600) * 1000) : null;
    payments.push({
      at,
      line: encodeRow([
        iso(at), iso(processedAt ?? at), rng.uuid(), amount, status, method, type,
        mobile ? `${method === 'moov_money' ? 'MM' : 'OM'}${rng.digits(10)}` : method === 'bank_transfer' ? `VIR${rng.digits(8)}` : '',
        `DT-${rng.digits(8)}`, mobile ? Math.round(amount * 0.01) : 0,
        processedAt === null ? null : iso(processedAt), notes, payer, recipient, requestId,
      ]),
    });
  };
  for (const request of requests) {
    const technician = request.technician;
    const clientUser = request.client.user.id;
    if (request.status === 'completed' && technician && request.completedAt !== null) {
      const price = request.finalPrice ?? request.estimatedPrice;
      if (price === null || rng.chance(0.05)) continue; // settled off-platform
      const method = rng.weighted(CLIENT_PAYMENT_METHODS);
      let paidAt = capNow(request.completedAt + rng.logNormal(25 * MINUTE, 1));
      const status = rng.weighted([['completed', 90], ['failed', 3], ['pending', 3], ['processing', 1], ['refunded', 3]] as const);
      let retried = false;
      if (status === 'failed' && rng.chance(0.6)) {
        // Failed mobile-money attempt, then a successful retry.
        addPayment(paidAt, price, 'failed', method, 'client_payment', clientUser, technician.user.id, request.id, 'Solde insuffisant');
        paidAt = capNow(paidAt + rng.int(2, 90) * MINUTE);
        addPayment(paidAt, price, 'completed', method, 'client_payment', clientUser, technician.user.id, request.id);
        retried = true;
      } else {
        addPayment(paidAt, price, status, method, 'client_payment', clientUser, technician.user.id, request.id);
      }
      const settled = status === 'completed' || retried;
      if (status === 'refunded') {
        addPayment(capNow(paidAt + rng.logNormal(2 * DAY, 0.8)), price, 'completed', method, 'refund', platformUser.id, clientUser, request.id, 'Remboursement après litige');
      } else if (settled && rng.chance(0.92)) {
        const payoutAt = capNow(paidAt + rng.logNormal(20 * HOUR, 0.9));
        const payoutStatus = now - payoutAt < 2 * DAY ? rng.weighted([['pending', 60], ['processing', 10], ['completed', 30]] as const) : rng.weighted([['completed', 96], ['pending', 2], ['failed', 2]] as const);
        addPayment(payoutAt, payoutXof(rng, price), payoutStatus, rng.weighted(PAYOUT_METHODS), 'technician_payout', platformUser.id, technician.user.id, request.id);
      }
    } else if ((request.status === 'assigned' || request.status === 'in_progress') && technician && request.estimatedPrice !== null && rng.chance(0.1)) {
      // Deposit asked up front for some jobs.
      addPayment(request.assignedAt ?? request.createdAt, Math.round(request.estimatedPrice * 0.3), 'pending', rng.weighted(CLIENT_PAYMENT_METHODS), 'client_payment', clientUser, technician.user.id, request.id, 'Acompte');
    }
  }

  // --- reviews -----------------------------------------------------------------------------
  const reviews: TimedRow[] = [];
  for (const request of requests) {
    if (request.status !== 'completed' || !request.technician || request.completedAt === null || !rng.chance(0.45)) continue;
    const at = request.completedAt + rng.logNormal(10 * HOUR, 1.1);
    if (at > now) continue;
    const rating = rng.weighted(REVIEW_RATINGS);
    const fresh = now - at < 2 * DAY;
    const moderation = fresh && rng.chance(0.5) ? 'pending'
      : rng.weighted([['approved', 80], ['pending', 11], ['rejected', 5], ['flagged', 4]] as const);
    const visible = moderation === 'rejected' ? rng.chance(0.1) : moderation === 'flagged' ? rng.chance(0.5) : rng.chance(0.97);
    const sub = (): number | null => (rng.chance(0.3) ? null : Math.max(1, Math.min(5, rating + rng.int(-1, 1))));
    const recommend = rating >= 4 ? rng.chance(0.93) : rating === 3 ? rng.chance(0.5) : rng.chance(0.1);
    const tags = REVIEW_TAGS.filter(() => rng.chance(0.2));
    const warranty = rng.chance(0.2);
    reviews.push({
      at,
      line: encodeRow([
        iso(at), iso(moderation === 'pending' ? at : capNow(at + rng.logNormal(8 * HOUR, 1))), rating,
        rng.chance(0.2) ? '' : rng.pick(REVIEW_COMMENTS[rating]!), recommend, visible,
        sub(), sub(), sub(), sub(), sub(), sub(), sub(),
        rng.chance(0.5) ? Math.round(rng.logNormal(90, 0.6)) : null, request.isUrgent || request.urgency !== 'normal',
        rng.chance(0.3) ? null : rng.weighted([['simple', 40], ['moderate', 35], ['complex', 20], ['very_complex', 5]] as const),
        rng.chance(0.35), warranty, warranty ? rng.pick([7, 15, 30, 90]) : null,
        rating >= 4 && rng.chance(0.5) ? 'Ponctualité et travail propre' : '',
        rating <= 3 && rng.chance(0.5) ? 'Prévenir en cas de retard' : '',
        rating >= 3, recommend, rng.chance(0.8) ? Math.round(rng.float(20, 100) * 10) / 10 : null,
        rng.chance(0.6), moderation, moderation === 'rejected' ? 'Propos injurieux' : moderation === 'flagged' ? 'Signalé par le technicien' : '',
        JSON.stringify(tags), request.client.id, request.id, request.technician.id,
      ]),
    });
  }

  // --- security audit trail and notifications -----------------------------------------------
  const audits: TimedRow[] = [];
  const notifications: TimedRow[] = [];
  const addAudit = (at: number, user: UserDraft | null, event: string, status: 'success' | 'failure', risk: number, metadata: object): void => {
    const origin = ipOrigin(rng, user?.city.name ?? 'Bamako');
    const foreign = origin.country !== 'Mali' && origin.country !== '';
    const score = Math.min(130, risk + (foreign ? 25 : 0));
    audits.push({
      at,
      line: encodeRow([
        origin.ip, rng.pick(USER_AGENTS), event, status, iso(at), origin.country, origin.city, score,
        JSON.stringify(metadata), user?.id ?? null,
        origin.city === '' ? (rng.chance(0.5) ? null : '') : `${origin.city}, ${origin.country}`,
      ]),
    });
    if (user && score >= 80 && rng.chance(0.75)) {
      const sentAt = capNow(at + rng.int(2, 30) * 1000);
      notifications.push({
        at: sentAt,
        line: encodeRow([
          'Alerte de sécurité : connexion inhabituelle',
          `Une tentative de connexion inhabituelle a été détectée depuis ${origin.city || 'un lieu inconnu'} (${origin.ip}). Si ce n'était pas vous, changez votre mot de passe.`,
          iso(sentAt), rng.chance(0.9) ? 'login_high_risk' : null, user.id,
        ]),
      });
    }
  };
  const lowRisk = (): number => (rng.chance(0.93) ? Math.round(rng.float(0, 35)) : rng.chance(0.7) ? rng.int(40, 79) : rng.int(80, 100));
  // Each account verified its phone/e-mail by OTP at sign-up.
  for (const user of users) {
    if (user.kind === 'admin') continue;
    addAudit(capNow(user.createdAt + rng.int(5, 60) * 1000), user, 'otp_sent', 'success', lowRisk(), { channel: rng.chance(0.8) ? 'sms' : 'email' });
    if (rng.chance(0.9)) addAudit(capNow(user.createdAt + rng.int(61, 400) * 1000), user, 'otp_verified', 'success', lowRisk(), {});
  }
  const auditEvents = Math.round(requestCount * 1.2);
  for (let i = 0; i < auditEvents; i++) {
    const at = clock.sample();
    const known = upperBound(userCreatedAt, at); // users that existed at that instant
    const user = known > 0 ? users[rng.int(0, known - 1)]! : null;
    const event = rng.weighted([
      ['login', 58], ['logout', 12], ['otp_sent', 8], ['otp_verified', 6], ['profile_update', 5], ['payment', 3],
      ['password_reset_requested', 2.5], ['password_reset', 2], ['password_change', 1.5], ['session_revoke', 1], ['account_delete', 0.2],
    ] as const);
    if (event === 'login') {
      if (rng.chance(0.2)) {
        const unknownEmail = !user || rng.chance(0.3);
        const reason = unknownEmail ? 'Utilisateur inconnu' : rng.pick(FAILED_LOGIN_REASONS);
        const base = rng.chance(0.85) ? rng.int(0, 45) : rng.int(50, 100);
        addAudit(at, unknownEmail ? null : user, 'login', 'failure', base + 30, { reason, ...(unknownEmail ? { email: `inconnu${rng.digits(4)}@gmail.com` } : {}) });
      } else if (user) {
        addAudit(at, user, 'login', 'success', lowRisk(), { method: 'password' });
      }
    } else if (user) {
      const failed = event === 'otp_verified' ? rng.chance(0.1) : event === 'password_change' ? rng.chance(0.05) : false;
      addAudit(at, user, event, failed ? 'failure' : 'success', lowRisk(), failed ? { reason: 'Code OTP invalide' } : {});
      if (!failed && (event === 'password_reset' || event === 'password_change')) {
        notifications.push({
          at: capNow(at + 5000),
          line: encodeRow([
            event === 'password_reset' ? 'Votre mot de passe a été réinitialisé' : 'Votre mot de passe a été modifié',
            'Si vous n\'êtes pas à l\'origine de cette action, contactez le support DepanneTeliman.',
            iso(capNow(at + 5000)), rng.chance(0.8) ? (event === 'password_reset' ? 'password_reset' : 'password_changed') : null, user.id,
          ]),
        });
      }
    }
  }

  const withIds = (rows: TimedRow[]): string[] => {
    rows.sort((a, b) => a.at - b.at);
    return rows.map((entry, index) => `${index + 1}\t${entry.line}`);
  };

  return {
    adminUserId: admins[0]!.id,
    users_user: {
      columns: ['id', 'password', 'last_login', 'is_superuser', 'username', 'first_name', 'last_name', 'email', 'is_staff',
        'is_active', 'date_joined', 'user_type', 'is_verified', 'created_at', 'updated_at'],
      lines: userRows,
    },
    users_auditlog: {
      columns: ['id', 'ip_address', 'user_agent', 'event_type', 'status', '"timestamp"', 'geo_country', 'geo_city', 'risk_score',
        'metadata', 'user_id', 'location'],
      lines: withIds(audits),
    },
    users_securitynotification: {
      columns: ['id', 'subject', 'message', 'sent_at', 'event_type', 'user_id'],
      lines: withIds(notifications),
    },
    depannage_client: {
      columns: ['id', 'created_at', 'updated_at', 'address', 'phone', 'is_active', 'user_id'],
      lines: clientRows,
    },
    depannage_technician: {
      columns: ['id', 'created_at', 'updated_at', 'specialty', 'phone', 'is_available', 'is_verified', 'years_experience',
        'experience_level', 'hourly_rate', 'last_position_update', 'current_latitude', 'current_longitude',
        'is_available_urgent', 'response_time_minutes', 'badge_level', 'service_radius_km', 'bio', 'user_id'],
      lines: technicianRows,
    },
    depannage_repairrequest: {
      columns: ['id', 'created_at', 'updated_at', 'uuid', 'title', 'description', 'specialty_needed', 'priority', 'urgency_level',
        'min_experience_level', 'min_rating', 'status', 'last_position_refresh', 'address', 'latitude', 'longitude',
        'preferred_date', 'assigned_at', 'started_at', 'completed_at', 'estimated_price', 'final_price', 'travel_cost',
        'is_urgent', 'city', '"postalCode"', '"date"', '"time"', 'service_type', 'no_show_count', 'mission_validated',
        'client_id', 'technician_id'],
      lines: requestRows,
    },
    depannage_review: {
      columns: ['id', 'created_at', 'updated_at', 'rating', 'comment', 'would_recommend', 'is_visible', 'punctuality_rating',
        'quality_rating', 'communication_rating', 'professionalism_rating', 'problem_solving_rating', 'cleanliness_rating',
        'price_fairness_rating', 'intervention_duration_minutes', 'was_urgent', 'problem_complexity', 'parts_used',
        'warranty_offered', 'warranty_duration_days', 'positive_aspects', 'improvement_suggestions', 'would_use_again',
        'would_recommend_to_friends', 'review_quality_score', 'is_verified_review', 'moderation_status', 'moderation_notes',
        'tags', 'client_id', 'request_id', 'technician_id'],
      lines: withIds(reviews),
    },
    depannage_payment: {
      columns: ['id', 'created_at', 'updated_at', 'uuid', 'amount', 'status', 'method', 'payment_type', 'transaction_id',
        'reference', 'fees', 'processed_at', 'notes', 'payer_id', 'recipient_id', 'request_id'],
      lines: withIds(payments),
    },
  };
}

/** Status as of `now` for a request created ageDays ago: old requests have settled. */
function requestStatus(rng: Random, ageDays: number): string {
  if (rng.chance(0.003)) return 'on_hold'; // not a model choice, but present in live data
  if (ageDays < 1) return rng.weighted([['draft', 3], ['pending', 42], ['assigned', 25], ['in_progress', 15], ['completed', 12], ['cancelled', 3]] as const);
  if (ageDays < 7) return rng.weighted([['draft', 2], ['pending', 10], ['assigned', 8], ['in_progress', 8], ['completed', 60], ['cancelled', 12]] as const);
  return rng.weighted([['draft', 1.5], ['pending', 1.5], ['assigned', 0.8], ['in_progress', 0.7], ['completed', 79], ['cancelled', 16.5]] as const);
}

/** Prefers a technician of the request's city and specialty, as the matching service does. */
function pickTechnician(rng: Random, all: readonly TechnicianDraft[], byCity: Map<string, TechnicianDraft[]>, city: City, code: Specialty): TechnicianDraft {
  const local = byCity.get(city.name || 'Bamako');
  const pool = local && local.length > 0 && rng.chance(0.9) ? local : all;
  let candidate = rng.pick(pool);
  for (let attempt = 0; attempt < 4 && candidate.code !== code; attempt++) candidate = rng.pick(pool);
  return candidate;
}

/** Number of values <= target (values ascending). */
function upperBound(values: readonly number[], target: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! <= target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
