// Vue d'ensemble: the guide's main figures (overview section), the last 24 hours (real_time_stats,
// not filtered), who the users are (pie) and the platform's rates side by side (radar).
import { Chart } from '../charts/chart.js';
import { pieOption, radarOption } from '../charts/options.js';
import { KpiGrid } from '../components/kpi-grid.js';
import { formatValue } from '../format/fr.js';
import { useRealTime, useSection } from '../live/view-context.js';
import { Loaded } from './common.js';

export function OverviewTab() {
  const overview = useSection('overview');
  const advanced = useSection('advanced');
  const realTime = useRealTime();
  return (
    <>
      <h2>Vue d'ensemble</h2>
      <Loaded resource={overview} what="vue d'ensemble">
        {(o) => (
          <KpiGrid
            label="Chiffres principaux"
            figures={[
              { metric: 'overview.total_users', label: 'Utilisateurs totaux', value: o.total_users, kind: 'integer' },
              { metric: 'overview.total_requests', label: 'Demandes totales', value: o.total_requests, kind: 'integer' },
              { metric: 'overview.completed_requests', label: 'Demandes terminées', value: o.completed_requests, kind: 'integer' },
              { metric: 'overview.total_revenue', label: 'Revenus totaux', value: o.total_revenue, kind: 'xof' },
              { metric: 'overview.platform_fees', label: 'Frais de plateforme', value: o.platform_fees, kind: 'xof' },
              { metric: 'overview.avg_rating', label: 'Note moyenne', value: o.avg_rating, kind: 'rating' },
              { metric: 'overview.satisfaction_rate', label: 'Taux de satisfaction', value: o.satisfaction_rate, kind: 'percent' },
              { metric: 'overview.active_users_30d', label: 'Utilisateurs actifs (30j)', value: o.active_users_30d, kind: 'integer' },
              { metric: 'overview.new_users_30d', label: 'Nouveaux utilisateurs (30j)', value: o.new_users_30d, kind: 'integer' },
            ]}
          />
        )}
      </Loaded>
      <Loaded resource={realTime} what="temps réel">
        {(r) => (
          <>
            <h3>Dernières 24 heures</h3>
            <KpiGrid
              label="Dernières 24 heures"
              figures={[
                { metric: 'real_time_stats.last_24h.new_requests', label: 'Nouvelles demandes', value: r.last_24h.new_requests, kind: 'integer' },
                { metric: 'real_time_stats.last_24h.completed_requests', label: 'Demandes terminées', value: r.last_24h.completed_requests, kind: 'integer' },
                { metric: 'real_time_stats.last_24h.new_users', label: 'Nouveaux utilisateurs', value: r.last_24h.new_users, kind: 'integer' },
                { metric: 'real_time_stats.last_24h.revenue', label: 'Revenus', value: r.last_24h.revenue, kind: 'xof' },
                { metric: 'real_time_stats.active_sessions.online_users', label: 'Utilisateurs en ligne', value: r.active_sessions.online_users, kind: 'integer' },
                { metric: 'real_time_stats.active_sessions.active_technicians', label: 'Techniciens actifs', value: r.active_sessions.active_technicians, kind: 'integer' },
              ]}
            />
          </>
        )}
      </Loaded>
      <div className="charts">
        <Loaded resource={overview} what="répartition des utilisateurs">
          {(o) => {
            const slices = [
              { name: 'Clients', value: o.total_clients },
              { name: 'Techniciens', value: o.total_technicians },
              { name: 'Administrateurs', value: o.total_admins },
            ];
            return (
              <Chart
                name="users-by-type"
                title="Utilisateurs par type"
                summary={slices.map((slice) => `${slice.name} ${formatValue(slice.value, 'integer')}`).join(', ')}
                option={pieOption('Utilisateurs', slices, 'integer')}
                table={{ columns: ['Type', 'Utilisateurs'], rows: slices.map((slice) => [slice.name, formatValue(slice.value, 'integer')]) }}
              />
            );
          }}
        </Loaded>
        <Loaded resource={advanced} what="indicateurs avancés">
          {(a) => {
            const rates: Array<readonly [string, number]> = [
              ['Conversion', a.conversion_rate],
              ['Rétention', a.retention_rate],
              ['Churn', a.churn_rate],
              ...(overview.data ? [['Satisfaction', overview.data.satisfaction_rate] as const] : []),
            ];
            return (
              <Chart
                name="platform-rates"
                title="Taux de la plateforme"
                summary={rates.map(([name, value]) => `${name} ${formatValue(value, 'percent')}`).join(', ')}
                option={radarOption(rates.map(([name]) => name), [{ name: 'Plateforme', values: rates.map(([, value]) => value) }])}
                table={{ columns: ['Taux', 'Valeur'], rows: rates.map(([name, value]) => [name, formatValue(value, 'percent')]) }}
              >
                <p className="chart-note">
                  Valeur vie client (LTV) : <span data-metric="advanced.ltv" data-value={a.ltv} data-kind="xof">{formatValue(a.ltv, 'xof')}</span>
                </p>
              </Chart>
            );
          }}
        </Loaded>
      </div>
    </>
  );
}
