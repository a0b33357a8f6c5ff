// Keeps the demo marketplace alive: a steady trickle of sign-ups, repair requests moving
// through their lifecycle, payments, reviews, logins and the occasional delete, each step one
// transaction on the operational database, so that CDC and the dashboards have live changes.
//
// Two modes. Without a rhythm (load tests, the CDC workload) every step is one of the actions,
// drawn with fixed weights. With a rhythm (the demo) the marketplace's events (requests, their
// lifecycle, sign-ups, reviews, logins) happen at the rates its own data shows for this hour of the
// week (rhythm.ts), whatever the step rate, and the remaining steps are technicians' position
// reports and availability changes: the change rate stays `ratePerSecond`, and the activity the
// statistics and alerts measure looks like the history they compare it with.
//
// Every timestamp is the database's now() (UTC). The actions are public so that test workloads
// can compose several of them in one transaction instead of re-implementing them.
import type pg from 'pg';
import { Random, type Weighted } from './random.js';
import {
  CITY_WEIGHTS, CLIENT_PAYMENT_METHODS, DEMO_PASSWORD_HASH, EXPERIENCE_LEVELS, FAILED_LOGIN_REASONS, PAYOUT_METHODS,
  PRIORITIES, REQUEST_SPECIALTIES, REQUEST_TITLES, REVIEW_COMMENTS, REVIEW_RATINGS, REVIEW_TAGS, TECHNICIAN_SPECIALTIES,
  URGENCY_LEVELS, USER_AGENTS, emailFor, finalPriceXof, ipOrigin, malianPhone, payoutXof, personName, priceXof, specialtyCode,
  storedSpecialty, streetAddress, usernameFor,
} from './vocabulary.js';
import { hourOfWeek, Rhythm } from './rhythm.js';
import { inTransaction } from './transaction.js';
import { errorMessage } from '../../../libs/errors/src/error-message.js';

export type SimulatorActionKind =
  | 'create_request'
  | 'sign_up'
  | 'assign'
  | 'start'
  | 'complete'
  | 'settle_payment'
  | 'refund'
  | 'review'
  | 'moderate_review'
  | 'cancel'
  | 'login'
  | 'security_notification'
  | 'toggle_availability'
  | 'delete_cancelled_request'
  | 'delete_audit'
  | 'validate_missions'
  | 'successful_login'
  | 'failed_login'
  | 'position_update';

export interface SimulatorAction {
  kind: SimulatorActionKind;
  /** False when there was nothing to act on (e.g. no pending request to assign). */
  applied: boolean;
  /** Rows touched (the main table's row count for multi-row actions). */
  rows: number;
}

export interface SimulatorOptions {
  /** Steps (transactions) per second. */
  ratePerSecond: number;
  /**
   * Demo mode: the marketplace's events follow these rates (re-measured from the database every
   * RHYTHM_REFRESH_MS of `clock`); the other steps are position reports. Without it, fixed weights.
   */
  rhythm?: Rhythm;
  /** The instant the rhythm is read at (ms since the epoch; default Date.now). Rows still carry the database's now(). */
  clock?: () => number;
  /** PRNG seed for the choice of actions and values; defaults to the clock. */
  seed?: number;
  log?: (msg: string) => void;
  /** A failed action (rolled back); defaults to `log`. */
  warn?: (msg: string) => void;
}

// Relative frequency of each action per step: traffic is mostly requests and logins; deletes,
// refunds and bulk updates are rare, as in the live database.
const ACTION_WEIGHTS: Weighted<SimulatorActionKind> = [
  ['create_request', 17], ['sign_up', 3], ['assign', 12], ['start', 10], ['complete', 10], ['settle_payment', 6],
  ['refund', 0.7], ['review', 6], ['moderate_review', 3], ['cancel', 3], ['login', 18], ['security_notification', 1.5],
  ['toggle_availability', 4], ['delete_cancelled_request', 0.8], ['delete_audit', 0.8], ['validate_missions', 0.5],
];

/**
 * Demo mode: each action's rate from the rhythm. Events the data records directly follow their
 * measured rate; the rest are small fractions of the event they go with (a pending payment settled
 * for about one completion in ten, as the simulator leaves one in ten pending; a refund for 3 %).
 */
