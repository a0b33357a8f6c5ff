// Requests created in the period, grouped by the raw specialty_needed string (no translation:
// 'plomberie' and 'plumber' stay separate).
import type { ClickHouse } from '../../../../../libs/clickhouse/src/clickhouse.js';
import { count, meanMoney, toCents } from '../../../../../libs/metrics/src/exact.js';
import type { SpecialtyFigures, SpecialtyStats } from '../../../../../libs/metrics/src/types.js';
import { AT, type WindowParams } from './params.js';

export async function specialtyStats(clickhouse: ClickHouse, params: WindowParams): Promise<SpecialtyStats> {
  const rows = await clickhouse.query<{ specialty: string; count: string; completed: string; price_sum: string; priced: string }>(
    `SELECT specialty_needed AS specialty, count() AS count, countIf(status = 'completed') AS completed,
            toString(sum(ifNull(final_price, toDecimal64(0, 2)))) AS price_sum, count(final_price) AS priced
     FROM depannage_repairrequest FINAL
     WHERE created_at >= {since:${AT}}
     GROUP BY specialty_needed
     ORDER BY count DESC, specialty ASC`,
    params,
  );
  const entries: Array<[string, SpecialtyFigures]> = [];
  const ranked: SpecialtyStats['top_specialties'] = [];
  for (const row of rows) {
    const figures = {
      count: count(row.count),
      completed: count(row.completed),
      // Mean over requests that have a final price; 0 when none has.
      avg_price: meanMoney(toCents(row.price_sum), count(row.priced)),
    };
    entries.push([row.specialty, figures]);
    ranked.push({ specialty_needed: row.specialty, ...figures });
  }
  // fromEntries: a raw value such as '__proto__' stays an ordinary key.
  return { distribution: Object.fromEntries(entries), top_specialties: ranked.slice(0, 5) };
}
