// The alerts page (/tableau/alertes): the alerts not yet resolved, newest first, with their
// severity, what was measured against what was expected, and the buttons "Prendre en compte"
// (acknowledge) and "Résoudre"; below, the alert rules (alert-rules-panel.tsx).
import { useState } from 'react';
import type { Alert } from '../../../../libs/metrics/src/alerts.js';
import { AccessError, apiCall } from '../api/client.js';
import { formatInstant, formatValue, type ValueKind } from '../format/fr.js';
import { useSession } from '../live/use-live.js';
import '../pages/pages.css';
import { METRIC_LABELS, SEVERITY_LABELS, STATUS_LABELS, WINDOW_LABELS, label } from './alert-labels.js';
import { AlertRulesPanel } from './alert-rules-panel.js';
import { ALERTS_API, useUnresolvedAlerts } from './use-alerts.js';

const METRIC_KINDS: Record<string, ValueKind> = { requests: 'integer', revenue: 'xof', failure_rate: 'percent', failed_logins: 'integer' };

export function AlertsPage() {
  const { alerts, error, replace } = useUnresolvedAlerts();
  return (
    <div className="page">
      <h2>Alertes</h2>
      <section aria-labelledby="open-alerts-title" className="block">
        <h3 id="open-alerts-title">Alertes en cours {alerts ? `(${alerts.length})` : ''}</h3>
        {error && (
          <p className="error" role="alert">
            Alertes : {error}
          </p>
        )}
        {alerts === null && !error && <p className="loading">Chargement des alertes…</p>}
        {alerts !== null && alerts.length === 0 && <p>Aucune alerte en cours.</p>}
        {alerts !== null && alerts.length > 0 && (
          <ul className="alert-list" aria-label="Alertes en cours">
            {alerts.map((alert) => (
              <AlertItem key={alert.id} alert={alert} onChanged={replace} />
            ))}
          </ul>
        )}
      </section>
      <AlertRulesPanel />
    </div>
  );
}

function AlertItem({ alert, onChanged }: { alert: Alert; onChanged: (alert: Alert) => void }) {
  const session = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const kind = METRIC_KINDS[alert.metric] ?? 'decimal';

  const act = (action: 'acknowledge' | 'resolve'): void => {
    setBusy(true);
    setError(null);
    apiCall<Alert>('POST', `${ALERTS_API}/${encodeURIComponent(alert.id)}/${action}/`, session.token).then(
      (changed) => {
        setBusy(false);
        onChanged(changed);
      },
      (failure: unknown) => {
        setBusy(false);
        if (failure instanceof AccessError) return session.signOut(failure.message);
        setError(failure instanceof Error ? failure.message : String(failure));
      },
    );
  };

  const scope = [alert.scope.city && `ville ${alert.scope.city}`, alert.scope.specialty && `spécialité ${alert.scope.specialty}`].filter(Boolean).join(', ');
  const expected =
    alert.kind === 'anomaly' && alert.expected_low !== null && alert.expected_high !== null
      ? `attendu ${formatValue(alert.expected_low, kind)} – ${formatValue(alert.expected_high, kind)} (médiane ${formatValue(alert.expected, kind)})`
      : alert.threshold !== null
        ? `seuil ${formatValue(alert.threshold, kind)}`
        : '';
  return (
    <li className={`alert-item severity-${alert.severity}`} data-alert-id={alert.id} data-status={alert.status}>
      <div className="alert-head">
        <span className={`severity severity-${alert.severity}`}>{label(SEVERITY_LABELS, alert.severity)}</span>
        <span className="alert-status">{label(STATUS_LABELS, alert.status)}</span>
        <strong>
          {label(METRIC_LABELS, alert.metric)} sur {label(WINDOW_LABELS, alert.window)}
          {scope ? ` — ${scope}` : ''}
        </strong>
      </div>
      <p className="alert-figures">
        Valeur <strong>{formatValue(alert.value, kind)}</strong>
        {expected ? `, ${expected}` : ''}. Depuis le {formatInstant(alert.first_seen)}, vue le {formatInstant(alert.last_seen)}.
        {alert.acknowledged_at && ` Prise en compte le ${formatInstant(alert.acknowledged_at)}${alert.acknowledged_by !== null ? ` par l'utilisateur n° ${alert.acknowledged_by}` : ''}.`}
      </p>
      <p className="alert-message" lang="en">
        {alert.message}
      </p>
      <div className="actions">
        {alert.status === 'open' && (
          <button type="button" disabled={busy} onClick={() => act('acknowledge')}>
            Prendre en compte
          </button>
        )}
        <button type="button" className="secondary" disabled={busy} onClick={() => act('resolve')}>
          Résoudre
        </button>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}