const PACED_ACTIONS: ReadonlyArray<readonly [SimulatorActionKind, (rhythm: Rhythm, at: number) => number]> = [
  ['create_request', (r, t) => r.rate('create_request', t)],
  ['assign', (r, t) => r.rate('assign', t)],
  ['start', (r, t) => r.rate('start', t)],
  ['complete', (r, t) => r.rate('complete', t)],
  ['cancel', (r, t) => r.rate('cancel', t)],
  ['sign_up', (r, t) => r.rate('sign_up', t)],
  ['review', (r, t) => r.rate('review', t)],
  ['successful_login', (r, t) => r.rate('login', t)],
  ['failed_login', (r, t) => r.rate('failed_login', t)],
  ['settle_payment', (r, t) => 0.1 * r.rate('complete', t)],
  ['refund', (r, t) => 0.03 * r.rate('complete', t)],
  ['moderate_review', (r, t) => 0.6 * r.rate('review', t)],
  ['security_notification', (r, t) => 0.05 * r.rate('login', t)],
  ['validate_missions', (r, t) => 0.02 * r.rate('complete', t)],
  ['delete_cancelled_request', (r, t) => 0.05 * r.rate('cancel', t)],
  ['delete_audit', (r, t) => 0.01 * r.rate('login', t)],
];
/** Demo mode: the steps left over by the events; no alert metric moves with them. */
const FILLER_WEIGHTS: Weighted<SimulatorActionKind> = [['position_update', 9], ['toggle_availability', 1]];
/** Demo mode: the rhythm is measured again this often (its own activity becomes history). */
const RHYTHM_REFRESH_MS = 6 * 3_600_000;

type Tx = pg.ClientBase;

export interface CreateRequestOptions {
  /** Stored specialty_needed, verbatim (any string, known code or not). */
  specialty?: string;
  urgencyLevel?: string;
  status?: string;
  city?: string;
}

export interface CompleteOptions {
  /** Final price in XOF; null stores NULL (price never entered). Default: a realistic price. */
  finalPrice?: number | null;
  paymentMethod?: string;
  /** Always record the client payment (by default a few completions are settled off-platform). */
  forcePayment?: boolean;
}

/** The marketplace actions, each a few statements on a caller-provided transaction. */
export class MarketplaceActions {
  private platformUserId: number | null | undefined;

  constructor(private readonly rng: Random) {}

  /** Registers a client or technician account with its profile and the sign-up OTP audit rows. */
  async signUp(tx: Tx, kind: 'client' | 'technician'): Promise<{ userId: number; profileId: number }> {
    const rng = this.rng;
    const { rows } = await tx.query<{ id: string }>(`SELECT nextval(pg_get_serial_sequence('users_user', 'id')) AS id`);
    const userId = Number(rows[0]!.id);
    const name = personName(rng);
    // The id is part of the username, so restarts with the same seed never collide.
    const username = usernameFor(name, userId);
    await tx.query(
      `INSERT INTO users_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active,
                               date_joined, user_type, is_verified, created_at, updated_at)
       VALUES ($1, $2, false, $3, $4, $5, $6, false, true, now(), $7, false, now(), now())`,
      [userId, DEMO_PASSWORD_HASH, username, name.firstName, name.lastName, emailFor(rng, username), kind],
    );
    const city = rng.weighted(CITY_WEIGHTS);
    let profileId: number;
    if (kind === 'client') {
      const inserted = await tx.query<{ id: string }>(
        `INSERT INTO depannage_client (created_at, updated_at, address, phone, is_active, user_id)
         VALUES (now(), now(), $1, $2, true, $3) RETURNING id`,
        [streetAddress(rng, city), malianPhone(rng), userId],
      );
      profileId = Number(inserted.rows[0]!.id);
    } else {
      const years = Math.min(30, Math.floor(rng.logNormal(4, 0.8)));
      const inserted = await tx.query<{ id: string }>(
        `INSERT INTO depannage_technician (created_at, updated_at, specialty, phone, is_available, is_verified, years_experience,
                                           experience_level, hourly_rate, current_latitude, current_longitude,
                                           last_position_update, is_available_urgent, response_time_minutes, badge_level,
                                           service_radius_km, bio, user_id)
         VALUES (now(), now(), $1, $2, true, false, $3, $4, $5, $6, $7, now(), $8, $9, 'bronze', $10, '', $11) RETURNING id`,
        [
          rng.weighted(TECHNICIAN_SPECIALTIES), malianPhone(rng), years, rng.weighted(EXPERIENCE_LEVELS),
          Math.round(rng.logNormal(4000, 0.4) / 500) * 500, city.latitude + rng.normal() * 0.04,
          city.longitude + rng.normal() * 0.04, rng.chance(0.3), rng.pick([15, 30, 45, 60]), rng.pick([5, 10, 15, 20]), userId,
        ],
      );
      profileId = Number(inserted.rows[0]!.id);
    }
    await this.audit(tx, userId, 'otp_sent', 'success', { channel: 'sms' });
    await this.audit(tx, userId, 'otp_verified', 'success', {});
    return { userId, profileId };
  }

