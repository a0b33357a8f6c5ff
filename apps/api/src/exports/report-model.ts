// The report every export format draws from: the statistics payloads turned once into titled
// figures, tables and chart descriptions (French labels, as in the guide). The Excel workbook, the
// PDF and the CSV files render this one model, so they can never disagree with each other, and its
// numbers are the API's own (built from the section endpoints' answers, never recomputed).
import type { Period, Section } from '../../../../libs/metrics/src/types.js';

/**
 * How a value is shown: the number itself is never rounded again by a renderer. `status`,
 * `specialty`, `payment_method`: a stored code, shown by its French name in the PDF and Excel
 * reports (libs/metrics/src/labels.ts); CSV and JSON keep the code.
 */
export type ValueFormat = 'integer' | 'xof' | 'percent' | 'hours' | 'rating' | 'decimal' | 'text' | 'date' | 'instant' | 'status' | 'specialty' | 'payment_method';

export type CellValue = number | string | null;

/** One headline number of a section (a KPI card in the PDF, a label/value row in Excel). */
export interface ReportFigure {
  /** Key of the value in the section endpoint's payload (e.g. `success_rate`). */
  key: string;
  label: string;
  value: CellValue;
  format: ValueFormat;
}

export interface ReportColumn {
  key: string;
  label: string;
  format: ValueFormat;
}

/** A table of a section: rows keyed by column key. */
export interface ReportTable {
  /** Stable identifier within the report (e.g. `requests.by_status`): names CSV files and sheets' blocks. */
  id: string;
  title: string;
  columns: ReportColumn[];
  rows: Array<Record<string, CellValue>>;
}

export const CHART_KINDS = ['line', 'bar', 'pie', 'area', 'radar'] as const;
export type ChartKind = (typeof CHART_KINDS)[number];

/**
 * A chart drawn from one of the section's tables: categories from one column, one series per
 * value column. Excel references the table's cells (a live chart); the PDF draws the same rows.
 */
export interface ReportChart {
  kind: ChartKind;
  title: string;
  /** `id` of a table of the same section. */
  table: string;
  /** Column key holding the category labels. */
  category: string;
  /** Column keys of the plotted series (numeric columns). */
  series: string[];
}

export interface ReportSection {
  /** A section of the statistics, or one widget of a dashboard export (`widget.<id>`). */
  key: Section | `widget.${string}`;
  /** French title, as the guide's tabs. */
  title: string;
  /** Commit time of the last operational change this section's figures include. */
  data_as_of: string | null;
  figures: ReportFigure[];
  tables: ReportTable[];
  charts: ReportChart[];
}

export interface ReportFilters {
  period: Period | 'custom';
  from: string | null;
  to: string | null;
  city: string | null;
  specialty: string | null;
}

export interface ReportModel {
  title: string;
  /** ISO-8601 UTC instant the report was assembled. */
  generated_at: string;
  /**
   * The oldest of the sections' data_as_of: every figure includes at least the operational
   * changes committed up to this instant (sections may include a few later ones).
   */
  data_as_of: string | null;
  filters: ReportFilters;
  /** The filters in words, e.g. "30 derniers jours · Bamako". */
  period_label: string;
  sections: ReportSection[];
}
