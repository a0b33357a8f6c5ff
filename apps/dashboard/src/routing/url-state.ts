// The page's address is its state: the tab in the path (/tableau/<onglet>) and the statistics
// filters in the query, with the API's own parameter names (period, from, to, city, specialty), so
// a copied address opens the same view and the query goes to the API as it is. Never the token.
import { useEffect, useState } from 'react';

export const ROUTE_PREFIX = '/tableau';

export const TABS = [
  { slug: 'vue-d-ensemble', label: 'Vue d\'ensemble' },
  { slug: 'demandes', label: 'Demandes' },
  { slug: 'financier', label: 'Financier' },
  { slug: 'satisfaction', label: 'Satisfaction' },
  { slug: 'techniciens', label: 'Techniciens' },
  { slug: 'tendances', label: 'Tendances' },
  { slug: 'securite', label: 'Sécurité' },
  { slug: 'geographie', label: 'Géographie' },
] as const;
export type TabSlug = (typeof TABS)[number]['slug'];

export const PERIOD_CHOICES = [
  { value: '24h', label: '24 h' },
  { value: '7d', label: '7 jours' },
  { value: '30d', label: '30 jours' },
  { value: 'all', label: 'Tout' },
] as const;
export type PeriodChoice = (typeof PERIOD_CHOICES)[number]['value'];

export interface Filters {
  /** null when a custom range (from/to) is chosen. */
  period: PeriodChoice | null;
  /** Calendar days YYYY-MM-DD: the API reads `from` as 00:00 UTC and `to` as the end of that day. */
  from: string | null;
  to: string | null;
  city: string | null;
  specialty: string | null;
}

export interface Location {
  /** A tab, or null for a path under /tableau the app does not know (shown as such). */
  tab: TabSlug | null;
  path: string;
  filters: Filters;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function isPeriod(value: string | null): value is PeriodChoice {
  return PERIOD_CHOICES.some((choice) => choice.value === value);
}

export function readLocation(): Location {
  const path = window.location.pathname.replace(/\/+$/, '');
  const slug = path.startsWith(`${ROUTE_PREFIX}/`) ? path.slice(ROUTE_PREFIX.length + 1) : path === '' || path === ROUTE_PREFIX ? TABS[0].slug : null;
  const tab = TABS.find((candidate) => candidate.slug === slug)?.slug ?? null;
  const query = new URLSearchParams(window.location.search);
  const day = (name: string): string | null => {
    const value = query.get(name);
    return value !== null && DAY.test(value) ? value : null;
  };
  const text = (name: string): string | null => {
    const value = query.get(name);
    return value === null || value === '' ? null : value;
  };
  const from = day('from');
  const to = day('to');
  const period = from || to ? null : isPeriod(query.get('period')) ? (query.get('period') as PeriodChoice) : 'all';
  return { tab, path, filters: { period, from, to, city: text('city'), specialty: text('specialty') } };
}

/** The statistics query of these filters: the API's parameters, 'all' left out (the API's default). */
export function filtersQuery(filters: Filters): URLSearchParams {
  const query = new URLSearchParams();
  if (filters.from || filters.to) {
    if (filters.from) query.set('from', filters.from);
    if (filters.to) query.set('to', filters.to);
  } else if (filters.period && filters.period !== 'all') {
    query.set('period', filters.period);
  }
  if (filters.city) query.set('city', filters.city);
  if (filters.specialty) query.set('specialty', filters.specialty);
  return query;
}

/** Whether these are the API's defaults: then the live rooms' payloads (default filters) are this view's numbers. */
export function isDefaultFilters(filters: Filters): boolean {
  return filtersQuery(filters).toString() === '';
}

export function hrefOf(tab: TabSlug, filters: Filters): string {
  const query = filtersQuery(filters).toString();
  return `${ROUTE_PREFIX}/${tab}${query ? `?${query}` : ''}`;
}

const listeners = new Set<() => void>();

export function navigate(href: string, options: { replace?: boolean } = {}): void {
  if (options.replace) window.history.replaceState(null, '', href);
  else window.history.pushState(null, '', href);
  for (const listener of listeners) listener();
}

/** The current location, re-read on every navigation (links, back/forward). */
export function useLocation(): Location {
  const [location, setLocation] = useState(readLocation);
  useEffect(() => {
    const update = (): void => setLocation(readLocation());
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return location;
}
