// The name under which Mali's outline is registered with ECharts (mali-map.ts), for the options
// that draw on it. Kept apart so that naming the map does not load the chart library.
export const MALI_MAP = 'Mali';
