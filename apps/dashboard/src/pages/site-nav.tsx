// The header's links to the pages beside the tabs (alerts, exports, custom dashboards); the alerts
// link carries the number of alerts not yet resolved, coloured by the worst severity among them.
import type { AlertSeverity } from '../../../../libs/metrics/src/alerts.js';
import { useUnresolvedAlerts } from '../alerts/use-alerts.js';
import { navigate } from '../routing/url-state.js';
import { EXTRA_PAGES, pageFor } from './index.js';
import './pages.css';

const SEVERITY_ORDER: AlertSeverity[] = ['critical', 'warning', 'info'];

export function SiteNav({ path }: { path: string }) {
  const { alerts } = useUnresolvedAlerts();
  const current = pageFor(path);
  const worst = SEVERITY_ORDER.find((severity) => alerts?.some((alert) => alert.severity === severity)) ?? null;
  return (
    <nav className="site-nav" aria-label="Autres pages">
      {EXTRA_PAGES.map((page) => (
        <a
          key={page.path}
          href={page.path}
          aria-current={current?.path === page.path ? 'page' : undefined}
          onClick={(event) => {
            if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
            event.preventDefault();
            navigate(page.path);
          }}
        >
          {page.label}
          {page.path.endsWith('/alertes') && alerts !== null && (
            <span className={`badge${worst ? ` severity-${worst}` : ''}`} data-testid="alert-badge" data-count={alerts.length}>
              <span aria-hidden="true">{alerts.length}</span>
              <span className="visually-hidden">{`: ${alerts.length} alerte${alerts.length > 1 ? 's' : ''} en cours`}</span>
            </span>
          )}
        </a>
      ))}
    </nav>
  );
}
