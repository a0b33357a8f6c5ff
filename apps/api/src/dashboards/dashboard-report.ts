// A dashboard as a report (the exports' ReportModel, so the Excel and PDF renderers draw it like any
// other export): the metric widgets as the figures of a first section, then one section per chart,
// table or map widget, in the dashboard's order: a table (and a chart of the widget's kind). Where the widget shows
// something the standard report already lays out (a section's figure, or its table `<section>.<key>`
// such as requests.by_status), its label, columns and formats are taken from there, so a dashboard
// export and a section export of the same numbers look the same; otherwise the table is built from
// the value's own shape. The numbers are the widgets' values, copied, never recomputed.
import type { DashboardWidget, WidgetFilters } from '../../../../libs/metrics/src/dashboards.js';
import type { ExportDashboard } from '../../../../libs/metrics/src/exports.js';
import { periodLabel } from '../exports/report-builder.js';
import { SECTION_TITLES } from '../../../../libs/metrics/src/section-titles.js';
import { CHART_KINDS, type CellValue, type ChartKind, type ReportChart, type ReportColumn, type ReportFigure, type ReportModel, type ReportSection, type ReportTable, type ValueFormat } from '../exports/report-model.js';
import type { StatisticsService } from '../statistics/statistics.service.js';
import { gatherWidgets, oldestDataAsOf, standardSection, type DataFreshness, type WidgetAnswer } from './widget-data.js';

const ENDPOINT_TITLES: Record<string, string> = { ...SECTION_TITLES, kpis: 'KPIs', real_time_stats: 'Temps réel' };

type Row = Record<string, CellValue>;

function scalar(value: unknown): CellValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'oui' : 'non';
  return JSON.stringify(value);
}

function numberFormat(values: readonly unknown[]): ValueFormat {
  return values.every((value) => value === null || (typeof value === 'number' && Number.isInteger(value))) ? 'integer' : 'decimal';
}

/** Columns of rows built from plain values: numbers as numbers (integer or decimal), anything else as text. */
function columnsOf(rows: Row[], keys: string[]): ReportColumn[] {
  return keys.map((key) => {
    const values = rows.map((row) => row[key] ?? null);
    const numeric = values.every((value) => value === null || typeof value === 'number');
    return { key, label: key, format: numeric ? numberFormat(values) : 'text' };
  });
}

/** A table from the value's own shape: a list of objects, a map (of numbers or of objects), or an object. */
function genericTable(id: string, title: string, value: unknown): ReportTable {
  if (Array.isArray(value)) {
    const rows: Row[] = value.map((item) =>
      item !== null && typeof item === 'object' ? Object.fromEntries(Object.entries(item).map(([key, cell]) => [key, scalar(cell)])) : { value: scalar(item) },
    );
    const keys = [...new Set(rows.flatMap((row) => Object.keys(row)))];
    return { id, title, columns: columnsOf(rows, keys), rows };
  }
  const entries = value !== null && typeof value === 'object' ? Object.entries(value) : [];
  const nested = entries.some(([, cell]) => cell !== null && typeof cell === 'object');
  const rows: Row[] = entries.map(([key, cell]): Row =>
    nested && cell !== null && typeof cell === 'object'
      ? { key, ...Object.fromEntries(Object.entries(cell).map(([name, inner]) => [name, scalar(inner)])) }
      : { key, value: scalar(cell) },
  );
  const keys = ['key', ...new Set(rows.flatMap((row) => Object.keys(row).filter((key) => key !== 'key')))];
  const columns = columnsOf(rows, keys);
  columns[0] = { key: 'key', label: 'Clé', format: 'text' };
  return { id, title, columns, rows };
}

/** Where a widget's value comes from, in words: "Demandes · 7 derniers jours · Ville : Bamako". */
function origin(answer: WidgetAnswer): string {
  return `${ENDPOINT_TITLES[answer.endpoint] ?? answer.endpoint} · ${periodLabel(answer.filters as WidgetFilters)}`;
}

/** A metric widget's figure, labelled with its title (and its origin when the figures' filters differ). */
function metricFigure(widget: DashboardWidget, value: unknown, answer: WidgetAnswer, generatedAt: Date, withOrigin: boolean): ReportFigure {
  const known = standardSection(answer, generatedAt)?.figures.find((figure) => figure.key === widget.source.key);
  const cell = scalar(value);
  const label = withOrigin ? `${widget.title} (${origin(answer)})` : widget.title;
  return { key: widget.source.key, label, value: cell, format: known?.format ?? (typeof cell === 'number' ? numberFormat([cell]) : 'text') };
}

