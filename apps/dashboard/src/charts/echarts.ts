// The parts of ECharts the dashboard draws with (line, bar, pie, radar, map + scatter; zoom,
// tooltips, legends), registered once: the whole library would double the page's weight.
import { BarChart, LineChart, MapChart, PieChart, RadarChart, ScatterChart } from 'echarts/charts';
import {
  DataZoomComponent,
  GeoComponent,
  GridComponent,
  LegendComponent,
  RadarComponent,
  TitleComponent,
  ToolboxComponent,
  TooltipComponent,
  VisualMapComponent,
  AriaComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
// @ts-expect-error: the locale module ships without type declarations
import langFR from 'echarts/lib/i18n/langFR.js';

echarts.use([
  BarChart,
  LineChart,
  MapChart,
  PieChart,
  RadarChart,
  ScatterChart,
  DataZoomComponent,
  GeoComponent,
  GridComponent,
  LegendComponent,
  RadarComponent,
  TitleComponent,
  ToolboxComponent,
  TooltipComponent,
  VisualMapComponent,
  AriaComponent,
  CanvasRenderer,
]);

// Toolbox, zoom and legend words in French ("Zoom", "Restaurer"…).
echarts.registerLocale('FR', langFR);

export { echarts };
export type EChartsOption = echarts.EChartsCoreOption;
