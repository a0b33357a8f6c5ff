// A report chart drawn server-side as an SVG string (ECharts' SSR renderer, no DOM, no canvas), to
// be inlined in the PDF's HTML: the page needs no JavaScript and no network to show it. The title is
// the template's (an HTML heading), so the SVG holds only the plot, its axes and its legend.
import * as echarts from 'echarts';
import type { DefaultLabelFormatterCallbackParams, EChartsOption } from 'echarts';
import { ratio } from '../../../../../libs/metrics/src/exact.js';
import { escapeHtml } from './html.js';
import { formatNumberFr, hundredths, NARROW_NBSP } from '../../../../../libs/metrics/src/format-fr.js';
import { formatValue } from '../format-fr.js';
import type { CellValue, ReportChart, ReportColumn, ReportTable } from '../report-model.js';

/** Series colours, in order: the brand blue first; distinct in print and for common colour blindness. */
export const CHART_PALETTE = ['#1f4e79', '#e07b00', '#2e8b57', '#c0392b', '#6c3fa0', '#1a9bb0', '#8d6e63', '#5d6d7e'] as const;

export const CHART_FONT = "'Liberation Sans', 'DejaVu Sans', Arial, sans-serif";
const TEXT_COLOUR = '#333d47';
const MUTED_COLOUR = '#6b7785';
const GRID_COLOUR = '#e3e7ec';

export interface ChartSize {
  width: number;
  height: number;
}

/** Axis ticks: short French numbers ("12,5 M", "800 k"): the exact figures are in the table below. */
const compactTick = new Intl.NumberFormat('fr-FR', { notation: 'compact', maximumFractionDigits: 1 });

function column(table: ReportTable, key: string, role: string, chart: ReportChart): ReportColumn {
  const found = table.columns.find((candidate) => candidate.key === key);
  if (!found) throw new Error(`chart "${chart.title}": ${role} column "${key}" is not a column of table ${table.id}`);
  return found;
}

function numeric(value: CellValue): number | null {
  if (value === null) return null;
  const number = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(number) ? number : null;
}

/** A value label on a bar or a point: the exact value in French, with "%" for percentages only (the legend names the unit). */
function valueLabel(value: number, format: ReportColumn['format']): string {
  return format === 'percent' ? `${formatNumberFr(value)}${NARROW_NBSP}%` : formatNumberFr(value);
}

function noDataSvg(size: ChartSize): string {
  // A short frame: an empty plot the size of a chart would waste half a page.
  const width = size.width;
  const height = Math.min(size.height, 90);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Aucune donnée">` +
    `<rect x="0.5" y="0.5" width="${width - 1}" height="${height - 1}" rx="6" fill="#f6f8fa" stroke="${GRID_COLOUR}"/>` +
    `<text x="${width / 2}" y="${height / 2}" text-anchor="middle" dominant-baseline="middle" font-family="${escapeHtml(CHART_FONT)}" font-size="14" fill="${MUTED_COLOUR}">Aucune donnée</text>` +
    `</svg>`
  );
}

/** The smallest 1, 2, 2.5 or 5 × 10^k at or above value: a round radar scale (a chart scale, not a reported figure). */
function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((candidate) => candidate * magnitude >= value) ?? 10;
  return step * magnitude;
}

function baseOption(): EChartsOption {
  return {
    animation: false,
    color: [...CHART_PALETTE],
    backgroundColor: 'transparent',
    textStyle: { fontFamily: CHART_FONT, fontSize: 11, color: TEXT_COLOUR },
  };
}

function legend(names: string[], position: 'top' | 'right'): EChartsOption['legend'] {
  if (position === 'right') {
    return { show: true, orient: 'vertical', right: 8, top: 'middle', itemWidth: 12, itemHeight: 12, textStyle: { fontSize: 11, color: TEXT_COLOUR }, data: names };
  }
  return { show: names.length > 1, top: 0, left: 'center', itemWidth: 14, itemHeight: 10, textStyle: { fontSize: 11, color: TEXT_COLOUR }, data: names };
}

