// One ECharts chart in a figure: a title, the drawing (canvas, redrawn in place when the data
// moves, resized with its box), and the same numbers as a table for keyboards and screen readers
// ("Voir les données"). Interactions come from the option each tab builds (zoom, tooltip, legend).
import { useMemo, useRef, type ReactNode } from 'react';
import type { EChartsOption } from './echarts.js';
import { useEChart } from './use-echart.js';

export interface ChartProps {
  title: string;
  /** Short words for assistive technologies: what the chart shows. */
  summary: string;
  option: EChartsOption;
  /** The chart's numbers as rows, shown on demand. */
  table?: { columns: string[]; rows: Array<Array<string | number>> };
  height?: number;
  /** data-chart attribute, for tests and styling. */
  name: string;
  children?: ReactNode;
}

// replaceMerge: a series that disappeared (a filter) must not linger from the previous option.
// The legend's selection and the zoom survive: ECharts keeps them across setOption with the same names.
const MERGE = { notMerge: false, replaceMerge: ['series'] };

export function Chart({ title, summary, option, table, height = 320, name, children }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  // The option is rebuilt at every render of the tab (any push re-renders it): a new object only
  // when its content changed, so an unrelated update does not redraw the chart.
  const content = JSON.stringify(option);
  const drawn = useMemo<EChartsOption>(
    () => ({ aria: { enabled: true, label: { description: summary } }, ...option }),
    [content, summary], // `content` stands for `option`
  );
  const failure = useEChart(box, drawn, MERGE);

  return (
    <figure className="chart" data-chart={name}>
      <figcaption>{title}</figcaption>
      <div ref={box} className="chart-canvas" style={{ height }} role="img" aria-label={`${title} : ${summary}`} />
      {failure && <p role="alert">{failure}</p>}
      {children}
      {table && table.rows.length > 0 && (
        <details className="chart-data">
          <summary>Voir les données</summary>
          <table>
            <thead>
              <tr>
                {table.columns.map((column) => (
                  <th key={column} scope="col">
                    {column}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {table.rows.map((row, index) => (
                <tr key={index}>
                  {row.map((cell, cellIndex) => (cellIndex === 0 ? <th key={cellIndex} scope="row">{cell}</th> : <td key={cellIndex}>{cell}</td>))}
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </figure>
  );
}
