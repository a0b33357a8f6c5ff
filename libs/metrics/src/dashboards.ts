// Wire types of the custom dashboards (docs/dashboards.md): a dashboard, its widgets and the data
// of its widgets, as the API serves them and the web app reads them. Shared by the API, the tests
// and any TypeScript client.
import type { Period } from './types.js';

/** What a widget draws: a single number, a chart of one of the guide's five kinds, a table or a map. */
export const WIDGET_TYPES = ['metric', 'line', 'bar', 'pie', 'area', 'radar', 'table', 'map'] as const;
export type WidgetType = (typeof WIDGET_TYPES)[number];

/** The grid every dashboard is laid out on: 12 columns, rows as many as needed. */
export const GRID_COLUMNS = 12;
/** Refreshes faster than this would only queue behind the live rooms (seconds). */
export const MIN_REFRESH_SECONDS = 5;
export const MAX_REFRESH_SECONDS = 86_400;

/** The statistics filters of a widget, as requested (a named period stays unresolved). */
export interface WidgetFilters {
  period: Period | 'custom';
  from: string | null;
  to: string | null;
  city: string | null;
  specialty: string | null;
}

export interface WidgetSource {
  /** A section (`overview` … `advanced`), `kpis` or `real_time_stats`. */
  endpoint: string;
  /** A dot-separated path into the endpoint's answer, e.g. `success_rate`, `by_status`, `business.cac.value`, `top_technicians.0.name`. */
  key: string;
}

export interface WidgetPosition {
  /** Column of the left edge, 0–11. */
  x: number;
  /** Row of the top edge, from 0. */
  y: number;
  /** Width in columns; x + w ≤ 12. */
  w: number;
  /** Height in rows. */
  h: number;
}

export interface DashboardWidget {
  id: string;
  type: WidgetType;
  title: string;
  source: WidgetSource;
  filters: WidgetFilters;
  refresh_seconds: number;
  position: WidgetPosition;
}

export interface DashboardLayout {
  /** Always 12. */
  columns: number;
  /** Height of one grid row in CSS pixels. */
  row_height: number;
}

export interface Dashboard {
  id: string;
  name: string;
  /** users_user.id of its owner. */
  owner: number;
  /** The dashboard the owner's screen opens first (one per owner at most). */
  is_default: boolean;
  refresh_seconds: number;
  layout: DashboardLayout;
  widgets: DashboardWidget[];
  created_at: string;
  updated_at: string;
}

/** The unit a widget's number is shown in, as the section's reports show that figure. */
export const WIDGET_VALUE_FORMATS = ['integer', 'decimal', 'xof', 'percent', 'hours', 'rating'] as const;
export type WidgetValueFormat = (typeof WIDGET_VALUE_FORMATS)[number];

/** One widget's number(s): the value at its key in its endpoint's answer for its filters. */
export interface WidgetData {
  id: string;
  value: unknown;
  /** null: not one of the section's report figures (a list, a map, kpis, real_time_stats): a plain number. */
  format: WidgetValueFormat | null;
}

/** GET dashboards/<id>/data/ and the `stats:update` of room `dashboard:<id>`. */
export interface DashboardData {
  dashboard_id: string;
  /** When these values were gathered (ISO-8601 UTC). */
  generated_at: string;
  /**
   * The dashboard's updated_at when they were: a screen whose copy of the dashboard is older (changed
   * from another screen) reads it again. Null once the dashboard is deleted.
   */
  dashboard_updated_at: string | null;
  /** The oldest data_as_of of the answers the widgets read: every value includes the changes committed up to it. */
  data_as_of: string | null;
  /** Every widget, in the dashboard's order; in a change-driven push of the room, only those whose value moved. */
  widgets: WidgetData[];
  /** True in a room push that carries only the widgets whose value moved (merge them by id). */
  partial: boolean;
}

/** Formats of a dashboard's export (what it shows, drawn as a report); its values as JSON are GET …/data/. */
export const DASHBOARD_EXPORT_TYPES = ['excel', 'pdf', 'csv'] as const;
