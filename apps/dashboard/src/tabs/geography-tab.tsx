// Géographie: where requests come from — the map of Mali with the requests of each ~1 km cell
// (map_points: south-west corner of the cell), the cities (requests, completed, revenue) and the
// guide's top cities.
import { Chart } from '../charts/chart.js';
import { MALI_MAP } from '../charts/map-names.js';
import { cartesianOption, PALETTE } from '../charts/options.js';
import type { EChartsOption } from '../charts/echarts.js';
import { DataTable } from '../components/data-table.js';
import { KpiGrid } from '../components/kpi-grid.js';
import { formatNumber, formatValue } from '../format/fr.js';
import { cityLabel } from '../../../../libs/metrics/src/labels.js';
import { useSection } from '../live/view-context.js';
import type { MapPoint } from '../../../../libs/metrics/src/types.js';
import { Loaded } from './common.js';

function coordinate(value: number, positive: string, negative: string): string {
  return `${formatNumber(Math.abs(value))}° ${value < 0 ? negative : positive}`;
}

function mapOption(points: MapPoint[]): EChartsOption {
  const most = points.reduce((max, point) => Math.max(max, point.requests), 1);
  return {
    tooltip: {
      trigger: 'item',
      formatter: (item: { value: [number, number, number] }) =>
        `${coordinate(item.value[1], 'N', 'S')}, ${coordinate(item.value[0], 'E', 'O')}<br/><b>${formatValue(item.value[2], 'integer')}</b> demande(s)`,
    },
    geo: {
      map: MALI_MAP,
      roam: true,
      scaleLimit: { min: 1, max: 40 },
      itemStyle: { areaColor: '#eef2f6', borderColor: '#44546a', borderWidth: 1 },
      emphasis: { disabled: true },
      // Box layout (ECharts fits the map in it, keeping its shape): a percentage layoutSize over a
      // box not yet measured gave a zero scale, a singular transform and a TypeError in ECharts.
      top: 8,
      bottom: 8,
      left: 8,
      right: 8,
    },
    series: [
      {
        name: 'Demandes',
        type: 'scatter',
        coordinateSystem: 'geo',
        data: points.map((point) => [point.longitude, point.latitude, point.requests]),
        // Area proportional to the requests: radius ∝ √requests.
        symbolSize: (value: [number, number, number]) => 4 + 26 * Math.sqrt(value[2] / most),
        itemStyle: { color: PALETTE[1], opacity: 0.7, borderColor: '#ffffff', borderWidth: 0.5 },
        emphasis: { scale: 1.4 },
      },
    ],
  };
}

export function GeographyTab() {
  const geography = useSection('geography');
  return (
    <>
      <h2>Géographie</h2>
      <Loaded resource={geography} what="géographie">
        {(g) => {
          const mapped = g.map_points.reduce((sum, point) => sum + point.requests, 0);
          const topCities = g.cities.slice(0, 15);
          return (
            <>
              <KpiGrid
                label="Géographie"
                figures={[
                  { metric: 'geography.cities.length', label: 'Villes avec des demandes', value: g.cities.length, kind: 'integer' },
                  { metric: 'geography.map_points.length', label: 'Zones sur la carte', value: g.map_points.length, kind: 'integer', hint: `${formatNumber(mapped)} demande(s) localisée(s), zones d'environ 1 km` },
                ]}
              />
              <div className="charts">
                <Chart
                  name="mali-map"
                  title="Carte des demandes au Mali"
                  summary={`${formatValue(mapped, 'integer')} demandes localisées dans ${formatValue(g.map_points.length, 'integer')} zones ; molette ou pincement pour zoomer, glisser pour se déplacer`}
                  option={mapOption(g.map_points)}
                  height={460}
                  table={{
                    columns: ['Zone (coin sud-ouest)', 'Demandes'],
                    rows: g.map_points.slice(0, 50).map((point) => [`${coordinate(point.latitude, 'N', 'S')}, ${coordinate(point.longitude, 'E', 'O')}`, formatValue(point.requests, 'integer')]),
                  }}
                />
                <Chart
                  name="cities"
                  title="Demandes par ville"
                  summary={topCities.map((city) => `${cityLabel(city.city)} ${formatValue(city.requests, 'integer')}`).join(', ')}
                  option={cartesianOption(
                    'bar',
                    topCities.map((city) => cityLabel(city.city)),
                    [
                      { name: 'Demandes', values: topCities.map((city) => city.requests), kind: 'integer' },
                      { name: 'Terminées', values: topCities.map((city) => city.completed), kind: 'integer' },
                    ],
                    { horizontal: true },
                  )}
                  height={460}
                />
              </div>
              <DataTable
                name="cities"
                caption="Villes : demandes, demandes terminées et revenus"
                rows={g.cities}
                rowKey={(city) => city.city}
                columns={[
                  { label: 'Ville', cell: (city) => cityLabel(city.city) },
                  { label: 'Demandes', cell: (city) => formatValue(city.requests, 'integer'), numeric: true },
                  { label: 'Terminées', cell: (city) => formatValue(city.completed, 'integer'), numeric: true },
                  { label: 'Revenus', cell: (city) => formatValue(city.revenue, 'xof'), numeric: true },
                ]}
              />
            </>
          );
        }}
      </Loaded>
    </>
  );
}
