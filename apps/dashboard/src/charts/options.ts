// Option builders for the five kinds of chart the guide lists (line, bar, pie, area, radar), with
// the same interactions everywhere: tooltips on hover, legend selection, zoom on long axes
// (dataZoom: a slider plus the wheel/drag inside), values in French format in tooltips and axes.
import { formatNumber, formatValue, type ValueKind } from '../format/fr.js';
import type { EChartsOption } from './echarts.js';

/** Colour-blind-safe palette (Okabe–Ito), dark enough on white for the lines and bars. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#882255', '#332288'];

export interface SeriesSpec {
  name: string;
  values: Array<number | null>;
  kind: ValueKind;
  /** Second y axis (e.g. money beside counts). */
  rightAxis?: boolean;
}

const axisLabel = (kind: ValueKind) => ({ formatter: (value: number) => (kind === 'xof' ? formatNumber(value) : formatValue(value, kind)) });

function tooltipFor(series: SeriesSpec[]) {
  return {
    trigger: 'axis' as const,
    valueFormatter: undefined,
    formatter: (params: unknown) => {
      const items = (Array.isArray(params) ? params : [params]) as Array<{ axisValueLabel: string; seriesName: string; value: number | null; marker: string }>;
      const head = items[0]?.axisValueLabel ?? '';
      const lines = items.map((item) => {
        const spec = series.find((entry) => entry.name === item.seriesName);
        return `${item.marker}${item.seriesName} : <b>${formatValue(item.value, spec?.kind ?? 'decimal')}</b>`;
      });
      return [head, ...lines].join('<br/>');
    },
  };
}

/** Line, area (filled, stacked volumes) or bar chart over categories, zoomable when long. */
export function cartesianOption(kind: 'line' | 'area' | 'bar', categories: string[], series: SeriesSpec[], options: { horizontal?: boolean; zoom?: boolean } = {}): EChartsOption {
  const leftKind = series.find((entry) => !entry.rightAxis)?.kind ?? 'integer';
  const rightKind = series.find((entry) => entry.rightAxis)?.kind;
  const zoom = options.zoom ?? categories.length > 12;
  // Every category named (names of technicians, cities…), slanted when there are many.
  const slanted = !options.horizontal && categories.length > 6;
  const categoryAxis = { type: 'category' as const, data: categories, boundaryGap: kind === 'bar', axisLabel: { interval: 0, rotate: slanted ? 35 : 0, hideOverlap: !slanted } };
  // Counts step by whole units: no "0,2 demande" tick.
  const valueAxis = (valueKind: ValueKind) => ({ type: 'value' as const, axisLabel: axisLabel(valueKind), minInterval: valueKind === 'integer' ? 1 : 0 });
  const valueAxes = [valueAxis(leftKind), ...(rightKind ? [{ ...valueAxis(rightKind), splitLine: { show: false } }] : [])];
  return {
    color: PALETTE,
    tooltip: tooltipFor(series),
    // The legend leaves the top-right corner to the toolbox (zoom, restore).
    legend: { type: 'scroll', top: 0, left: 0, right: 72, selectedMode: true },
    grid: { left: 8, right: 16, top: 44, bottom: zoom ? 64 : 16, containLabel: true },
    toolbox: { right: 0, top: 0, feature: { dataZoom: { yAxisIndex: 'none' }, restore: {} } },
    xAxis: options.horizontal ? valueAxes[0] : categoryAxis,
    yAxis: options.horizontal ? { ...categoryAxis, inverse: true } : valueAxes,
    dataZoom: zoom
      ? [
          { type: 'inside', [options.horizontal ? 'yAxisIndex' : 'xAxisIndex']: 0 },
          { type: 'slider', [options.horizontal ? 'yAxisIndex' : 'xAxisIndex']: 0, height: 20, bottom: 8 },
        ]
      : [],
    series: series.map((entry) => ({
      name: entry.name,
      type: kind === 'area' ? 'line' : kind,
      data: entry.values,
      yAxisIndex: !options.horizontal && entry.rightAxis ? 1 : 0,
      smooth: kind !== 'bar',
      showSymbol: categories.length <= 40,
      areaStyle: kind === 'area' ? { opacity: 0.35 } : undefined,
      stack: kind === 'area' && !entry.rightAxis ? 'volume' : undefined,
      emphasis: { focus: 'series' },
    })),
  };
}

/** Shares of a whole; the legend toggles slices. */
export function pieOption(name: string, slices: Array<{ name: string; value: number }>, kind: ValueKind): EChartsOption {
  return {
    color: PALETTE,
    tooltip: { trigger: 'item', formatter: (item: { name: string; value: number; percent: number; marker: string }) => `${item.marker}${item.name} : <b>${formatValue(item.value, kind)}</b> (${formatNumber(item.percent)}\u202f%)` },
    legend: { type: 'scroll', orient: 'horizontal', bottom: 0 },
    series: [
      {
        name,
        type: 'pie',
        radius: ['35%', '68%'],
        center: ['50%', '45%'],
        data: slices,
        label: { formatter: '{b}' },
        emphasis: { focus: 'self' },
      },
    ],
  };
}

/** Several percentages (0–100) of one thing, or of several things side by side. */
export function radarOption(indicators: string[], series: Array<{ name: string; values: number[] }>, max = 100): EChartsOption {
  return {
    color: PALETTE,
    tooltip: {
      trigger: 'item',
      formatter: (item: { name: string; value: number[]; marker: string }) =>
        [`${item.marker}${item.name}`, ...indicators.map((indicator, index) => `${indicator} : <b>${formatValue(item.value[index] ?? 0, 'percent')}</b>`)].join('<br/>'),
    },
    legend: { type: 'scroll', bottom: 0 },
    radar: { indicator: indicators.map((name) => ({ name, max })), radius: '62%', center: ['50%', '48%'] },
    series: [{ type: 'radar', data: series.map((entry) => ({ name: entry.name, value: entry.values })), emphasis: { focus: 'self' } }],
  };
}
