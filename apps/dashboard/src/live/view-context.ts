// What every tab reads from the shell: the filters of the address, and where to report the
// freshness ("données au …") of what it shows.
import { createContext, useContext, useEffect } from 'react';
import type { Section, SectionPayload } from '../api/client.js';
import { REAL_TIME_PATH, sectionPath } from '../api/client.js';
import type { RealTimeStats } from '../../../../libs/metrics/src/types.js';
import { filtersQuery, isDefaultFilters, type Filters } from '../routing/url-state.js';
import { useLiveResource, type LiveResource } from './use-live.js';

export interface ViewContextValue {
  filters: Filters;
  /** A view reports the commit time of the newest change its numbers include (null: none yet). */
  reportDataAsOf(source: string, dataAsOf: string | null | undefined): void;
}

export const ViewContext = createContext<ViewContextValue | null>(null);

export function useView(): ViewContextValue {
  const view = useContext(ViewContext);
  if (!view) throw new Error('useView outside the dashboard shell');
  return view;
}

/** A section endpoint with the page's filters, live through its room `section:<name>`. */
export function useSection<S extends Section>(section: S): LiveResource<SectionPayload<S>> {
  const { filters, reportDataAsOf } = useView();
  const resource = useLiveResource<SectionPayload<S>>(sectionPath(section, filtersQuery(filters)), `section:${section}`, isDefaultFilters(filters));
  const dataAsOf = resource.data?.calculation_info.data_as_of;
  useEffect(() => reportDataAsOf(section, dataAsOf), [section, dataAsOf, reportDataAsOf]);
  return resource;
}

/** real_time_stats (no filter: the last 24 h and 7 days), live through the room `realtime`. */
export function useRealTime(): LiveResource<RealTimeStats> {
  return useLiveResource<RealTimeStats>(REAL_TIME_PATH, 'realtime', true);
}