function widgetSection(widget: DashboardWidget, value: unknown, answer: WidgetAnswer, generatedAt: Date): ReportSection {
  const title = `${widget.title} — ${origin(answer)}`;
  const standard = standardSection(answer, generatedAt);
  const section: ReportSection = { key: `widget.${widget.id}`, title, data_as_of: answer.dataAsOf, figures: [], tables: [], charts: [] };
  const tableId = `widget.${widget.id}`;
  const known = standard?.tables.find((table) => table.id === `${answer.endpoint}.${widget.source.key}`);
  const table: ReportTable = known ? { ...known, id: tableId, title: widget.title } : genericTable(tableId, widget.title, value);
  section.tables.push(table);
  const chart = chartOf(widget, table);
  if (chart) section.charts.push(chart);
  return section;
}

/** A chart of the widget's kind: categories from the first text or date column, series from the numeric ones (ids aside). */
function chartOf(widget: DashboardWidget, table: ReportTable): ReportChart | null {
  if (!(CHART_KINDS as readonly string[]).includes(widget.type) || table.rows.length === 0) return null;
  const category = table.columns.find((column) => column.format === 'text' || column.format === 'date');
  const series = table.columns.filter((column) => column !== category && column.key !== 'id' && column.format !== 'text' && column.format !== 'date' && column.format !== 'instant');
  if (!category || series.length === 0) return null;
  // A pie shows one series: the first.
  return { kind: widget.type as ChartKind, title: widget.title, table: table.id, category: category.key, series: widget.type === 'pie' ? [series[0]!.key] : series.map((column) => column.key) };
}

/** The dashboard's report, its numbers gathered now through the statistics service (and its cache). */
export async function buildDashboardReport(statistics: StatisticsService, ingest: DataFreshness, dashboard: ExportDashboard, generatedAt: Date = new Date()): Promise<ReportModel> {
  const gathered = await gatherWidgets(statistics, ingest, dashboard.widgets);
  // The metric widgets together, as the figures of one first section (a page of numbers, as on
  // screen); then one section per chart, table or map widget, in the dashboard's order.
  const metrics = dashboard.widgets.flatMap((widget, i) => (widget.type === 'metric' ? [{ widget, value: gathered.widgets[i]!.value, answer: gathered.answers.get(widget.id)! }] : []));
  const sections: ReportSection[] = [];
  if (metrics.length > 0) {
    const origins = new Set(metrics.map(({ answer }) => origin(answer)));
    sections.push({
      key: 'widget.metrics',
      title: origins.size === 1 ? `Indicateurs — ${[...origins][0]}` : 'Indicateurs',
      data_as_of: oldestDataAsOf(metrics.map(({ answer }) => answer.dataAsOf)),
      figures: metrics.map(({ widget, value, answer }) => metricFigure(widget, value, answer, generatedAt, origins.size > 1)),
      tables: [],
      charts: [],
    });
  }
  dashboard.widgets.forEach((widget, i) => {
    if (widget.type !== 'metric') sections.push(widgetSection(widget, gathered.widgets[i]!.value, gathered.answers.get(widget.id)!, generatedAt));
  });
  const requested = dashboard.widgets[0]?.filters ?? { period: 'all', from: null, to: null, city: null, specialty: null };
  const shared = dashboard.widgets.every((widget) => JSON.stringify(widget.filters) === JSON.stringify(requested));
  // The window actually applied (a named period resolved when the figures were computed), as section exports show it.
  const first = dashboard.widgets[0] ? (gathered.answers.get(dashboard.widgets[0].id)!.answer as { calculation_info?: { filters: WidgetFilters } }) : undefined;
  const filters = shared && first?.calculation_info ? first.calculation_info.filters : requested;
  return {
    title: `Tableau de bord « ${dashboard.name} »`,
    generated_at: generatedAt.toISOString(),
    data_as_of: gathered.dataAsOf,
    filters,
    // Each widget has its own filters: the report says so when they differ (each section names its own).
    period_label: shared ? periodLabel(filters) : 'Filtres propres à chaque widget (voir chaque section)',
    sections,
  };
}
