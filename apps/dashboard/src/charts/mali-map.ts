// Mali's outline registered once as the ECharts map "Mali" (cut from world-atlas at build time).
// Loaded with the library (use-echart.ts), never by the page itself.
import outline from 'virtual:mali-outline';
import { echarts } from './echarts.js';
import { MALI_MAP } from './map-names.js';

echarts.registerMap(MALI_MAP, outline as unknown as Parameters<typeof echarts.registerMap>[1]);
