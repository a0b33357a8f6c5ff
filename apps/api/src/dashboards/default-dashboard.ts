// The dashboard every administrator is given on their first list of dashboards: the guide's
// "Vue d'ensemble" tab (its six headline figures, then the daily trend and the requests by status),
// as ordinary widgets the owner may move, change or delete like any other.
import { GRID_COLUMNS, type DashboardWidget } from '../../../../libs/metrics/src/dashboards.js';
import type { DashboardSettings } from '../../../../libs/config/src/config.js';
import type { DashboardInput } from './dto/dashboard.js';
import { ROW_HEIGHT_RANGE } from './dto/dashboard.js';

export const DEFAULT_DASHBOARD_NAME = "Vue d'ensemble";

const ALL_TIME: DashboardWidget['filters'] = { period: 'all', from: null, to: null, city: null, specialty: null };

/** The guide's overview figures, in its order: Utilisateurs totaux … Nouveaux utilisateurs (30j). */
const HEADLINES: ReadonlyArray<[id: string, title: string, key: string]> = [
  ['total-users', 'Utilisateurs totaux', 'total_users'],
  ['total-requests', 'Demandes totales', 'total_requests'],
  ['total-revenue', 'Revenus totaux', 'total_revenue'],
  ['avg-rating', 'Note moyenne', 'avg_rating'],
  ['active-users-30d', 'Utilisateurs actifs (30j)', 'active_users_30d'],
  ['new-users-30d', 'Nouveaux utilisateurs (30j)', 'new_users_30d'],
];

export function defaultDashboard(settings: DashboardSettings): DashboardInput {
  const width = GRID_COLUMNS / HEADLINES.length;
  const widget = (id: string, type: DashboardWidget['type'], title: string, endpoint: string, key: string, position: DashboardWidget['position']): DashboardInput['widgets'][number] => ({
    id,
    type,
    title,
    source: { endpoint, key },
    filters: { ...ALL_TIME },
    refresh_seconds: settings.widgetRefreshSeconds,
    position,
  });
  return {
    name: DEFAULT_DASHBOARD_NAME,
    is_default: true,
    refresh_seconds: settings.refreshSeconds,
    layout: { columns: GRID_COLUMNS, row_height: ROW_HEIGHT_RANGE.fallback },
    widgets: [
      ...HEADLINES.map(([id, title, key], i) => widget(id, 'metric', title, 'overview', key, { x: i * width, y: 0, w: width, h: 2 })),
      widget('daily-trend', 'line', 'Évolution quotidienne', 'trends', 'daily', { x: 0, y: 2, w: 8, h: 5 }),
      widget('requests-by-status', 'pie', 'Demandes par statut', 'requests', 'by_status', { x: 8, y: 2, w: 4, h: 5 }),
    ],
  };
}
