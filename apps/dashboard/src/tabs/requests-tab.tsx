// Demandes: the requests section (counts by state, success rate, response and completion times),
// every stored status (by_status, unknown values as they are) and the specialties' performance.
import { Chart } from '../charts/chart.js';
import { cartesianOption } from '../charts/options.js';
import { DataTable } from '../components/data-table.js';
import { KpiGrid } from '../components/kpi-grid.js';
import { formatValue } from '../format/fr.js';
import { specialtyLabel, statusLabel } from '../../../../libs/metrics/src/labels.js';
import { useSection } from '../live/view-context.js';
import { Loaded, entriesOf } from './common.js';

export function RequestsTab() {
  const requests = useSection('requests');
  const specialties = useSection('specialties');
  return (
    <>
      <h2>Demandes</h2>
      <Loaded resource={requests} what="demandes">
        {(r) => (
          <>
            <KpiGrid
              label="Demandes"
              figures={[
                { metric: 'requests.total', label: 'Total', value: r.total, kind: 'integer' },
                { metric: 'requests.pending', label: 'En attente', value: r.pending, kind: 'integer' },
                { metric: 'requests.in_progress', label: 'En cours', value: r.in_progress, kind: 'integer' },
                { metric: 'requests.completed', label: 'Terminées', value: r.completed, kind: 'integer' },
                { metric: 'requests.cancelled', label: 'Annulées', value: r.cancelled, kind: 'integer' },
                { metric: 'requests.urgent', label: 'Urgentes', value: r.urgent, kind: 'integer' },
                { metric: 'requests.success_rate', label: 'Taux de succès', value: r.success_rate, kind: 'percent' },
                { metric: 'requests.avg_response_time_hours', label: 'Temps de réponse moyen', value: r.avg_response_time_hours, kind: 'hours' },
                { metric: 'requests.avg_completion_time_hours', label: 'Temps de completion moyen', value: r.avg_completion_time_hours, kind: 'hours' },
              ]}
            />
            <div className="charts">
              <Chart
                name="requests-by-status"
                title="Demandes par statut"
                summary={entriesOf(r.by_status).map(([status, count]) => `${statusLabel(status)} ${formatValue(count, 'integer')}`).join(', ')}
                option={cartesianOption('bar', entriesOf(r.by_status).map(([status]) => statusLabel(status)), [
                  { name: 'Demandes', values: entriesOf(r.by_status).map(([, count]) => count), kind: 'integer' },
                ])}
                table={{ columns: ['Statut', 'Demandes'], rows: entriesOf(r.by_status).map(([status, count]) => [statusLabel(status), formatValue(count, 'integer')]) }}
              />
            </div>
          </>
        )}
      </Loaded>
      <Loaded resource={specialties} what="spécialités">
        {(s) => (
          <>
            <div className="charts">
              <Chart
                name="requests-by-specialty"
                title="Demandes par spécialité"
                summary={s.performance.map((entry) => `${specialtyLabel(entry.specialty_needed)} ${formatValue(entry.count, 'integer')}`).join(', ')}
                option={cartesianOption('bar', s.performance.map((entry) => specialtyLabel(entry.specialty_needed)), [
                  { name: 'Demandes', values: s.performance.map((entry) => entry.count), kind: 'integer' },
                  { name: 'Terminées', values: s.performance.map((entry) => entry.completed), kind: 'integer' },
                ])}
              />
            </div>
            <DataTable
              name="specialty-performance"
              caption="Performance par spécialité"
              rows={s.performance}
              rowKey={(entry) => entry.specialty_needed}
              columns={[
                { label: 'Spécialité', cell: (entry) => specialtyLabel(entry.specialty_needed) },
                // The stored value: "Plomberie" typed by a user and the code plumber read alike otherwise.
                { label: 'Valeur enregistrée', cell: (entry) => entry.specialty_needed },
                { label: 'Demandes', cell: (entry) => formatValue(entry.count, 'integer'), numeric: true },
                { label: 'Terminées', cell: (entry) => formatValue(entry.completed, 'integer'), numeric: true },
                { label: 'Taux de succès', cell: (entry) => formatValue(entry.success_rate, 'percent'), numeric: true },
                { label: 'Prix moyen', cell: (entry) => formatValue(entry.avg_price, 'xof'), numeric: true },
                { label: 'Réponse moyenne', cell: (entry) => formatValue(entry.avg_response_time_hours, 'hours'), numeric: true },
                { label: 'Completion moyenne', cell: (entry) => formatValue(entry.avg_completion_time_hours, 'hours'), numeric: true },
              ]}
            />
          </>
        )}
      </Loaded>
    </>
  );
}
