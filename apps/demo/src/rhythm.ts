// The marketplace's rhythm as its own data shows it: how often each kind of event (a request
// created, assigned, started, completed, cancelled, a sign-up, a review, a login that succeeds or
// fails) happens in each hour of the week, averaged over the last weeks of the operational
// database. The simulator's demo mode draws its events at these rates, so the live demo continues
// the history it finds (the seeded one, then its own) instead of running at a pace of its own: the
// seasonal anomaly rules, which compare the last hour with the same hour of past weeks, then see
// normal behaviour as normal, and a burst stands out.
import type pg from 'pg';

export const RHYTHM_EVENTS = [
  'create_request', 'assign', 'start', 'complete', 'cancel', 'sign_up', 'review', 'login', 'failed_login',
] as const;
export type RhythmEvent = (typeof RHYTHM_EVENTS)[number];

const HOUR_MS = 3_600_000;
const WEEK_HOURS = 168;

/** Hour of the week (0..167) of an instant, counted from a fixed UTC origin: only equality matters. */
export function hourOfWeek(ms: number): number {
  return Math.floor(ms / HOUR_MS) % WEEK_HOURS;
}

// One scan per table; the instant each event happened. A cancellation has no timestamp of its own:
// its request's last update (the seed and the simulator both write it when cancelling).
const EVENTS_SQL = `
  SELECT kind, floor(extract(epoch FROM at) / 3600)::bigint AS hour, count(*)::bigint AS n
  FROM (
    SELECT 'create_request' AS kind, created_at AS at FROM depannage_repairrequest
    UNION ALL SELECT 'assign', assigned_at FROM depannage_repairrequest
    UNION ALL SELECT 'start', started_at FROM depannage_repairrequest
    UNION ALL SELECT 'complete', completed_at FROM depannage_repairrequest
    UNION ALL SELECT 'cancel', updated_at FROM depannage_repairrequest WHERE status = 'cancelled'
    UNION ALL SELECT 'sign_up', created_at FROM users_user WHERE user_type IN ('client', 'technician')
    UNION ALL SELECT 'review', created_at FROM depannage_review
    UNION ALL SELECT CASE WHEN status = 'failure' THEN 'failed_login' ELSE 'login' END, "timestamp"
      FROM users_auditlog WHERE event_type = 'login'
  ) AS events
  WHERE at >= $1 AND at < $2
  GROUP BY kind, hour`;

/** Events per second of each kind, for each hour of the week. */
export class Rhythm {
  private constructor(
    private readonly perHour: ReadonlyMap<RhythmEvent, Float64Array>,
    /** The instant the rates were measured at (data before it). */
    readonly measuredAt: number,
    /** Whole weeks of data the rates average over (0: no data, every rate is 0). */
    readonly weeks: number,
  ) {}

  /**
   * Averages the last `weeks` weeks before `now` (fewer when the data starts later: an hour before
   * the first row is unknown, not quiet). Only whole hours count, so the hour in progress never
   * drags its slot down.
   */
  static async measure(pool: pg.Pool | pg.ClientBase, now: Date, weeks = 8): Promise<Rhythm> {
    const end = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
    const { rows: first } = await pool.query<{ at: Date | null }>('SELECT min(created_at) AS at FROM depannage_repairrequest');
    const dataStart = first[0]?.at ? Math.ceil(first[0].at.getTime() / HOUR_MS) * HOUR_MS : end;
    const start = Math.max(end - weeks * WEEK_HOURS * HOUR_MS, dataStart);
    const perHour = new Map<RhythmEvent, Float64Array>(RHYTHM_EVENTS.map((kind) => [kind, new Float64Array(WEEK_HOURS)]));
    if (start >= end) return new Rhythm(perHour, now.getTime(), 0);
    const { rows } = await pool.query<{ kind: RhythmEvent; hour: string; n: string }>(EVENTS_SQL, [new Date(start), new Date(end)]);
    for (const row of rows) perHour.get(row.kind)![hourOfWeek(Number(row.hour) * HOUR_MS)]! += Number(row.n);
    // How many times each hour of the week occurs in [start, end): its count is averaged over them.
    const occurrences = new Float64Array(WEEK_HOURS);
    for (let at = start; at < end; at += HOUR_MS) occurrences[hourOfWeek(at)]! += 1;
    for (const counts of perHour.values()) {
      for (let slot = 0; slot < WEEK_HOURS; slot++) counts[slot] = occurrences[slot]! > 0 ? counts[slot]! / occurrences[slot]! / 3600 : 0;
    }
    return new Rhythm(perHour, now.getTime(), Math.floor((end - start) / (WEEK_HOURS * HOUR_MS)));
  }

  /** Events of `kind` per second at instant `ms` (the average of its hour of the week). */
  rate(kind: RhythmEvent, ms: number): number {
    return this.perHour.get(kind)![hourOfWeek(ms)]!;
  }

  /** Events of `kind` per day, averaged over the week. */
  dailyAverage(kind: RhythmEvent): number {
    const counts = this.perHour.get(kind)!;
    let total = 0;
    for (const rate of counts) total += rate * 3600;
    return (total * 24) / WEEK_HOURS;
  }
}
