// The guide's 8 tabs, by their address (routing/url-state.ts TABS gives their order and names).
// Each tab is its own file of the build, fetched when first opened (the shell shows "Chargement…"
// meanwhile); three seconds after the page opens, the others are fetched while it is idle.
import { lazy, type ComponentType } from 'react';
import type { TabSlug } from '../routing/url-state.js';

const LOADERS: Record<TabSlug, () => Promise<{ default: ComponentType }>> = {
  'vue-d-ensemble': () => import('./overview-tab.js').then((module) => ({ default: module.OverviewTab })),
  demandes: () => import('./requests-tab.js').then((module) => ({ default: module.RequestsTab })),
  financier: () => import('./financial-tab.js').then((module) => ({ default: module.FinancialTab })),
  satisfaction: () => import('./satisfaction-tab.js').then((module) => ({ default: module.SatisfactionTab })),
  techniciens: () => import('./technicians-tab.js').then((module) => ({ default: module.TechniciansTab })),
  tendances: () => import('./trends-tab.js').then((module) => ({ default: module.TrendsTab })),
  securite: () => import('./security-tab.js').then((module) => ({ default: module.SecurityTab })),
  geographie: () => import('./geography-tab.js').then((module) => ({ default: module.GeographyTab })),
};

export const TAB_PANELS: Record<TabSlug, ComponentType> = {
  'vue-d-ensemble': lazy(LOADERS['vue-d-ensemble']),
  demandes: lazy(LOADERS.demandes),
  financier: lazy(LOADERS.financier),
  satisfaction: lazy(LOADERS.satisfaction),
  techniciens: lazy(LOADERS.techniciens),
  tendances: lazy(LOADERS.tendances),
  securite: lazy(LOADERS.securite),
  geographie: lazy(LOADERS.geographie),
};

/** Fetches every tab's code ahead of a click (the chart library comes with the first chart drawn); a failure waits for the click. */
export function prefetchTabs(): void {
  for (const load of Object.values(LOADERS)) load().catch(() => undefined);
}

/**
 * Starts fetching the code of the tab at `path` (/tableau/<tab>, or / for the first) while the
 * shell is still starting, rather than when it renders the tab: one round trip less before the
 * tab asks for its numbers. The browser keeps one copy of a module, so the tab's lazy() gets it.
 */
export function preloadTabOf(path: string): void {
  const slug = (path.replace(/\/+$/, '').split('/')[2] ?? 'vue-d-ensemble') as TabSlug;
  LOADERS[slug]?.().catch(() => undefined);
}
