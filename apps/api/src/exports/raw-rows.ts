// The underlying rows of a report's period (raw=true): repair requests, payments and reviews in the
// window and scope of the figures, read from ClickHouse's state tables (FINAL: the rows Postgres
// has now, deletes excluded) in pages by id, so that memory stays flat whatever the size and each
// row appears once even when rows change while the file is written.
import type { ClickHouse } from '../../../../libs/clickhouse/src/clickhouse.js';
import type { StatisticsQuery } from '../../../../libs/metrics/src/types.js';
import { inWindow, REQUEST_SCOPE, SCOPED_REQUEST_IDS, windowParams } from '../statistics/queries/params.js';
import type { CellValue, ReportColumn } from './report-model.js';

/** Rows read per query: a page of requests is ~10 MB of JSON at most. */
export const RAW_PAGE_ROWS = 50_000;

export interface RawTable {
  /** File and sheet name stem: `demandes`, `paiements`, `avis`. */
  name: string;
  title: string;
  columns: ReportColumn[];
  /** Rows of the window, by id, a page at a time. */
  pages(): AsyncIterable<Array<Record<string, CellValue | boolean>>>;
  /** How many rows the window holds when counted (for progress; rows may change meanwhile). */
  count(): Promise<number>;
}

interface RawSource {
  name: string;
  title: string;
  table: string;
  columns: ReportColumn[];
  /** The rows in scope, on top of the time window on created_at. */
  scope: string;
}

const col = (key: string, label: string, format: ReportColumn['format']): ReportColumn => ({ key, label, format });

const SOURCES: RawSource[] = [
  {
    name: 'demandes',
    title: 'Demandes (données)',
    table: 'depannage_repairrequest',
    scope: REQUEST_SCOPE,
    columns: [
      col('id', 'Id', 'integer'),
      col('created_at', 'Créée le', 'instant'),
      col('status', 'Statut', 'text'),
      col('specialty_needed', 'Spécialité', 'text'),
      col('city', 'Ville', 'text'),
      col('urgency_level', 'Urgence', 'text'),
      col('is_urgent', 'Urgente', 'text'),
      col('priority', 'Priorité', 'text'),
      col('client_id', 'Client', 'integer'),
      col('technician_id', 'Technicien', 'integer'),
      col('assigned_at', 'Assignée le', 'instant'),
      col('completed_at', 'Terminée le', 'instant'),
      col('estimated_price', 'Prix estimé', 'xof'),
      col('final_price', 'Prix final', 'xof'),
    ],
  },
  {
    name: 'paiements',
    title: 'Paiements (données)',
    table: 'depannage_payment',
    scope: `({hasCity:UInt8} = 0 AND {hasSpecialty:UInt8} = 0 OR request_id IN (${SCOPED_REQUEST_IDS}))`,
    columns: [
      col('id', 'Id', 'integer'),
      col('created_at', 'Créé le', 'instant'),
      col('request_id', 'Demande', 'integer'),
      col('payment_type', 'Type', 'text'),
      col('method', 'Méthode', 'text'),
      col('status', 'Statut', 'text'),
      col('amount', 'Montant', 'xof'),
      col('fees', 'Frais', 'xof'),
      col('processed_at', 'Traité le', 'instant'),
    ],
  },
  {
    name: 'avis',
    title: 'Avis (données)',
    table: 'depannage_review',
    scope: `({hasCity:UInt8} = 0 AND {hasSpecialty:UInt8} = 0 OR request_id IN (${SCOPED_REQUEST_IDS}))`,
    columns: [
      col('id', 'Id', 'integer'),
      col('created_at', 'Créé le', 'instant'),
      col('request_id', 'Demande', 'integer'),
      col('technician_id', 'Technicien', 'integer'),
      col('rating', 'Note', 'integer'),
      col('would_recommend', 'Recommande', 'text'),
      col('is_visible', 'Visible', 'text'),
      col('moderation_status', 'Modération', 'text'),
    ],
  },
];

/**
 * Times as ISO-8601 UTC, money as exact decimal text, under `out_<column>` aliases: an alias named
 * like its column would replace the column in WHERE (ClickHouse resolves aliases there too).
 */
function selectList(columns: ReportColumn[]): string {
  return columns
    .map(({ key, format }) => {
      if (format === 'instant') return `if(isNull(${key}), NULL, formatDateTime(${key}, '%Y-%m-%dT%H:%i:%S.%fZ', 'UTC')) AS out_${key}`;
      if (format === 'xof') return `toString(${key}) AS out_${key}`;
      return `${key} AS out_${key}`;
    })
    .join(', ');
}

function normalise(row: Record<string, unknown>, columns: ReportColumn[]): Record<string, CellValue | boolean> {
  const out: Record<string, CellValue | boolean> = {};
  for (const { key, format } of columns) {
    const value = row[`out_${key}`];
    if (value === null || value === undefined) out[key] = null;
    else if (format === 'xof' || format === 'integer') out[key] = Number(value);
    else if (typeof value === 'boolean') out[key] = value;
    else out[key] = String(value);
  }
  return out;
}

/** The raw tables of a report over `query`'s window and scope. */
export function rawTables(clickhouse: ClickHouse, query: StatisticsQuery): RawTable[] {
  const params = windowParams(query);
  return SOURCES.map((source) => {
    const where = `${inWindow('created_at', 'since')} AND ${source.scope}`;
    return {
      name: source.name,
      title: source.title,
      columns: source.columns,
      async count() {
        const [row] = await clickhouse.query<{ n: string }>(`SELECT count() AS n FROM ${source.table} FINAL WHERE ${where}`, params);
        return Number(row?.n ?? 0);
      },
      async *pages() {
        let after = -1;
        for (;;) {
          const rows = await clickhouse.query<Record<string, unknown>>(
            `SELECT ${selectList(source.columns)} FROM ${source.table} FINAL
             WHERE id > {after:Int64} AND ${where} ORDER BY id LIMIT {limit:UInt32}`,
            { ...params, after, limit: RAW_PAGE_ROWS },
          );
          if (rows.length === 0) return;
          after = Number(rows[rows.length - 1]!.out_id);
          yield rows.map((row) => normalise(row, source.columns));
          if (rows.length < RAW_PAGE_ROWS) return;
        }
      },
    };
  });
}