function cartesianOption(
  width: number,
  kind: 'line' | 'area' | 'bar',
  categories: string[],
  series: Array<{ name: string; column: ReportColumn; values: Array<number | null> }>,
): EChartsOption {
  const many = categories.length > 31;
  // Bar labels are all shown: slant them when the longest would not fit its band (~6 px a character at 10 px).
  const longestCategory = Math.max(...categories.map((category) => category.length));
  const band = (width - 80) / categories.length;
  const rotate = kind === 'bar' && longestCategory * 6 > band * 0.95 ? 30 : 0;
  const showLabels = kind === 'bar' ? categories.length <= 12 && series.length <= 2 : categories.length <= 12 && series.length === 1;
  return {
    ...baseOption(),
    legend: legend(
      series.map((entry) => entry.name),
      'top',
    ),
    grid: { left: 12, right: 20, top: series.length > 1 ? 34 : 16, bottom: 8, outerBoundsMode: 'same', outerBoundsContain: 'axisLabel' },
    xAxis: {
      type: 'category',
      data: categories,
      boundaryGap: kind === 'bar',
      axisLine: { lineStyle: { color: '#9aa5b1' } },
      axisTick: { show: kind === 'bar', alignWithLabel: true },
      axisLabel: {
        color: MUTED_COLOUR,
        fontSize: 10,
        rotate,
        hideOverlap: true,
        interval: many ? 'auto' : kind === 'bar' ? 0 : 'auto',
        // Lines start and end on the plot's edges: keep the first and last dates inside the picture.
        ...(kind === 'bar' ? {} : { alignMinLabel: 'left' as const, alignMaxLabel: 'right' as const }),
      },
    },
    yAxis: {
      type: 'value',
      splitLine: { lineStyle: { color: GRID_COLOUR } },
      axisLabel: { color: MUTED_COLOUR, fontSize: 10, formatter: (value: number) => compactTick.format(value) },
    },
    series: series.map((entry) => {
      const label = {
        show: showLabels,
        position: 'top' as const,
        fontSize: 10,
        color: TEXT_COLOUR,
        formatter: (params: DefaultLabelFormatterCallbackParams) =>
          typeof params.value === 'number' ? valueLabel(params.value, entry.column.format) : '',
      };
      if (kind === 'bar') {
        return { type: 'bar' as const, name: entry.name, data: entry.values, barMaxWidth: 48, label, silent: true };
      }
      return {
        type: 'line' as const,
        name: entry.name,
        data: entry.values,
        symbol: many ? 'none' : 'circle',
        symbolSize: 5,
        lineStyle: { width: 2 },
        connectNulls: false,
        ...(kind === 'area' ? { areaStyle: { opacity: 0.22 } } : {}),
        label,
        silent: true,
      };
    }),
  };
}

function pieOption(categories: string[], name: string, column: ReportColumn, values: Array<number | null>): EChartsOption {
  const slices = categories.map((category, i) => ({ name: category, value: values[i] ?? 0 })).filter((slice) => slice.value > 0);
  // Shares computed exactly (hundredths, rounded once by exact.ts), not ECharts' float percent.
  const total = slices.reduce((sum, slice) => sum + hundredths(slice.value), 0n);
  const share = (value: number): string => `${formatNumberFr(ratio(hundredths(value), total, 100n))}${NARROW_NBSP}%`;
  return {
    ...baseOption(),
    legend: legend(
      slices.map((slice) => slice.name),
      'right',
    ),
    series: [
      {
        type: 'pie',
        name,
        radius: ['38%', '68%'],
        center: ['38%', '52%'],
        data: slices,
        silent: true,
        itemStyle: { borderColor: '#ffffff', borderWidth: 1.5 },
        label: {
          show: true,
          fontSize: 10,
          color: TEXT_COLOUR,
          formatter: (params: DefaultLabelFormatterCallbackParams) =>
            typeof params.value === 'number' ? `${valueLabel(params.value, column.format)}\n(${share(params.value)})` : '',
        },
        labelLine: { length: 8, length2: 10 },
      },
    ],
  };
}

