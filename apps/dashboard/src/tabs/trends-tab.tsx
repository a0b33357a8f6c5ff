// Tendances: requests, completions, revenue and new users over fixed buckets (7 days, 4 weeks,
// 6 months; not narrowed by the period, city/specialty apply), as lines, volumes (area) and bars.
import { useId, useState } from 'react';
import { Chart } from '../charts/chart.js';
import { cartesianOption } from '../charts/options.js';
import { KpiGrid } from '../components/kpi-grid.js';
import { formatBucket, formatValue } from '../format/fr.js';
import { useSection } from '../live/view-context.js';
import { Loaded } from './common.js';

const GRAINS = [
  { value: 'daily', label: 'Quotidien', latest: 'Aujourd\'hui' },
  { value: 'weekly', label: 'Hebdomadaire', latest: 'Ces 7 derniers jours' },
  { value: 'monthly', label: 'Mensuel', latest: 'Ce mois-ci' },
] as const;
type Grain = (typeof GRAINS)[number]['value'];

/** "Semaine 1" is the latest week: weeks are drawn oldest first, like days and months. */
function chronological<V>(grain: Grain, record: Record<string, V>): Array<[string, V]> {
  const entries = Object.entries(record);
  return grain === 'weekly' ? entries.reverse() : entries;
}

export function TrendsTab() {
  const trends = useSection('trends');
  const [grain, setGrain] = useState<Grain>('daily');
  const groupId = useId();
  return (
    <>
      <h2>Tendances</h2>
      <div className="grain" role="radiogroup" aria-labelledby={groupId}>
        <span id={groupId}>Granularité</span>
        {GRAINS.map((choice) => (
          <label key={choice.value}>
            <input type="radio" name="grain" value={choice.value} checked={grain === choice.value} onChange={() => setGrain(choice.value)} />
            {choice.label}
          </label>
        ))}
      </div>
      <Loaded resource={trends} what="tendances">
        {(t) => {
          const buckets = chronological(grain, t[grain] as Record<string, { requests: number; completed: number; revenue: number; new_users?: number }>);
          const labels = buckets.map(([key]) => formatBucket(key));
          const hasUsers = grain !== 'weekly';
          const [latestKey, latest] = buckets.at(-1) ?? [null, null];
          const latestLabel = GRAINS.find((choice) => choice.value === grain)!.latest;
          return (
            <>
              {latestKey !== null && latest !== null && (
                <KpiGrid
                  label={latestLabel}
                  figures={[
                    { metric: `trends.${grain}.${latestKey}.requests`, label: `Demandes : ${latestLabel.toLowerCase()}`, value: latest.requests, kind: 'integer', hint: formatBucket(latestKey) },
                    { metric: `trends.${grain}.${latestKey}.completed`, label: `Terminées : ${latestLabel.toLowerCase()}`, value: latest.completed, kind: 'integer', hint: formatBucket(latestKey) },
                    { metric: `trends.${grain}.${latestKey}.revenue`, label: `Revenus : ${latestLabel.toLowerCase()}`, value: latest.revenue, kind: 'xof', hint: formatBucket(latestKey) },
                    ...(hasUsers
                      ? [{ metric: `trends.${grain}.${latestKey}.new_users`, label: `Nouveaux utilisateurs : ${latestLabel.toLowerCase()}`, value: latest.new_users ?? null, kind: 'integer' as const, hint: formatBucket(latestKey) }]
                      : []),
                  ]}
                />
              )}
            <div className="charts">
              <Chart
                name="trend-requests"
                title="Demandes et demandes terminées"
                summary={buckets.map(([key, bucket]) => `${formatBucket(key)} : ${formatValue(bucket.requests, 'integer')} demandes`).join(', ')}
                option={cartesianOption(
                  'line',
                  labels,
                  [
                    { name: 'Demandes', values: buckets.map(([, bucket]) => bucket.requests), kind: 'integer' },
                    { name: 'Terminées', values: buckets.map(([, bucket]) => bucket.completed), kind: 'integer' },
                  ],
                  { zoom: true },
                )}
                table={{
                  columns: ['Période', 'Demandes', 'Terminées', 'Revenus', ...(hasUsers ? ['Nouveaux utilisateurs'] : [])],
                  rows: buckets.map(([key, bucket]) => [
                    formatBucket(key),
                    formatValue(bucket.requests, 'integer'),
                    formatValue(bucket.completed, 'integer'),
                    formatValue(bucket.revenue, 'xof'),
                    ...(hasUsers ? [formatValue(bucket.new_users ?? null, 'integer')] : []),
                  ]),
                }}
              />
              <Chart
                name="trend-revenue"
                title="Revenus"
                summary={buckets.map(([key, bucket]) => `${formatBucket(key)} : ${formatValue(bucket.revenue, 'xof')}`).join(', ')}
                option={cartesianOption('area', labels, [{ name: 'Revenus', values: buckets.map(([, bucket]) => bucket.revenue), kind: 'xof' }], { zoom: true })}
              />
              {hasUsers && (
                <Chart
                  name="trend-new-users"
                  title="Nouveaux utilisateurs"
                  summary={buckets.map(([key, bucket]) => `${formatBucket(key)} : ${formatValue(bucket.new_users ?? null, 'integer')}`).join(', ')}
                  option={cartesianOption('bar', labels, [{ name: 'Nouveaux utilisateurs', values: buckets.map(([, bucket]) => bucket.new_users ?? null), kind: 'integer' }], { zoom: true })}
                />
              )}
            </div>
            </>
          );
        }}
      </Loaded>
    </>
  );
}
