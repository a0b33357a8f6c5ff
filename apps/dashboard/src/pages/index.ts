// The pages beside the guide's 8 tabs, each at its own address under /tableau: alerts, exports,
// custom dashboards. The shell asks `pageFor(path)` before looking for a tab; the header's
// navigation (site-nav.tsx) lists them.
// Each page is its own file of the build, fetched when opened (the custom dashboards carry the grid
// library).
import { lazy, type ComponentType } from 'react';
import { ROUTE_PREFIX } from '../routing/url-state.js';

type PageComponent = ComponentType<{ path: string }>;

const AlertsPage = lazy<PageComponent>(() => import('../alerts/alerts-page.js').then((module) => ({ default: module.AlertsPage })));
const ExportsPage = lazy<PageComponent>(() => import('../exports/exports-page.js').then((module) => ({ default: module.ExportsPage })));
const CustomDashboardsPage = lazy<PageComponent>(() =>
  import('../custom/dashboards-page.js').then((module) => ({ default: module.CustomDashboardsPage })),
);

export interface ExtraPage {
  /** The address, or its start for pages with an id after it (/tableau/mes-tableaux/<id>). */
  path: string;
  label: string;
  component: PageComponent;
}

export const EXTRA_PAGES: readonly ExtraPage[] = [
  { path: `${ROUTE_PREFIX}/alertes`, label: 'Alertes', component: AlertsPage },
  { path: `${ROUTE_PREFIX}/exports`, label: 'Exports et rapports', component: ExportsPage },
  { path: `${ROUTE_PREFIX}/mes-tableaux`, label: 'Mes tableaux', component: CustomDashboardsPage },
];

/** The page at this path (without trailing slash), or null when it is a tab or unknown. */
export function pageFor(path: string): ExtraPage | null {
  return EXTRA_PAGES.find((page) => path === page.path || path.startsWith(`${page.path}/`)) ?? null;
}