  /** A client posts a repair request (sometimes a brand-new client). Returns the request id. */
  async createRequest(tx: Tx, options: CreateRequestOptions = {}): Promise<number> {
    const rng = this.rng;
    let clientId = rng.chance(0.12) ? null : await this.pickId(tx, 'depannage_client', 'is_active');
    if (clientId === null) clientId = (await this.signUp(tx, 'client')).profileId;
    const code = rng.weighted(REQUEST_SPECIALTIES);
    const specialty = options.specialty ?? storedSpecialty(rng, code);
    const urgency = options.urgencyLevel ?? rng.weighted(URGENCY_LEVELS);
    const isUrgent = rng.chance(urgency === 'urgent' || urgency === 'sos' ? 0.45 : 0.04);
    const city = rng.weighted(CITY_WEIGHTS);
    const located = city.name !== '' && rng.chance(0.88);
    const title = rng.pick(REQUEST_TITLES[specialtyCode(specialty)]);
    const frontend = rng.chance(0.35);
    const wished = rng.chance(0.4);
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO depannage_repairrequest (created_at, updated_at, title, description, specialty_needed, priority, urgency_level,
                                            min_experience_level, min_rating, status, address, latitude, longitude,
                                            estimated_price, travel_cost, is_urgent, city, "postalCode", "date", "time",
                                            service_type, client_id)
       VALUES (now(), now(), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, '',
               CASE WHEN $16::boolean THEN (now() + interval '1 day')::date END,
               CASE WHEN $16::boolean THEN time '10:00' END, $17, $18)
       RETURNING id`,
      [
        title, rng.chance(0.1) ? null : `${title}. Merci de venir rapidement.`, specialty,
        isUrgent ? 'high' : rng.weighted(PRIORITIES), urgency, rng.weighted(EXPERIENCE_LEVELS),
        rng.chance(0.25) ? rng.int(3, 5) : null, options.status ?? (rng.chance(0.03) ? 'draft' : 'pending'),
        streetAddress(rng, city), located ? city.latitude + rng.normal() * 0.03 : null,
        located ? city.longitude + rng.normal() * 0.03 : null,
        rng.chance(0.85) ? priceXof(rng, specialtyCode(specialty)) : null,
        rng.chance(0.5) ? rng.pick([1000, 1500, 2000, 3000]) : 0, isUrgent, options.city ?? city.name, wished,
        frontend ? specialty : '', clientId,
      ],
    );
    return Number(rows[0]!.id);
  }

  /** Assigns an available, verified technician (same specialty preferred) to a pending request. */
  async assign(tx: Tx, requestId?: number): Promise<number | null> {
    const id = requestId ?? (await this.pickId(tx, 'depannage_repairrequest', `status = 'pending'`));
    if (id === null) return null;
    const request = await tx.query<{ specialty_needed: string }>(
      `SELECT specialty_needed FROM depannage_repairrequest WHERE id = $1 FOR UPDATE`, [id]);
    if (!request.rows[0]) return null;
    // An available, verified, active technician; of the requested specialty when there is one.
    const candidate = `is_available AND is_verified
      AND EXISTS (SELECT 1 FROM users_user u WHERE u.id = depannage_technician.user_id AND u.is_active)`;
    const technicianId = (await this.pickId(tx, 'depannage_technician', `${candidate} AND specialty = $2`, [request.rows[0].specialty_needed]))
      ?? (await this.pickId(tx, 'depannage_technician', candidate));
    if (technicianId === null) return null;
    const updated = await tx.query(
      `UPDATE depannage_repairrequest SET technician_id = $2, status = 'assigned', assigned_at = now(), updated_at = now()
        WHERE id = $1 AND status = 'pending'`,
      [id, technicianId],
    );
    return updated.rowCount === 1 ? id : null;
  }

  /** The technician arrives: assigned → in_progress. */
  async start(tx: Tx, requestId?: number): Promise<number | null> {
    const id = requestId ?? (await this.pickId(tx, 'depannage_repairrequest', `status = 'assigned'`));
    if (id === null) return null;
    const updated = await tx.query(
      `UPDATE depannage_repairrequest
          SET status = 'in_progress', started_at = now(), last_position_refresh = now(), updated_at = now()
        WHERE id = $1 AND status = 'assigned'`,
      [id],
    );
    return updated.rowCount === 1 ? id : null;
  }

  /** The job is done: final price, client payment and (once paid) the technician's payout. */
  async complete(tx: Tx, requestId?: number, options: CompleteOptions = {}): Promise<number | null> {
    const rng = this.rng;
    const id = requestId ?? (await this.pickId(tx, 'depannage_repairrequest', `status = 'in_progress'`));
    if (id === null) return null;
    const found = await tx.query<{ specialty_needed: string; estimated_price: string | null; client_user: string; technician_user: string | null }>(
      `SELECT r.specialty_needed, r.estimated_price, c.user_id AS client_user, t.user_id AS technician_user
         FROM depannage_repairrequest r
         JOIN depannage_client c ON c.id = r.client_id
         LEFT JOIN depannage_technician t ON t.id = r.technician_id
        WHERE r.id = $1 AND r.status = 'in_progress'
          FOR UPDATE OF r`,
      [id],
    );
    const request = found.rows[0];
    if (!request) return null;
    const estimated = request.estimated_price === null ? null : Number(request.estimated_price);
    const finalPrice = options.finalPrice !== undefined
      ? options.finalPrice
      : rng.chance(0.04) ? null
      : finalPriceXof(rng, specialtyCode(request.specialty_needed), estimated);
    await tx.query(
      `UPDATE depannage_repairrequest
          SET status = 'completed', completed_at = now(), final_price = $2, mission_validated = $3, updated_at = now()
        WHERE id = $1`,
      [id, finalPrice, rng.chance(0.7)],
    );
    const price = finalPrice ?? estimated;
    const technicianUser = request.technician_user === null ? null : Number(request.technician_user);
    if (price === null || technicianUser === null || (!options.forcePayment && rng.chance(0.08))) return id; // settled off-platform
    const status = rng.weighted([['completed', 85], ['pending', 10], ['failed', 5]] as const);
    await this.payment(tx, {
      amount: price, status, method: options.paymentMethod ?? rng.weighted(CLIENT_PAYMENT_METHODS), type: 'client_payment',
      payer: Number(request.client_user), recipient: technicianUser, requestId: id,
    });
    const platform = await this.platformUser(tx);
    if (status === 'completed' && platform !== null) {
      await this.payment(tx, {
        amount: payoutXof(rng, price), status: rng.chance(0.6) ? 'pending' : 'completed', method: rng.weighted(PAYOUT_METHODS),
        type: 'technician_payout', payer: platform, recipient: technicianUser, requestId: id,
      });
    }
    return id;
  }

  /** A pending or processing payment goes through (or fails). */
  async settlePayment(tx: Tx): Promise<number | null> {
    const id = await this.pickId(tx, 'depannage_payment', `status IN ('pending', 'processing')`);
    if (id === null) return null;
    const updated = await tx.query(
      `UPDATE depannage_payment SET status = $2, processed_at = now(), updated_at = now()
        WHERE id = $1 AND status IN ('pending', 'processing')`,
      [id, this.rng.chance(0.88) ? 'completed' : 'failed'],
    );
    return updated.rowCount === 1 ? id : null;
  }

  /** A completed client payment is refunded after a dispute: status update plus a refund row. */
  async refund(tx: Tx): Promise<number | null> {
    const platform = await this.platformUser(tx);
    if (platform === null) return null;
    const id = await this.pickId(tx, 'depannage_payment', `status = 'completed' AND payment_type = 'client_payment'`);
    if (id === null) return null;
    const updated = await tx.query<{ amount: string; method: string; payer_id: string; request_id: string }>(
      `UPDATE depannage_payment SET status = 'refunded', updated_at = now(), notes = 'Remboursement après litige'
        WHERE id = $1 AND status = 'completed' RETURNING amount, method, payer_id, request_id`,
      [id],
    );
    const original = updated.rows[0];
    if (!original) return null;
    await this.payment(tx, {
      amount: Number(original.amount), status: 'completed', method: original.method, type: 'refund',
      payer: platform, recipient: Number(original.payer_id), requestId: Number(original.request_id),
    });
    return id;
  }

  /** The client reviews a completed job (moderation: approved directly, or pending). */
  async review(tx: Tx, requestId?: number): Promise<number | null> {
    const rng = this.rng;
    const unreviewed = `status = 'completed' AND technician_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM depannage_review v WHERE v.request_id = depannage_repairrequest.id)`;
    // Clients review soon after the job: one of the latest unreviewed completions (walks the
    // completed_at index backwards; a random id pick here would anti-join the whole table).
    const latest = async (offset: number): Promise<number | null> => {
      const { rows } = await tx.query<{ id: string }>(
        `SELECT id FROM depannage_repairrequest WHERE ${unreviewed} AND completed_at IS NOT NULL
          ORDER BY completed_at DESC LIMIT 1 OFFSET $1`,
        [offset],
      );
      return rows[0] ? Number(rows[0].id) : null;
    };
    const id = requestId ?? (await latest(rng.int(0, 10))) ?? (await latest(0));
    if (id === null) return null;
    const found = await tx.query<{ client_id: string; technician_id: string; urgent: boolean }>(
      `SELECT client_id, technician_id, (is_urgent OR urgency_level <> 'normal') AS urgent
         FROM depannage_repairrequest WHERE id = $1 AND ${unreviewed}`,
      [id],
    );
    const request = found.rows[0];
    if (!request) return null;
    const rating = rng.weighted(REVIEW_RATINGS);
    const recommend = rating >= 4 ? rng.chance(0.93) : rating === 3 ? rng.chance(0.5) : rng.chance(0.1);
    const sub = (): number | null => (rng.chance(0.3) ? null : Math.max(1, Math.min(5, rating + rng.int(-1, 1))));
    const inserted = await tx.query<{ id: string }>(
      `INSERT INTO depannage_review (created_at, updated_at, rating, comment, would_recommend, is_visible, punctuality_rating,
                                     quality_rating, communication_rating, professionalism_rating, was_urgent, parts_used,
                                     would_use_again, would_recommend_to_friends, is_verified_review, moderation_status,
                                     tags, client_id, request_id, technician_id)
       VALUES (now(), now(), $1, $2, $3, true, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15, $16, $17)
       RETURNING id`,
      [
        rating, rng.pick(REVIEW_COMMENTS[rating]!), recommend, sub(), sub(), sub(), sub(), request.urgent, rng.chance(0.35),
        rating >= 3, recommend, rng.chance(0.6), rng.chance(0.4) ? 'approved' : 'pending',
        JSON.stringify(REVIEW_TAGS.filter(() => rng.chance(0.2))), request.client_id, id, request.technician_id,
      ],
    );
    return Number(inserted.rows[0]!.id);
  }

  /** An admin moderates a pending review: mostly approved, sometimes rejected (then hidden). */
  async moderateReview(tx: Tx): Promise<number | null> {
    const id = await this.pickId(tx, 'depannage_review', `moderation_status = 'pending'`);
    if (id === null) return null;
    const approve = this.rng.chance(0.9);
    const updated = await tx.query(
      `UPDATE depannage_review SET moderation_status = $2, is_visible = $3, moderation_notes = $4, updated_at = now()
        WHERE id = $1 AND moderation_status = 'pending'`,
      [id, approve ? 'approved' : 'rejected', approve, approve ? '' : 'Propos injurieux'],
    );
    return updated.rowCount === 1 ? id : null;
  }

  /**
   * The client (or support) cancels a request that has not started; with `waitedHours`, one
   * created at least that long ago (clients give up after waiting, as in the seeded history,
   * where 3 % of a day's requests are cancelled by its end and 16 % in the long run).
   */
  async cancel(tx: Tx, requestId?: number, waitedHours?: number): Promise<number | null> {
    const waited = waitedHours === undefined ? '' : ` AND created_at <= now() - make_interval(hours => $2)`;
    const id = requestId ?? (await this.pickId(tx, 'depannage_repairrequest', `status IN ('pending', 'assigned', 'draft')${waited}`, waitedHours === undefined ? [] : [waitedHours]));
    if (id === null) return null;
    const updated = await tx.query(
      `UPDATE depannage_repairrequest SET status = 'cancelled', updated_at = now()
        WHERE id = $1 AND status IN ('pending', 'assigned', 'draft')`,
      [id],
    );
    return updated.rowCount === 1 ? id : null;
  }

  /**
   * A login attempt: success, wrong password, unknown e-mail or the OTP flow; risky ones alert the
   * user. With `only`, that outcome (a failure is an unknown e-mail three times in ten, as in the seed).
   */
  async login(tx: Tx, only?: 'success' | 'failure'): Promise<number> {
    const rng = this.rng;
    const userId = await this.pickId(tx, 'users_user');
    const unknown = only === undefined ? rng.chance(0.06) : only === 'failure' && rng.chance(0.3);
    if (userId === null || unknown) {
      await this.audit(tx, null, 'login', 'failure', { reason: 'Utilisateur inconnu', email: `inconnu${rng.digits(4)}@gmail.com` }, 30);
      return 1;
    }
    const outcome = only ?? rng.weighted([['success', 70], ['failure', 18], ['otp', 9], ['logout', 3]] as const);
    if (outcome === 'otp') {
      await this.audit(tx, userId, 'otp_sent', 'success', { channel: 'sms' });
      const verified = rng.chance(0.9);
      await this.audit(tx, userId, 'otp_verified', verified ? 'success' : 'failure', verified ? {} : { reason: 'Code OTP invalide' });
      return 2;
    }
    if (outcome === 'logout') {
      await this.audit(tx, userId, 'logout', 'success', {});
      return 1;
    }
    const failed = outcome === 'failure';
    const risk = await this.audit(tx, userId, 'login', failed ? 'failure' : 'success',
      failed ? { reason: rng.pick(FAILED_LOGIN_REASONS.filter((r) => r !== 'Utilisateur inconnu')) } : { method: 'password' },
      failed ? 30 : 0);
    if (!failed) {
      // The JWT API never touches last_login; staff log in through the Django admin (which
      // does), and some technicians use the session-based web dashboard.
      await tx.query(
        `UPDATE users_user SET last_login = now() WHERE id = $1 AND (is_staff OR user_type = 'admin' OR $2::boolean)`,
        [userId, rng.chance(0.25)],
      );
    }
    if (risk >= 80) {
      await this.notify(tx, userId, 'Alerte de sécurité : connexion inhabituelle',
        'Une tentative de connexion inhabituelle a été détectée. Si ce n\'était pas vous, changez votre mot de passe.', 'login_high_risk');
    }
    return 1;
  }

  /** A security e-mail outside the login flow (new device, password changed). */
  async securityNotification(tx: Tx): Promise<number | null> {
    const userId = await this.pickId(tx, 'users_user');
    if (userId === null) return null;
    const [subject, eventType] = this.rng.weighted([
      [['Nouvel appareil connecté à votre compte', 'new_device'], 5],
      [['Votre mot de passe a été modifié', 'password_changed'], 3],
      [['Alerte de sécurité : connexion inhabituelle', 'login_high_risk'], 2],
    ] as const);
    return this.notify(tx, userId, subject, 'Si vous n\'êtes pas à l\'origine de cette action, contactez le support DepanneTeliman.', eventType);
  }

  /** A technician on duty reports where they are (the app does so every few minutes). */
  async updatePosition(tx: Tx): Promise<number | null> {
    const rng = this.rng;
    const id = await this.pickId(tx, 'depannage_technician', 'is_available AND current_latitude IS NOT NULL');
    if (id === null) return null;
    const updated = await tx.query(
      `UPDATE depannage_technician
          SET current_latitude = round((current_latitude + $2)::numeric, 6), current_longitude = round((current_longitude + $3)::numeric, 6),
              last_position_update = now()
        WHERE id = $1 AND current_latitude IS NOT NULL`,
      [id, rng.normal() * 0.002, rng.normal() * 0.002],
    );
    return updated.rowCount === 1 ? id : null;
  }

  /** A technician goes on/off duty; sometimes an admin verifies a new technician instead. */
  async toggleAvailability(tx: Tx): Promise<number | null> {
    if (this.rng.chance(0.2)) {
      const unverified = await this.pickId(tx, 'depannage_technician', 'NOT is_verified');
      if (unverified !== null) {
        await tx.query(`UPDATE depannage_technician SET is_verified = true, updated_at = now() WHERE id = $1`, [unverified]);
        return unverified;
      }
    }
    const id = await this.pickId(tx, 'depannage_technician');
    if (id === null) return null;
    await tx.query(
      `UPDATE depannage_technician SET is_available = NOT is_available, last_position_update = now(), updated_at = now() WHERE id = $1`,
      [id],
    );
    return id;
  }

  /** Deletes a request and its dependents (reviews and payments first, as the ORM cascade does). */
  async deleteRequest(tx: Tx, requestId: number): Promise<number> {
    await tx.query(`DELETE FROM depannage_review WHERE request_id = $1`, [requestId]);
    await tx.query(`DELETE FROM depannage_payment WHERE request_id = $1`, [requestId]);
    const deleted = await tx.query(`DELETE FROM depannage_repairrequest WHERE id = $1`, [requestId]);
    return deleted.rowCount ?? 0;
  }

  /** Support purges a cancelled request. */
  async deleteCancelledRequest(tx: Tx): Promise<number | null> {
    const id = await this.pickId(tx, 'depannage_repairrequest', `status = 'cancelled'`);
    if (id === null) return null;
    return (await this.deleteRequest(tx, id)) === 1 ? id : null;
  }

  /** Retention purge of one audit row. */
  async deleteAudit(tx: Tx): Promise<number | null> {
    const id = await this.pickId(tx, 'users_auditlog');
    if (id === null) return null;
    const deleted = await tx.query(`DELETE FROM users_auditlog WHERE id = $1`, [id]);
    return deleted.rowCount === 1 ? id : null;
  }

  /** Admin bulk action: marks up to `limit` completed, unvalidated missions as validated (one UPDATE). */
  async validateMissions(tx: Tx, limit: number): Promise<number> {
    const updated = await tx.query(
      `UPDATE depannage_repairrequest SET mission_validated = true, updated_at = now()
        WHERE id IN (SELECT id FROM depannage_repairrequest WHERE status = 'completed' AND NOT mission_validated
                      ORDER BY id LIMIT $1)`,
      [limit],
    );
    return updated.rowCount ?? 0;
  }

  // --- helpers ---------------------------------------------------------------------------------

  /**
   * A pseudo-random id of a row matching `condition` (which may use $2, $3... bound to
   * `params`): the first match at or after a random point of the table's id range, else the
   * first match overall. Primary-key probes only, no min/max over the condition and no sort,
   * so it stays a few milliseconds on the 200k-request demo database.
   */
  async pickId(tx: Tx, table: string, condition = 'true', params: readonly unknown[] = []): Promise<number | null> {
    const bounds = await tx.query<{ lo: string | null; hi: string | null }>(`SELECT min(id) AS lo, max(id) AS hi FROM ${table}`);
    const { lo, hi } = bounds.rows[0]!;
    if (lo === null || hi === null) return null;
    const from = Number(lo) + Math.floor(this.rng.next() * (Number(hi) - Number(lo) + 1));
    const sql = `SELECT id FROM ${table} WHERE (${condition}) AND id >= $1 ORDER BY id LIMIT 1`;
    const found = (await tx.query<{ id: string }>(sql, [from, ...params])).rows[0]
      ?? (await tx.query<{ id: string }>(sql, [lo, ...params])).rows[0];
    return found ? Number(found.id) : null;
  }

  private async platformUser(tx: Tx): Promise<number | null> {
    if (this.platformUserId === undefined || this.platformUserId === null) {
      const { rows } = await tx.query<{ id: string }>(
        `SELECT id FROM users_user WHERE user_type = 'admin' ORDER BY (username = 'admin') DESC, id LIMIT 1`);
      this.platformUserId = rows[0] ? Number(rows[0].id) : null;
    }
    return this.platformUserId;
  }

  private async payment(tx: Tx, p: { amount: number; status: string; method: string; type: string; payer: number; recipient: number; requestId: number }): Promise<void> {
    const rng = this.rng;
    const mobile = p.method === 'orange_money' || p.method === 'moov_money' || p.method === 'mobile_money';
    await tx.query(
      `INSERT INTO depannage_payment (created_at, updated_at, amount, status, method, payment_type, transaction_id, reference,
                                      fees, processed_at, notes, payer_id, recipient_id, request_id)
       VALUES (now(), now(), $1, $2, $3, $4, $5, $6, $7, CASE WHEN $11::boolean THEN now() END, '', $8, $9, $10)`,
      [
        p.amount, p.status, p.method, p.type, mobile ? `OM${rng.digits(10)}` : '', `DT-${rng.digits(8)}`,
        mobile ? Math.round(p.amount * 0.01) : 0, p.payer, p.recipient, p.requestId, p.status === 'completed' || p.status === 'failed',
      ],
    );
  }

  /** Writes one audit row; returns its risk score. */
  private async audit(tx: Tx, userId: number | null, event: string, status: 'success' | 'failure', metadata: object, riskBonus = 0): Promise<number> {
    const rng = this.rng;
    const origin = ipOrigin(rng, rng.weighted(CITY_WEIGHTS).name);
    const foreign = origin.country !== 'Mali' && origin.country !== '';
    const base = rng.chance(0.93) ? rng.int(0, 35) : rng.chance(0.7) ? rng.int(40, 79) : rng.int(80, 100);
    const risk = Math.min(130, base + riskBonus + (foreign ? 25 : 0));
    await tx.query(
      `INSERT INTO users_auditlog (ip_address, user_agent, event_type, status, "timestamp", geo_country, geo_city, risk_score,
                                   metadata, user_id, location)
       VALUES ($1, $2, $3, $4, now(), $5, $6, $7, $8::jsonb, $9, $10)`,
      [
        origin.ip, rng.pick(USER_AGENTS), event, status, origin.country, origin.city, risk, JSON.stringify(metadata), userId,
        origin.city ? `${origin.city}, ${origin.country}` : null,
      ],
    );
    return risk;
  }

  private async notify(tx: Tx, userId: number, subject: string, message: string, eventType: string): Promise<number> {
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO users_securitynotification (subject, message, sent_at, event_type, user_id)
       VALUES ($1, $2, now(), $3, $4) RETURNING id`,
      [subject, message, eventType, userId],
    );
    return Number(rows[0]!.id);
  }
}

