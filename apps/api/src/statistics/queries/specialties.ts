// Requests created in the period, grouped by the raw specialty_needed string (no translation:
// 'plomberie' and 'plumber' stay separate).
import type { ClickHouse } from '../../../../../libs/clickhouse/src/clickhouse.js';
import { count, meanMoney, toCents } from '../../../../../libs/metrics/src/exact.js';
import type { SpecialtyFigures, SpecialtyStats } from '../../../../../libs/metrics/src/types.js';
import type { WindowParams } from './params.js';
import { requestFacts } from './requests.js';

export async function specialtyStats(clickhouse: ClickHouse, params: WindowParams): Promise<SpecialtyStats> {
  const rows = await clickhouse.query<{ specialty: string; request_count: string; completed_count: string; price_total: string; priced_count: string }>(
    `SELECT specialty_needed AS specialty, sum(requests) AS request_count, sumIf(requests, status = 'completed') AS completed_count,
            toString(sum(price_sum)) AS price_total, sum(priced) AS priced_count
     FROM (${requestFacts('since')})
     GROUP BY specialty_needed
     HAVING request_count > 0
     ORDER BY request_count DESC, specialty ASC`,
    params,
  );
  const entries: Array<[string, SpecialtyFigures]> = [];
  const ranked: SpecialtyStats['top_specialties'] = [];
  for (const row of rows) {
    const figures = {
      count: count(row.request_count),
      completed: count(row.completed_count),
      // Mean over requests that have a final price (any status); 0 when none has.
      avg_price: meanMoney(toCents(row.price_total), count(row.priced_count)),
    };
    entries.push([row.specialty, figures]);
    ranked.push({ specialty_needed: row.specialty, ...figures });
  }
  // fromEntries: a raw value such as '__proto__' stays an ordinary key.
  return { distribution: Object.fromEntries(entries), top_specialties: ranked.slice(0, 5) };
}
