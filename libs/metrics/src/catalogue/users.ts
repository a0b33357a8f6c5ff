// Users (U, users_user): accounts per type and registration day.
import type { DailyAggregate } from './daily-aggregate.js';

/** Accounts per UTC registration day and user_type (raw values, unknown ones included). */
export const USERS_DAILY: DailyAggregate = {
  table: 'agg_users_daily',
  view: 'mv_agg_users_daily',
  log: 'users_user_signed',
  source: 'users_user',
  day: { column: 'created_at', expression: "toDate(created_at, 'UTC')" },
  where: null,
  dimensions: { user_type: 'user_type' },
  measures: { users: 'toInt64(sign)' },
};
