// Users: counts by type, new and active users. Not period-filtered (metrics.md period table).
import { queryOne, type ClickHouse } from '../../../../../libs/clickhouse/src/clickhouse.js';
import { count } from '../../../../../libs/metrics/src/exact.js';
import type { Overview } from '../../../../../libs/metrics/src/types.js';
import { edgeRows } from '../../../../../libs/metrics/src/catalogue/daily-aggregate.js';
import { USERS_DAILY } from '../../../../../libs/metrics/src/catalogue/users.js';
import { AT, wholeDays, type WindowParams } from './params.js';

export type UserCounts = Pick<Overview, 'total_users' | 'total_clients' | 'total_technicians' | 'total_admins' | 'new_users_30d'> & {
  /** Clients registered in the last 30 days (acquisition cost). */
  new_clients_30d: number;
};

export async function userCounts(clickhouse: ClickHouse, params: WindowParams): Promise<UserCounts> {
  // Totals come from the aggregate alone; the partial first day of the 30-day window (from the
  // signed log) only adds to new_users_30d, whose whole days are in the aggregate too.
  const counts = await queryOne<Record<'total_users' | 'total_clients' | 'total_technicians' | 'total_admins' | 'new_users_30d' | 'new_clients_30d', string>>(
    clickhouse,
    `SELECT sumIf(users, whole) AS total_users,
            sumIf(users, whole AND user_type = 'client') AS total_clients,
            sumIf(users, whole AND user_type = 'technician') AS total_technicians,
            sumIf(users, whole AND user_type = 'admin') AS total_admins,
            sumIf(users, recent) AS new_users_30d,
            sumIf(users, recent AND user_type = 'client') AS new_clients_30d
     FROM (
       SELECT user_type, users, 1 AS whole, (${wholeDays('last30d')}) AS recent FROM ${USERS_DAILY.table}
       UNION ALL
       ${edgeRows(USERS_DAILY, 'last30d', ['user_type', 'users', '0', '1'])}
     )`,
    params,
  );
  return {
    total_users: count(counts.total_users),
    total_clients: count(counts.total_clients),
    total_technicians: count(counts.total_technicians),
    total_admins: count(counts.total_admins),
    new_users_30d: count(counts.new_users_30d),
    new_clients_30d: count(counts.new_clients_30d),
  };
}

export async function activeUsers30d(clickhouse: ClickHouse, params: WindowParams): Promise<number> {
  // Active = a client who created a request in the last 30 days, or a technician assigned to one.
  // sum(sign) > 0: the party has at least one such request in its current state. uniqExact counts
  // a person who is both client and technician once.
  const active = await queryOne<{ active: string }>(
    clickhouse,
    `WITH recent AS (
       SELECT client_id, technician_id, sign FROM depannage_repairrequest_signed WHERE created_at >= {last30d:${AT}}
     )
     SELECT uniqExact(user_id) AS active FROM (
       SELECT c.user_id AS user_id
       FROM (SELECT client_id FROM recent GROUP BY client_id HAVING sum(sign) > 0) AS r
       INNER JOIN (SELECT id, user_id FROM depannage_client FINAL) AS c ON c.id = r.client_id
       UNION ALL
       SELECT t.user_id
       FROM (SELECT assumeNotNull(technician_id) AS technician_id FROM recent WHERE technician_id IS NOT NULL
             GROUP BY technician_id HAVING sum(sign) > 0) AS a
       INNER JOIN (SELECT id, user_id FROM depannage_technician FINAL) AS t ON t.id = a.technician_id
     )`,
    params,
  );
  return count(active.active);
}
