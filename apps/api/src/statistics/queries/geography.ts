// Requests created in the period by raw city; '' (unknown city) is left out.
import type { ClickHouse } from '../../../../../libs/clickhouse/src/clickhouse.js';
import { count } from '../../../../../libs/metrics/src/exact.js';
import type { GeographyStats } from '../../../../../libs/metrics/src/types.js';
import { AT, type WindowParams } from './params.js';

export async function geographyStats(clickhouse: ClickHouse, params: WindowParams): Promise<GeographyStats> {
  const rows = await clickhouse.query<{ city: string; count: string }>(
    `SELECT city, count() AS count
     FROM depannage_repairrequest FINAL
     WHERE city != '' AND created_at >= {since:${AT}}
     GROUP BY city
     ORDER BY count DESC, city ASC
     LIMIT 10`,
    params,
  );
  // service_areas was never computed by the original: always [] (metrics.md, decided).
  return { top_cities: rows.map((row) => ({ city: row.city, count: count(row.count) })), service_areas: [] };
}
