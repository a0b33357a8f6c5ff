// Modules made by vite.config.ts at build time.
declare module 'virtual:mali-outline' {
  /** Mali's border (world-atlas countries-50m, Natural Earth), as a GeoJSON FeatureCollection. */
  const outline: { type: 'FeatureCollection'; features: Array<{ type: 'Feature'; geometry: unknown; properties: { name: string } }> };
  export default outline;
}
