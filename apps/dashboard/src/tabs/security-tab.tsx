// Sécurité: logins (all, failed, success rate), security alerts, high-risk events (risk ≥ 80), the
// riskiest addresses (bars) and cities (pie).
import { Chart } from '../charts/chart.js';
import { cartesianOption, pieOption } from '../charts/options.js';
import { DataTable } from '../components/data-table.js';
import { KpiGrid } from '../components/kpi-grid.js';
import { formatValue } from '../format/fr.js';
import { cityLabel } from '../../../../libs/metrics/src/labels.js';
import { useSection } from '../live/view-context.js';
import { Loaded } from './common.js';

export function SecurityTab() {
  const security = useSection('security');
  return (
    <>
      <h2>Sécurité</h2>
      <Loaded resource={security} what="sécurité">
        {(s) => (
          <>
            <KpiGrid
              label="Sécurité"
              figures={[
                { metric: 'security.total_logins', label: 'Connexions totales', value: s.total_logins, kind: 'integer' },
                { metric: 'security.failed_logins', label: 'Connexions échouées', value: s.failed_logins, kind: 'integer' },
                { metric: 'security.security_alerts', label: 'Alertes de sécurité', value: s.security_alerts, kind: 'integer' },
                { metric: 'security.login_success_rate', label: 'Taux de succès connexion', value: s.login_success_rate, kind: 'percent' },
                { metric: 'security.high_risk_events', label: 'Événements à haut risque', value: s.high_risk_events, kind: 'integer', hint: 'score de risque ≥ 80' },
              ]}
            />
            <div className="charts">
              <Chart
                name="risky-ips"
                title="Adresses IP les plus à risque"
                summary={s.top_risky_ips.map((ip) => `${ip.ip_address} ${formatValue(ip.events, 'integer')} événements`).join(', ')}
                option={cartesianOption('bar', s.top_risky_ips.map((ip) => ip.ip_address), [{ name: 'Événements', values: s.top_risky_ips.map((ip) => ip.events), kind: 'integer' }], {
                  horizontal: true,
                })}
              />
              <Chart
                name="risky-cities"
                title="Villes des événements à haut risque"
                summary={s.top_risky_cities.map((city) => `${cityLabel(city.city)} ${formatValue(city.events, 'integer')}`).join(', ')}
                option={pieOption('Événements', s.top_risky_cities.map((city) => ({ name: cityLabel(city.city), value: city.events })), 'integer')}
                table={{ columns: ['Ville', 'Événements'], rows: s.top_risky_cities.map((city) => [cityLabel(city.city), formatValue(city.events, 'integer')]) }}
              />
            </div>
            <DataTable
              name="risky-ips"
              caption="Adresses IP à haut risque"
              rows={s.top_risky_ips}
              rowKey={(ip) => ip.ip_address}
              columns={[
                { label: 'Adresse IP', cell: (ip) => ip.ip_address },
                { label: 'Événements', cell: (ip) => formatValue(ip.events, 'integer'), numeric: true },
                { label: 'Score de risque max.', cell: (ip) => formatValue(ip.max_risk_score, 'integer'), numeric: true },
              ]}
            />
          </>
        )}
      </Loaded>
    </>
  );
}