export class Simulator {
  readonly actions: MarketplaceActions;
  private readonly rng: Random;
  private readonly intervalMs: number;
  private readonly log: (msg: string) => void;
  private readonly warn: (msg: string) => void;
  private readonly counters: Record<string, number> = { steps: 0, skipped: 0, failed: 0 };
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private rhythm: Rhythm | null;
  private readonly clock: () => number;
  private readonly ratePerSecond: number;
  /** Demo mode: the hour of the week whose events outran the step rate was already reported. */
  private saturatedHourReported: number | null = null;

  constructor(private readonly pool: pg.Pool, opts: SimulatorOptions) {
    if (!(opts.ratePerSecond > 0)) throw new Error(`Simulator: ratePerSecond must be > 0, got ${opts.ratePerSecond}`);
    this.ratePerSecond = opts.ratePerSecond;
    this.intervalMs = 1000 / opts.ratePerSecond;
    this.rng = new Random(opts.seed ?? Date.now() % 2_147_483_647);
    this.actions = new MarketplaceActions(this.rng);
    this.log = opts.log ?? ((msg) => console.error(msg));
    this.warn = opts.warn ?? this.log;
    this.rhythm = opts.rhythm ?? null;
    this.clock = opts.clock ?? Date.now;
  }

  /** Counts per applied action kind, plus steps, skipped (nothing to act on) and failed. */
  get stats(): Record<string, number> {
    return { ...this.counters };
  }

