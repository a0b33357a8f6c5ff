// Requests created in the window, grouped by the raw specialty_needed string (no translation:
// 'plomberie' and 'plumber' stay separate).
import type { ClickHouse } from '../../../../../libs/clickhouse/src/clickhouse.js';
import { count, meanHours, meanMoney, percent, toCents } from '../../../../../libs/metrics/src/exact.js';
import type { SpecialtyExtras, SpecialtyFigures, SpecialtyStats } from '../../../../../libs/metrics/src/types.js';
import type { WindowParams } from './params.js';
import { requestFacts } from './requests.js';

export interface SpecialtyRow {
  specialty: string;
  request_count: string;
  completed_count: string;
  price_total: string;
  priced_count: string;
  timed_count: string;
  response_total: string;
  completion_total: string;
}

/** One row per specialty with requests, count desc then code asc (also the legacy specialties.stats). */
export function specialtyRows(clickhouse: ClickHouse, params: WindowParams): Promise<SpecialtyRow[]> {
  return clickhouse.query<SpecialtyRow>(
    `SELECT specialty_needed AS specialty, sum(requests) AS request_count, sumIf(requests, status = 'completed') AS completed_count,
            toString(sum(price_sum)) AS price_total, sum(priced) AS priced_count,
            sum(timed) AS timed_count, toString(sum(response_us)) AS response_total, toString(sum(completion_us)) AS completion_total
     FROM (${requestFacts('since')})
     GROUP BY specialty_needed
     HAVING request_count > 0
     ORDER BY request_count DESC, specialty ASC`,
    params,
  );
}

function figures(row: SpecialtyRow): SpecialtyFigures {
  return {
    count: count(row.request_count),
    completed: count(row.completed_count),
    // Mean over requests that have a final price (any status); 0 when none has.
    avg_price: meanMoney(toCents(row.price_total), count(row.priced_count)),
  };
}

export async function specialtyStats(clickhouse: ClickHouse, params: WindowParams): Promise<SpecialtyStats> {
  const rows = await specialtyRows(clickhouse, params);
  // fromEntries: a raw value such as '__proto__' stays an ordinary key.
  return {
    distribution: Object.fromEntries(rows.map((row) => [row.specialty, figures(row)])),
    top_specialties: rows.slice(0, 5).map((row) => ({ specialty_needed: row.specialty, ...figures(row) })),
  };
}

export async function specialtyExtras(clickhouse: ClickHouse, params: WindowParams): Promise<SpecialtyExtras> {
  const rows = await specialtyRows(clickhouse, params);
  return {
    performance: rows.map((row) => {
      const base = figures(row);
      const timed = BigInt(row.timed_count);
      // Key order as documented (docs/statistics-api.md): JSON clients may display it as is.
      return {
        specialty_needed: row.specialty,
        count: base.count,
        completed: base.completed,
        success_rate: percent(base.completed, base.count),
        avg_price: base.avg_price,
        avg_response_time_hours: meanHours(BigInt(row.response_total), timed),
        avg_completion_time_hours: meanHours(BigInt(row.completion_total), timed),
      };
    }),
  };
}
