// A toast for each alert raised while the page is open (the socket's `alert` event with status
// open), announced to screen readers (role=status); it stays 12 s, or until closed, and links to
// the alerts page.
import { useEffect, useState } from 'react';
import type { Alert } from '../../../../libs/metrics/src/alerts.js';
import { useSession } from '../live/use-live.js';
import { navigate } from '../routing/url-state.js';
import { SEVERITY_LABELS, label } from './alert-labels.js';

const TOAST_SECONDS = 12;
const MAX_TOASTS = 4;

export function AlertToasts() {
  const { hub } = useSession();
  const [toasts, setToasts] = useState<Alert[]>([]);

  useEffect(
    () =>
      hub.onAlert((alert) => {
        if (alert.status !== 'open') return;
        setToasts((previous) => [alert, ...previous.filter((shown) => shown.id !== alert.id)].slice(0, MAX_TOASTS));
        setTimeout(() => setToasts((previous) => previous.filter((shown) => shown.id !== alert.id)), TOAST_SECONDS * 1000);
      }),
    [hub],
  );

  const close = (id: string): void => setToasts((previous) => previous.filter((shown) => shown.id !== id));
  return (
    <div className="toasts" role="status" aria-live="polite" aria-label="Nouvelles alertes">
      {toasts.map((alert) => (
        <div key={alert.id} className={`toast severity-${alert.severity}`} data-testid="alert-toast" data-alert-id={alert.id}>
          <p>
            <strong>Nouvelle alerte — {label(SEVERITY_LABELS, alert.severity)}</strong>
            <br />
            {alert.message}
          </p>
          <div className="toast-actions">
            <button
              type="button"
              className="secondary"
              onClick={() => {
                close(alert.id);
                navigate('/tableau/alertes');
              }}
            >
              Voir les alertes
            </button>
            <button type="button" className="secondary" aria-label="Fermer la notification" onClick={() => close(alert.id)}>
              ×
            </button>
          </div>
        </div>
      ))}
    </div>
  );
}