  start(): void {
    if (this.loop) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops after the step in flight, if any. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    this.loop = null;
    this.log(`simulator stopped after ${this.counters.steps} steps: ${JSON.stringify(this.counters)}`);
  }

  /** Runs one randomly chosen action in its own transaction. Throws if it fails (after rollback). */
  async step(): Promise<SimulatorAction> {
    const kind = this.rhythm ? await this.pacedKind(this.rhythm) : this.rng.weighted(ACTION_WEIGHTS);
    this.counters.steps! += 1;
    try {
      const rows = await this.transaction((tx) => this.perform(tx, kind));
      const action: SimulatorAction = { kind, applied: rows > 0, rows };
      if (action.applied) this.counters[kind] = (this.counters[kind] ?? 0) + 1;
      else this.counters.skipped! += 1;
      return action;
    } catch (error) {
      this.counters.failed! += 1;
      throw new Error(`simulator action ${kind} failed: ${errorMessage(error)}`, { cause: error });
    }
  }

  /**
   * Demo mode: an event with probability (its rate now) ÷ (steps per second), so each happens at
   * its measured rate; otherwise a filler step. When the events outrun the step rate they keep
   * their proportions and the shortfall is reported once per hour of the week.
   */
  private async pacedKind(current: Rhythm): Promise<SimulatorActionKind> {
    const at = this.clock();
    let rhythm = current;
    if (at - rhythm.measuredAt >= RHYTHM_REFRESH_MS) {
      rhythm = this.rhythm = await Rhythm.measure(this.pool, new Date(at));
    }
    const rates = PACED_ACTIONS.map(([kind, rate]) => [kind, rate(rhythm, at)] as const);
    const total = rates.reduce((sum, [, rate]) => sum + rate, 0);
    if (total > this.ratePerSecond && this.saturatedHourReported !== hourOfWeek(at)) {
      this.saturatedHourReported = hourOfWeek(at);
      this.warn(`simulator: the data's events need ${total.toFixed(2)} steps/s at this hour, more than the ${this.ratePerSecond} configured; they run slower than the history`);
    }
    let draw = this.rng.next() * Math.max(total, this.ratePerSecond);
    for (const [kind, rate] of rates) {
      if (draw < rate) return kind;
      draw -= rate;
    }
    return this.rng.weighted(FILLER_WEIGHTS);
  }

