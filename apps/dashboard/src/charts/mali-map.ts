// Mali's outline registered once as the ECharts map "Mali" (cut from world-atlas at build time).
import outline from 'virtual:mali-outline';
import { echarts } from './echarts.js';

export const MALI_MAP = 'Mali';

echarts.registerMap(MALI_MAP, outline as unknown as Parameters<typeof echarts.registerMap>[1]);
