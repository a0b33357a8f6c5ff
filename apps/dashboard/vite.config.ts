// Build of the web dashboard into dist/dashboard, served by the API (apps/api/src/web/dashboard-static.ts).
// JSX is compiled by Vite's own esbuild (no React plugin: there is no dev server to hot-reload).
// Mali's outline is cut out of world-atlas at build time (virtual:mali-outline), so the page ships
// one country (~10 kB) rather than the world, and needs no network at run time.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import { defineConfig, type Plugin } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** ISO 3166-1 numeric code of Mali, the id of its shape in world-atlas. */
const MALI_ISO_NUMERIC = '466';
const MALI_MODULE = 'virtual:mali-outline';

function maliOutline(): Plugin {
  return {
    name: 'mali-outline',
    resolveId: (id) => (id === MALI_MODULE ? `\0${MALI_MODULE}` : null),
    load(id) {
      if (id !== `\0${MALI_MODULE}`) return null;
      const topology = JSON.parse(readFileSync(require.resolve('world-atlas/countries-50m.json'), 'utf8')) as Topology<{
        countries: GeometryCollection<{ name: string }>;
      }>;
      const mali = topology.objects.countries.geometries.find((geometry) => String(geometry.id) === MALI_ISO_NUMERIC);
      if (!mali) throw new Error(`world-atlas countries-50m.json has no country ${MALI_ISO_NUMERIC} (Mali)`);
      const outline = feature(topology, mali);
      const collection = { type: 'FeatureCollection', features: [{ ...outline, properties: { name: 'Mali' } }] };
      return `export default ${JSON.stringify(collection)};`;
    },
  };
}

export default defineConfig({
  root: here,
  base: '/',
  publicDir: false,
  plugins: [maliOutline()],
  esbuild: { jsx: 'automatic', jsxImportSource: 'react' },
  build: {
    outDir: resolve(here, '../../dist/dashboard'),
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: true,
    // ECharts alone is ~600 kB minified: one warning per build would say nothing new.
    chunkSizeWarningLimit: 1500,
  },
  logLevel: 'warn',
});