function radarOption(categories: string[], series: Array<{ name: string; column: ReportColumn; values: Array<number | null> }>): EChartsOption {
  // One scale for every axis, from the data: the axes of a report radar share a unit (rates, counts).
  const largest = Math.max(0, ...series.flatMap((entry) => entry.values.filter((value): value is number => value !== null)));
  const max = niceCeiling(largest);
  return {
    ...baseOption(),
    legend: legend(
      series.map((entry) => entry.name),
      'top',
    ),
    radar: {
      indicator: categories.map((category) => ({ name: category, max, min: 0 })),
      center: ['50%', series.length > 1 ? '56%' : '52%'],
      radius: '66%',
      splitNumber: 4,
      axisName: { color: TEXT_COLOUR, fontSize: 11 },
      splitLine: { lineStyle: { color: GRID_COLOUR } },
      splitArea: { areaStyle: { color: ['#fbfcfd', '#f3f6f9'] } },
      axisLine: { lineStyle: { color: '#c9d1da' } },
    },
    series: [
      {
        type: 'radar',
        silent: true,
        symbolSize: 5,
        areaStyle: { opacity: 0.18 },
        data: series.map((entry) => ({
          name: entry.name,
          value: entry.values.map((value) => value ?? 0),
          label: {
            show: series.length === 1,
            fontSize: 10,
            color: TEXT_COLOUR,
            // On a white tag: the value sits on the web's lines.
            backgroundColor: 'rgba(255,255,255,0.9)',
            padding: [1, 3],
            borderRadius: 2,
            distance: 6,
            formatter: (params: DefaultLabelFormatterCallbackParams) =>
              typeof params.value === 'number' ? valueLabel(params.value, entry.column.format) : '',
          },
        })),
      },
    ],
  };
}

/**
 * `chart` drawn from the rows of `table` as an SVG document of `size` (CSS pixels). An empty table
 * (or one with no plottable value) gives a framed "Aucune donnée" instead of an empty plot.
 */
export function chartSvg(chart: ReportChart, table: ReportTable, size: ChartSize): string {
  if (table.id !== chart.table) throw new Error(`chart "${chart.title}" draws table ${chart.table}, was given ${table.id}`);
  if (chart.series.length === 0) throw new Error(`chart "${chart.title}" has no series`);
  const categoryColumn = column(table, chart.category, 'category', chart);
  const series = chart.series.map((key) => {
    const valueColumn = column(table, key, 'series', chart);
    return { name: valueColumn.label, column: valueColumn, values: table.rows.map((row) => numeric(row[key] ?? null)) };
  });
  const hasValue = series.some((entry) => entry.values.some((value) => value !== null && (chart.kind !== 'pie' || value > 0)));
  if (table.rows.length === 0 || !hasValue) return noDataSvg(size);
  const categories = table.rows.map((row) => formatValue(row[chart.category] ?? null, categoryColumn.format));

  let option: EChartsOption;
  switch (chart.kind) {
    case 'line':
    case 'area':
    case 'bar':
      option = cartesianOption(size.width, chart.kind, categories, series);
      break;
    case 'pie':
      option = pieOption(categories, series[0]!.name, series[0]!.column, series[0]!.values);
      break;
    case 'radar':
      option = radarOption(categories, series);
      break;
  }
  const instance = echarts.init(null, null, { renderer: 'svg', ssr: true, width: size.width, height: size.height });
  try {
    instance.setOption(option);
    return instance.renderToSVGString();
  } finally {
    instance.dispose();
  }
}
