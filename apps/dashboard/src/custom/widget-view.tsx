// A widget's value drawn as its type says: a figure (metric), a chart (line, bar, area, pie, radar:
// the tabs' option builders, so the same tooltips, legend and zoom), a table, or points on Mali's
// map. The value is whatever the API's data endpoint answered at the widget's key: a number, a map
// of numbers (or of objects of numbers, per day or per month), or a list of objects.
import { useMemo, useRef } from 'react';
import type { EChartsOption } from '../charts/echarts.js';
import { useEChart } from '../charts/use-echart.js';
import { MALI_MAP } from '../charts/map-names.js';
import { PALETTE, cartesianOption, pieOption, radarOption } from '../charts/options.js';
import { formatCategory, formatNumber, formatValue } from '../format/fr.js';
import type { WidgetValueFormat } from '../../../../libs/metrics/src/dashboards.js';
import { fieldLabel } from '../../../../libs/metrics/src/labels.js';

interface Series {
  categories: string[];
  series: Array<{ name: string; values: Array<number | null> }>;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const numeric = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** The value as categories × numeric series, or null when it holds no numbers to draw. */
export function seriesOf(value: unknown, title: string): Series | null {
  const rows: Array<[string, unknown]> = Array.isArray(value)
    ? value.map((entry, index) => {
        const name = isRecord(entry) ? Object.values(entry).find((field) => typeof field === 'string') : undefined;
        return [typeof name === 'string' ? name : String(index + 1), entry];
      })
    : isRecord(value)
      ? Object.entries(value)
      : [];
  if (rows.length === 0) return null;
  const categories = rows.map(([key]) => formatCategory(key));
  if (rows.every(([, entry]) => numeric(entry) !== null || entry === null)) {
    return { categories, series: [{ name: title, values: rows.map(([, entry]) => numeric(entry)) }] };
  }
  const fields: string[] = [];
  for (const [, entry] of rows) {
    if (!isRecord(entry)) continue;
    for (const [field, inner] of Object.entries(entry)) if (numeric(inner) !== null && !fields.includes(field)) fields.push(field);
  }
  if (fields.length === 0) return null;
  return { categories, series: fields.map((field) => ({ name: fieldLabel(field), values: rows.map(([, entry]) => (isRecord(entry) ? numeric(entry[field]) : null)) })) };
}

function optionOf(type: string, value: unknown, title: string): EChartsOption | null {
  if (type === 'map') {
    if (!Array.isArray(value)) return null;
    const points = value.filter(isRecord).filter((point) => numeric(point.latitude) !== null && numeric(point.longitude) !== null);
    const weightField = points.length > 0 ? Object.keys(points[0]!).find((field) => field !== 'latitude' && field !== 'longitude' && numeric(points[0]![field]) !== null) : undefined;
    const weight = (point: Record<string, unknown>): number => (weightField ? (numeric(point[weightField]) ?? 0) : 1);
    const most = points.reduce((max, point) => Math.max(max, weight(point)), 1);
    return {
      tooltip: { trigger: 'item', formatter: (item: { value: [number, number, number] }) => `${formatNumber(item.value[2])}${weightField ? ` (${fieldLabel(weightField).toLowerCase()})` : ''}` },
      geo: { map: MALI_MAP, roam: true, itemStyle: { areaColor: '#eef2f6', borderColor: '#44546a' }, emphasis: { disabled: true }, layoutCenter: ['50%', '50%'], layoutSize: '95%' },
      series: [
        {
          name: title,
          type: 'scatter',
          coordinateSystem: 'geo',
          data: points.map((point) => [point.longitude, point.latitude, weight(point)]),
          symbolSize: (point: [number, number, number]) => 4 + 20 * Math.sqrt(point[2] / most),
          itemStyle: { color: PALETTE[1], opacity: 0.7 },
        },
      ],
    };
  }
  const data = seriesOf(value, title);
  if (!data) return null;
  if (type === 'pie') {
    const first = data.series[0]!;
    const pie = pieOption(first.name, data.categories.map((name, index) => ({ name, value: first.values[index] ?? 0 })), 'decimal') as { series: Array<Record<string, unknown>> };
    // A widget may be narrow: the names stay in the legend and the tooltip, not around the ring.
    return { ...pie, series: pie.series.map((series) => ({ ...series, label: { show: false }, center: ['50%', '42%'] })) };
  }
  if (type === 'radar') {
    const most = Math.max(1, ...data.series.flatMap((entry) => entry.values.map((point) => point ?? 0)));
    return radarOption(data.categories, data.series.map((entry) => ({ name: entry.name, values: entry.values.map((point) => point ?? 0) })), most);
  }
  if (type === 'line' || type === 'bar' || type === 'area') {
    return cartesianOption(type, data.categories, data.series.map((entry) => ({ name: entry.name, values: entry.values, kind: 'decimal' as const })));
  }
  return null;
}

const REPLACE = { notMerge: true };

function WidgetChart({ option, label }: { option: EChartsOption; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  const drawn = useMemo<EChartsOption>(() => ({ aria: { enabled: true, label: { description: label } }, ...option }), [option, label]);
  const failure = useEChart(box, drawn, REPLACE);
  return (
    <>
      <div ref={box} className="widget-chart" role="img" aria-label={label} />
      {failure && <p role="alert">{failure}</p>}
    </>
  );
}

function ValueTable({ value, title }: { value: unknown; title: string }) {
  const data = seriesOf(value, title);
  if (!data) return <pre className="widget-meta">{JSON.stringify(value, null, 1)}</pre>;
  return (
    <table className="data-table">
      <thead>
        <tr>
          <th scope="col">Clé</th>
          {data.series.map((entry) => (
            <th key={entry.name} scope="col" className="numeric">
              {entry.name}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {data.categories.map((category, index) => (
          <tr key={`${category}-${index}`}>
            <th scope="row">{category}</th>
            {data.series.map((entry) => (
              <td key={entry.name} className="numeric">
                {entry.values[index] === null ? '—' : formatNumber(entry.values[index]!)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** `format`: the figure's unit as the API gives it (FCFA, %, h, /5), null for a plain number. */
export function WidgetValue({ type, value, title, format }: { type: string; value: unknown; title: string; format: WidgetValueFormat | null }) {
  // The same value object until new data comes: the chart is not redrawn at every render.
  const option = useMemo(() => (value === null || value === undefined || type === 'metric' || type === 'table' ? null : optionOf(type, value, title)), [type, value, title]);
  if (value === null || value === undefined) return <p className="widget-meta">Pas de valeur pour cette clé dans les données actuelles.</p>;
  if (type === 'metric') {
    const text = typeof value === 'number' ? formatValue(value, format ?? 'decimal') : typeof value === 'string' ? value : JSON.stringify(value);
    return (
      // As large as the widget's width allows the whole figure (≈ 0.62 em per character), 2rem at most.
      <p className="widget-metric" style={{ fontSize: `clamp(1rem, ${Math.floor(160 / Math.max(text.length, 1))}cqi, 2rem)` }} data-widget-value={typeof value === 'number' ? value : ''}>
        {text}
      </p>
    );
  }
  if (type === 'table') return <ValueTable value={value} title={title} />;
  if (!option) return <ValueTable value={value} title={title} />;
  return <WidgetChart option={option} label={`${title} : graphique`} />;
}
