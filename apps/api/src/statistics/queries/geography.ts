// Requests created in the period by raw city; '' (unknown city) is left out.
import type { ClickHouse } from '../../../../../libs/clickhouse/src/clickhouse.js';
import { count } from '../../../../../libs/metrics/src/exact.js';
import type { GeographyStats } from '../../../../../libs/metrics/src/types.js';
import type { WindowParams } from './params.js';
import { requestFacts } from './requests.js';

export async function geographyStats(clickhouse: ClickHouse, params: WindowParams): Promise<GeographyStats> {
  const rows = await clickhouse.query<{ city: string; request_count: string }>(
    `SELECT city, sum(requests) AS request_count
     FROM (${requestFacts('since')})
     WHERE city != ''
     GROUP BY city
     HAVING request_count > 0
     ORDER BY request_count DESC, city ASC
     LIMIT 10`,
    params,
  );
  // service_areas was never computed by the original: always [] (metrics.md, decided).
  return { top_cities: rows.map((row) => ({ city: row.city, count: count(row.request_count) })), service_areas: [] };
}
