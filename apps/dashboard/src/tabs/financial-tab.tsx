// Financier: revenue, payouts, fees, mean request value, payment success rate, and how clients
// pay (payment_methods: amounts in a pie, counts in bars; unknown methods as stored).
import { Chart } from '../charts/chart.js';
import { cartesianOption, pieOption } from '../charts/options.js';
import { KpiGrid } from '../components/kpi-grid.js';
import { formatValue } from '../format/fr.js';
import { paymentMethodLabel } from '../../../../libs/metrics/src/labels.js';
import { useSection } from '../live/view-context.js';
import { Loaded } from './common.js';

export function FinancialTab() {
  const financial = useSection('financial');
  return (
    <>
      <h2>Financier</h2>
      <Loaded resource={financial} what="financier">
        {(f) => (
          <>
            <KpiGrid
              label="Chiffres financiers"
              figures={[
                { metric: 'financial.total_revenue', label: 'Revenus totaux', value: f.total_revenue, kind: 'xof' },
                { metric: 'financial.total_payouts', label: 'Paiements techniciens', value: f.total_payouts, kind: 'xof' },
                { metric: 'financial.platform_fees', label: 'Frais de plateforme', value: f.platform_fees, kind: 'xof' },
                { metric: 'financial.avg_request_value', label: 'Valeur moyenne demande', value: f.avg_request_value, kind: 'xof' },
                { metric: 'financial.payment_success_rate', label: 'Taux de succès paiement', value: f.payment_success_rate, kind: 'percent' },
              ]}
            />
            <div className="charts">
              <Chart
                name="payment-methods-amount"
                title="Montants par méthode de paiement"
                summary={f.payment_methods.map((method) => `${paymentMethodLabel(method.method)} ${formatValue(method.total, 'xof')}`).join(', ')}
                option={pieOption('Montant', f.payment_methods.map((method) => ({ name: paymentMethodLabel(method.method), value: method.total })), 'xof')}
                table={{
                  columns: ['Méthode', 'Paiements', 'Montant'],
                  rows: f.payment_methods.map((method) => [paymentMethodLabel(method.method), formatValue(method.count, 'integer'), formatValue(method.total, 'xof')]),
                }}
              />
              <Chart
                name="payment-methods-count"
                title="Paiements par méthode"
                summary={f.payment_methods.map((method) => `${paymentMethodLabel(method.method)} ${formatValue(method.count, 'integer')}`).join(', ')}
                option={cartesianOption('bar', f.payment_methods.map((method) => paymentMethodLabel(method.method)), [
                  { name: 'Paiements', values: f.payment_methods.map((method) => method.count), kind: 'integer' },
                  { name: 'Montant', values: f.payment_methods.map((method) => method.total), kind: 'xof', rightAxis: true },
                ])}
              />
            </div>
          </>
        )}
      </Loaded>
    </>
  );
}
