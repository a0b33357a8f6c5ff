// Requests created in the window by raw city ('' = unknown city, left out), revenue attributed to
// the city of the paid request, and requests on a map grid.
import type { ClickHouse } from '../../../../../libs/clickhouse/src/clickhouse.js';
import { centsToNumber, count, toCents } from '../../../../../libs/metrics/src/exact.js';
import type { GeographyExtras, GeographyStats } from '../../../../../libs/metrics/src/types.js';
import { REVENUE } from '../../../../../libs/metrics/src/catalogue/payments.js';
import { inWindow, REQUEST_SCOPE, type WindowParams } from './params.js';
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

/** Map cells are 1/100 degree (≈1.1 km): integer cells so both ends agree on the rounding. */
const CELLS_PER_DEGREE = 100;

export async function geographyExtras(clickhouse: ClickHouse, params: WindowParams): Promise<GeographyExtras> {
  const [cities, cells] = await Promise.all([
    // Payments carry no city: revenue joins each payment to its request's current city.
    clickhouse.query<{ city: string; request_count: string; completed_count: string; revenue_total: string }>(
      `SELECT city, sum(request_count) AS request_count, sum(completed_count) AS completed_count,
              toString(sum(revenue)) AS revenue_total, sum(revenue) AS revenue_order
       FROM (
         SELECT city, sum(requests) AS request_count, sumIf(requests, status = 'completed') AS completed_count,
                toDecimal128(0, 2) AS revenue
         FROM (${requestFacts('since')})
         WHERE city != ''
         GROUP BY city
         UNION ALL
         SELECT r.city, 0, 0, toDecimal128(sum(p.amount), 2)
         FROM (SELECT request_id, amount FROM depannage_payment FINAL WHERE ${REVENUE} AND ${inWindow('created_at', 'since')}) AS p
         INNER JOIN (SELECT id, city FROM depannage_repairrequest FINAL WHERE city != '' AND ${REQUEST_SCOPE}) AS r ON r.id = p.request_id
         GROUP BY r.city
       )
       GROUP BY city
       HAVING request_count > 0 OR revenue_order != 0
       ORDER BY request_count DESC, revenue_order DESC, city ASC
       LIMIT 100`,
      params,
    ),
    clickhouse.query<{ latitude_cell: string; longitude_cell: string; request_count: string }>(
      `SELECT toInt64(floor(assumeNotNull(latitude) * ${CELLS_PER_DEGREE})) AS latitude_cell,
              toInt64(floor(assumeNotNull(longitude) * ${CELLS_PER_DEGREE})) AS longitude_cell,
              count() AS request_count
       FROM depannage_repairrequest FINAL
       WHERE latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180
         AND ${inWindow('created_at', 'since')} AND ${REQUEST_SCOPE}
       GROUP BY latitude_cell, longitude_cell
       ORDER BY request_count DESC, latitude_cell ASC, longitude_cell ASC
       LIMIT 500`,
      params,
    ),
  ]);
  return {
    cities: cities.map((row) => ({
      city: row.city,
      requests: count(row.request_count),
      completed: count(row.completed_count),
      revenue: centsToNumber(toCents(row.revenue_total)),
    })),
    map_points: cells.map((cell) => ({
      latitude: Number(cell.latitude_cell) / CELLS_PER_DEGREE,
      longitude: Number(cell.longitude_cell) / CELLS_PER_DEGREE,
      requests: count(cell.request_count),
    })),
  };
}
