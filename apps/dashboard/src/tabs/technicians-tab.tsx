// Techniciens: how many, verified, available, their mean rating, requests per technician, and the
// top technicians (jobs and earnings in the window).
import { Chart } from '../charts/chart.js';
import { cartesianOption } from '../charts/options.js';
import { DataTable } from '../components/data-table.js';
import { KpiGrid } from '../components/kpi-grid.js';
import { formatValue } from '../format/fr.js';
import { specialtyLabel } from '../../../../libs/metrics/src/labels.js';
import { useSection } from '../live/view-context.js';
import { Loaded } from './common.js';

export function TechniciansTab() {
  const technicians = useSection('technicians');
  return (
    <>
      <h2>Techniciens</h2>
      <Loaded resource={technicians} what="techniciens">
        {(t) => (
          <>
            <KpiGrid
              label="Techniciens"
              figures={[
                { metric: 'technicians.total', label: 'Total techniciens', value: t.total, kind: 'integer' },
                { metric: 'technicians.verified', label: 'Techniciens vérifiés', value: t.verified, kind: 'integer' },
                { metric: 'technicians.available', label: 'Techniciens disponibles', value: t.available, kind: 'integer' },
                { metric: 'technicians.avg_rating', label: 'Note moyenne', value: t.avg_rating, kind: 'rating' },
                { metric: 'technicians.requests_per_technician', label: 'Demandes par technicien', value: t.requests_per_technician, kind: 'decimal' },
              ]}
            />
            <div className="charts">
              <Chart
                name="top-technicians"
                title="Top techniciens : interventions et gains"
                summary={t.top_technicians.map((tech) => `${tech.name} ${formatValue(tech.total_jobs, 'integer')} interventions`).join(', ')}
                option={cartesianOption(
                  'bar',
                  t.top_technicians.map((tech) => tech.name),
                  [
                    { name: 'Interventions', values: t.top_technicians.map((tech) => tech.total_jobs), kind: 'integer' },
                    { name: 'Gains', values: t.top_technicians.map((tech) => tech.total_earnings), kind: 'xof', rightAxis: true },
                  ],
                )}
                height={360}
              />
            </div>
            <DataTable
              name="top-technicians"
              caption="Top techniciens"
              rows={t.top_technicians}
              rowKey={(tech) => String(tech.id)}
              columns={[
                { label: 'Technicien', cell: (tech) => tech.name },
                { label: 'Spécialité', cell: (tech) => specialtyLabel(tech.specialty) },
                { label: 'Interventions', cell: (tech) => formatValue(tech.total_jobs, 'integer'), numeric: true },
                { label: 'Note moyenne', cell: (tech) => formatValue(tech.avg_rating, 'rating'), numeric: true },
                { label: 'Gains', cell: (tech) => formatValue(tech.total_earnings, 'xof'), numeric: true },
              ]}
            />
          </>
        )}
      </Loaded>
    </>
  );
}
