// A row of key figures: a French label and the API's value in French format. Each figure carries
// the API key it shows (data-metric: a path in the answer), the raw value (data-value) and its
// format (data-kind), so a test can compare the page with the API figure by figure.
import { formatValue, type ValueKind } from '../format/fr.js';

export interface Kpi {
  /** "<section>.<key>" of the API answer. */
  metric: string;
  label: string;
  value: number | null;
  kind: ValueKind;
  /** A few words under the figure (its definition or window). */
  hint?: string;
}

export function KpiGrid({ label, figures }: { label: string; figures: Kpi[] }) {
  return (
    <dl className="kpi-grid" aria-label={label}>
      {figures.map((figure) => (
        <div className="kpi" key={figure.metric} data-metric={figure.metric} data-value={figure.value ?? ''} data-kind={figure.kind}>
          <dt>{figure.label}</dt>
          <dd>
            <span className="kpi-value">{formatValue(figure.value, figure.kind)}</span>
            {figure.hint && <span className="kpi-hint">{figure.hint}</span>}
          </dd>
        </div>
      ))}
    </dl>
  );
}
