// The custom dashboards' side of the API (docs/dashboards.md): paths, the widget catalogue
// (GET dashboards/sources/, itself read from the endpoints' response schemas: the page keeps no
// list of its own), and the widget as a PATCH body (the stored filters back to request form).
import type { Dashboard, DashboardWidget, WidgetFilters, WidgetType } from '../../../../libs/metrics/src/dashboards.js';
import { SECTION_TITLES } from '../../../../libs/metrics/src/section-titles.js';
import { STATISTICS_API } from '../api/client.js';

export const DASHBOARDS_API = `${STATISTICS_API}/dashboards`;
export const dashboardPath = (id: string): string => `${DASHBOARDS_API}/${encodeURIComponent(id)}/`;

export type { Dashboard, DashboardWidget, WidgetType };

export interface SourceKey {
  key: string;
  kind: 'number' | 'string' | 'boolean' | 'object' | 'map' | 'list' | 'any';
}

/** GET dashboards/sources/. */
export interface WidgetSources {
  widget_types: WidgetType[];
  endpoints: Array<{ endpoint: string; keys: SourceKey[] }>;
}

export const WIDGET_TYPE_LABELS: Record<string, string> = {
  metric: 'Chiffre',
  line: 'Courbe',
  bar: 'Barres',
  pie: 'Camembert',
  area: 'Aire',
  radar: 'Radar',
  table: 'Tableau',
  map: 'Carte',
};

export const ENDPOINT_LABELS: Record<string, string> = {
  ...SECTION_TITLES,
  kpis: 'Indicateurs clés (kpis)',
  real_time_stats: 'Temps réel (24 h, 7 jours)',
};

/**
 * Which keys suit a widget type, to keep the editor's list short (docs/dashboards.md "Keys"): a
 * number for a figure, a list for the map, a map, list or object for the charts and the table.
 * The API decides; a key shown here that it refuses comes back as a 400 naming the field.
 */
export function keySuits(type: string, kind: SourceKey['kind']): boolean {
  if (kind === 'any') return true;
  if (type === 'metric') return kind === 'number';
  if (type === 'map') return kind === 'list';
  return kind === 'map' || kind === 'list' || kind === 'object';
}

/** A stored widget's filters as the request form the API reads (a named period, or from/to). */
export function filtersInput(filters: WidgetFilters): Record<string, string> {
  const input: Record<string, string> = {};
  if (filters.period === 'custom') {
    if (filters.from) input.from = filters.from;
    if (filters.to) input.to = filters.to;
  } else if (filters.period !== 'all') {
    input.period = filters.period;
  }
  if (filters.city) input.city = filters.city;
  if (filters.specialty) input.specialty = filters.specialty;
  return input;
}

/** A widget as a PATCH body entry: its id kept, the server's fields only. */
export function widgetInput(widget: DashboardWidget): Record<string, unknown> {
  return {
    id: widget.id,
    type: widget.type,
    title: widget.title,
    source: widget.source,
    filters: filtersInput(widget.filters),
    refresh_seconds: widget.refresh_seconds,
    position: widget.position,
  };
}