  /** Runs `work` in one transaction on a pooled connection (rolled back if it throws). */
  async transaction<T>(work: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, work);
  }

  private async perform(tx: pg.PoolClient, kind: SimulatorActionKind): Promise<number> {
    const a = this.actions;
    const one = (id: number | null): number => (id === null ? 0 : 1);
    switch (kind) {
      case 'create_request': return one(await a.createRequest(tx));
      case 'sign_up': return one((await a.signUp(tx, this.rng.chance(0.75) ? 'client' : 'technician')).userId);
      case 'assign': return one(await a.assign(tx));
      case 'start': return one(await a.start(tx));
      case 'complete': return one(await a.complete(tx));
      case 'settle_payment': return one(await a.settlePayment(tx));
      case 'refund': return one(await a.refund(tx));
      case 'review': return one(await a.review(tx));
      case 'moderate_review': return one(await a.moderateReview(tx));
      // Demo mode: the day's failure rate stays the history's (the 24 h threshold watches it).
      case 'cancel': return one(await a.cancel(tx, undefined, this.rhythm ? 24 : undefined));
      case 'login': return a.login(tx);
      case 'security_notification': return one(await a.securityNotification(tx));
      case 'toggle_availability': return one(await a.toggleAvailability(tx));
      case 'delete_cancelled_request': return one(await a.deleteCancelledRequest(tx));
      case 'delete_audit': return one(await a.deleteAudit(tx));
      case 'validate_missions': return a.validateMissions(tx, 20);
      case 'successful_login': return a.login(tx, 'success');
      case 'failed_login': return a.login(tx, 'failure');
      case 'position_update': return one(await a.updatePosition(tx));
    }
  }

  private async run(): Promise<void> {
    let consecutiveFailures = 0;
    let next = Date.now();
    while (this.running) {
      try {
        await this.step();
        consecutiveFailures = 0;
      } catch (error) {
        consecutiveFailures += 1;
        this.warn(errorMessage(error)); // "simulator action <kind> failed: ..."
      }
      // Back off while the database is unreachable rather than logging at full rate.
      const backoff = consecutiveFailures > 1 ? Math.min(30_000, this.intervalMs * 2 ** consecutiveFailures) : 0;
      next = Math.max(next + this.intervalMs, Date.now() - 1000) + backoff; // no catch-up burst after a stall
      const wait = next - Date.now();
      if (wait > 0 && this.running) await this.sleep(wait);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
