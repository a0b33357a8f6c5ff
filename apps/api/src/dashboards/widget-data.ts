// The numbers of a dashboard's widgets: each distinct (endpoint, filters) is asked once of the
// statistics service (the same computation and cache as the section endpoints, so a widget never
// shows another number than GET /<endpoint>/ with the same filters), and each widget takes the value
// at its key. Shared by the data endpoint, the dashboard rooms and the dashboard exports.
import { WIDGET_VALUE_FORMATS, type DashboardWidget, type WidgetData, type WidgetFilters, type WidgetValueFormat } from '../../../../libs/metrics/src/dashboards.js';
import { SECTIONS, type Section, type StatisticsFilters } from '../../../../libs/metrics/src/types.js';
import { buildReportModel, type SectionPayload } from '../exports/report-builder.js';
import type { ReportSection } from '../exports/report-model.js';
import type { StatisticsService } from '../statistics/statistics.service.js';
import { valueAt, type WidgetEndpoint } from './widget-sources.js';

/** What the widgets need of the ingest: as of which operational change the figures are (any ingest feed). */
export interface DataFreshness {
  freshness(): { dataAsOf: string | null };
}

/** One endpoint's answer for one set of filters. */
export interface WidgetAnswer {
  endpoint: WidgetEndpoint;
  filters: WidgetFilters;
  answer: object;
  /** Commit time of the last operational change the answer includes. */
  dataAsOf: string | null;
}

export interface GatheredWidgets {
  widgets: WidgetData[];
  /** The answer each widget read, by widget id. */
  answers: Map<string, WidgetAnswer>;
  /** The oldest data_as_of of the answers (null if any has none). */
  dataAsOf: string | null;
}

function statisticsFilters(filters: WidgetFilters): StatisticsFilters {
  return {
    period: filters.period,
    from: filters.from === null ? null : new Date(filters.from),
    to: filters.to === null ? null : new Date(filters.to),
    city: filters.city,
    specialty: filters.specialty,
  };
}

async function answerOf(statistics: StatisticsService, ingest: DataFreshness, endpoint: WidgetEndpoint, filters: WidgetFilters): Promise<WidgetAnswer> {
  if (endpoint === 'real_time_stats') {
    // Read before computing, as the realtime room does: the figures include at least these changes.
    const dataAsOf = ingest.freshness().dataAsOf;
    return { endpoint, filters, answer: await statistics.realTimeStats(), dataAsOf };
  }
  const answer = endpoint === 'kpis' ? await statistics.kpis(statisticsFilters(filters)) : await statistics.section(endpoint as Section, statisticsFilters(filters));
  return { endpoint, filters, answer, dataAsOf: answer.calculation_info.data_as_of };
}

/**
 * Distinct answers computed at once for one dashboard: the engine's admission queue orders them
 * anyway, and a dashboard of sixty widgets must not take sixty places in it (nor hang sixty
 * listeners on its request's abort signal).
 */
const CONCURRENT_ANSWERS = 4;

/** Runs the tasks with at most `limit` under way, each started in order. */
function bounded<T>(tasks: ReadonlyArray<() => Promise<T>>, limit: number): Array<Promise<T>> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return tasks.map(async (task) => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  });
}

export function oldestDataAsOf(values: ReadonlyArray<string | null>): string | null {
  if (values.some((value) => value === null)) return null;
  return (values as string[]).reduce<string | null>((oldest, value) => (oldest === null || Date.parse(value) < Date.parse(oldest) ? value : oldest), null);
}

/** The standard report's section for this answer (labels and formats), or null for kpis and real_time_stats. */
export function standardSection(answer: WidgetAnswer, generatedAt: Date): ReportSection | null {
  if (!(SECTIONS as readonly string[]).includes(answer.endpoint)) return null;
  const payload = answer.answer as SectionPayload;
  return buildReportModel({ [answer.endpoint]: payload }, [answer.endpoint as Section], payload.calculation_info.filters, generatedAt).sections[0]!;
}

/**
 * The unit of each figure of a section's answer, by key, as the reports show it (revenue in XOF, rates
 * in %, durations in hours, ratings /5): one definition, the report builder's, for the page and the
 * files. kpis and real_time_stats have no report figures: their numbers stay plain.
 */
function figureFormats(answer: WidgetAnswer): ReadonlyMap<string, WidgetValueFormat> {
  const formats = new Map<string, WidgetValueFormat>();
  for (const figure of standardSection(answer, new Date())?.figures ?? []) {
    if ((WIDGET_VALUE_FORMATS as readonly string[]).includes(figure.format)) formats.set(figure.key, figure.format as WidgetValueFormat);
  }
  return formats;
}

/** Every widget's value, in the widgets' order; a failed computation fails the whole (never a partial dashboard). */
export async function gatherWidgets(statistics: StatisticsService, ingest: DataFreshness, widgets: readonly DashboardWidget[]): Promise<GatheredWidgets> {
  // Each distinct endpoint and filters once.
  const identities = widgets.map((widget) =>
    JSON.stringify([widget.source.endpoint, widget.filters.period, widget.filters.from, widget.filters.to, widget.filters.city, widget.filters.specialty]),
  );
  const distinct = new Map<string, DashboardWidget>();
  identities.forEach((identity, i) => {
    if (!distinct.has(identity)) distinct.set(identity, widgets[i]!);
  });
  const tasks = [...distinct.values()].map((widget) => () => answerOf(statistics, ingest, widget.source.endpoint as WidgetEndpoint, widget.filters));
  const computed = await Promise.all(bounded(tasks, CONCURRENT_ANSWERS));
  const byIdentity = new Map([...distinct.keys()].map((identity, i) => [identity, computed[i]!]));
  const answered = identities.map((identity) => byIdentity.get(identity)!);
  const answers = new Map<string, WidgetAnswer>();
  const formats = new Map<WidgetAnswer, ReadonlyMap<string, WidgetValueFormat>>();
  const values: WidgetData[] = widgets.map((widget, i) => {
    const answer = answered[i]!;
    answers.set(widget.id, answer);
    if (!formats.has(answer)) formats.set(answer, figureFormats(answer));
    return { id: widget.id, value: valueAt(answer.answer, widget.source.key), format: formats.get(answer)!.get(widget.source.key) ?? null };
  });
  return { widgets: values, answers, dataAsOf: oldestDataAsOf([...new Set(answered)].map((answer) => answer.dataAsOf)) };
}
