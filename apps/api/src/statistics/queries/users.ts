// Users: counts by type, new and active users. Not period-filtered (metrics.md period table).
import type { ClickHouse } from '../../../../../libs/clickhouse/src/clickhouse.js';
import { count } from '../../../../../libs/metrics/src/exact.js';
import { AT, type WindowParams } from './params.js';

export interface UserFigures {
  total_users: number;
  total_clients: number;
  total_technicians: number;
  total_admins: number;
  new_users_30d: number;
  active_users_30d: number;
}

export async function userFigures(clickhouse: ClickHouse, params: WindowParams): Promise<UserFigures> {
  const [counts] = await clickhouse.query<Record<string, string>>(
    `SELECT count() AS total_users,
            countIf(user_type = 'client') AS total_clients,
            countIf(user_type = 'technician') AS total_technicians,
            countIf(user_type = 'admin') AS total_admins,
            countIf(created_at >= {last30d:${AT}}) AS new_users_30d
     FROM users_user FINAL`,
    params,
  );
  // Active = a client who created a request in the last 30 days, or a technician assigned to one.
  // The two sets overlap when one user is both; uniqExact counts the person once.
  const [active] = await clickhouse.query<{ active: string }>(
    `WITH recent AS (
       SELECT client_id, technician_id FROM depannage_repairrequest FINAL WHERE created_at >= {last30d:${AT}}
     )
     SELECT uniqExact(user_id) AS active FROM (
       SELECT user_id FROM depannage_client FINAL WHERE id IN (SELECT client_id FROM recent)
       UNION ALL
       SELECT user_id FROM depannage_technician FINAL
       WHERE id IN (SELECT assumeNotNull(technician_id) FROM recent WHERE technician_id IS NOT NULL)
     )`,
    params,
  );
  return {
    total_users: count(counts!.total_users!),
    total_clients: count(counts!.total_clients!),
    total_technicians: count(counts!.total_technicians!),
    total_admins: count(counts!.total_admins!),
    new_users_30d: count(counts!.new_users_30d!),
    active_users_30d: count(active!.active),
  };
}
