// Time windows of the statistics, all derived from one `now` so that a response is internally
// consistent and reproducible (the tests' oracle uses the same instant).
import type { Period, StatisticsQuery } from './types.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The earliest instant ClickHouse DateTime64 columns hold: "since" for the period 'all'. */
export const BEGINNING_OF_TIME = new Date(Date.UTC(1900, 0, 1));

export const PERIOD_DURATION_MS: Record<Period, number | null> = {
  '24h': DAY_MS,
  '7d': 7 * DAY_MS,
  '30d': 30 * DAY_MS,
  all: null,
};

/** Rolling window start: `col >= since` (no upper bound, metrics.md). */
export function periodStart(period: Period, now: Date): Date {
  const duration = PERIOD_DURATION_MS[period];
  return duration === null ? BEGINNING_OF_TIME : new Date(now.getTime() - duration);
}

/** The query of a named period, unfiltered: window [now − Δ, ∞), or everything for 'all'. */
export function periodQuery(period: Period, now: Date): StatisticsQuery {
  return {
    period,
    from: period === 'all' ? null : periodStart(period, now),
    to: null,
    city: null,
    specialty: null,
    now,
  };
}

export function hoursBefore(now: Date, hours: number): Date {
  return new Date(now.getTime() - hours * HOUR_MS);
}

export function daysBefore(now: Date, days: number): Date {
  return new Date(now.getTime() - days * DAY_MS);
}

/** 'YYYY-MM-DD' of a UTC calendar day. */
export function utcDay(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

/** 'YYYY-MM' of a UTC calendar month. */
export function utcMonth(instant: Date): string {
  return instant.toISOString().slice(0, 7);
}

/** Midnight UTC of the day `offset` days from the day of `instant` (offset may be negative). */
export function utcMidnight(instant: Date, offsetDays = 0): Date {
  return new Date(Date.UTC(instant.getUTCFullYear(), instant.getUTCMonth(), instant.getUTCDate() + offsetDays));
}

/** First instant of the UTC month `offset` months from the month of `instant`. */
export function utcMonthStart(instant: Date, offsetMonths = 0): Date {
  return new Date(Date.UTC(instant.getUTCFullYear(), instant.getUTCMonth() + offsetMonths, 1));
}

export interface TrendCalendar {
  /** 'YYYY-MM-DD' for today and the 6 previous UTC days, oldest first. */
  days: string[];
  /** Week i ('Semaine i', i = 1..4) covers UTC days [today−7i+1, today−7i+7]; Semaine 1 ends today. */
  weeks: Array<{ key: string; days: string[] }>;
  /** 'YYYY-MM' for the current month and the 5 previous ones, oldest first. */
  months: string[];
  /** Earliest instant any trend bucket covers. */
  since: Date;
}

export function trendCalendar(now: Date): TrendCalendar {
  const days = Array.from({ length: 7 }, (_, i) => utcDay(utcMidnight(now, i - 6)));
  const weeks = Array.from({ length: 4 }, (_, index) => {
    const i = index + 1;
    return {
      key: `Semaine ${i}`,
      days: Array.from({ length: 7 }, (_, d) => utcDay(utcMidnight(now, -7 * i + 1 + d))),
    };
  });
  const months = Array.from({ length: 6 }, (_, i) => utcMonth(utcMonthStart(now, i - 5)));
  const earliestWeekDay = utcMidnight(now, -27);
  const earliestMonth = utcMonthStart(now, -5);
  return { days, weeks, months, since: earliestMonth < earliestWeekDay ? earliestMonth : earliestWeekDay };
}
