// The alerts not yet resolved (open or acknowledged), kept current: the REST list first, then the
// socket room `alerts` (whose payload is exactly that list) and each `alert` event; polled every
// 30 s while the socket is down. Shared by the header's badge and the alerts page.
import { useCallback, useEffect, useState } from 'react';
import type { Alert, AlertStatus } from '../../../../libs/metrics/src/alerts.js';
import { AccessError, STATISTICS_API, apiGet } from '../api/client.js';
import { POLL_SECONDS, useLiveState, useSession } from '../live/use-live.js';
import { errorMessage } from '../format/error-message.js';

export const ALERTS_API = `${STATISTICS_API}/alerts`;
export const ALERT_RULES_API = `${STATISTICS_API}/alert-rules`;

interface AlertPage {
  count: number;
  results: Alert[];
}

/** The room's payload (docs/realtime.md). */
interface AlertsRoomPayload {
  open: Alert[];
  count: number;
}

export interface UnresolvedAlerts {
  alerts: Alert[] | null;
  error: string | null;
  /** Puts an alert the API answered (acknowledge, resolve) in place without waiting for the room. */
  replace(alert: Alert): void;
}

function newestFirst(alerts: Alert[]): Alert[] {
  return [...alerts].sort((a, b) => Date.parse(b.first_seen) - Date.parse(a.first_seen));
}

export function useUnresolvedAlerts(): UnresolvedAlerts {
  const session = useSession();
  const liveState = useLiveState();
  const [alerts, setAlerts] = useState<Alert[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    const page = (status: AlertStatus) => apiGet<AlertPage>(`${ALERTS_API}/?status=${status}&page_size=500`, session.token, controller.signal);
    const load = (): void => {
      Promise.all([page('open'), page('acknowledged')]).then(
        ([open, acknowledged]) => {
          setAlerts(newestFirst([...open.results, ...acknowledged.results]));
          setError(null);
        },
        (failure: unknown) => {
          if (controller.signal.aborted) return;
          if (failure instanceof AccessError) return session.signOut(failure.message);
          setError(errorMessage(failure));
        },
      );
    };
    load();
    const leave = session.hub.subscribe('alerts', (update) => {
      const payload = update.data as AlertsRoomPayload;
      setAlerts(newestFirst(payload.open));
      setError(null);
    });
    const stopEvents = session.hub.onAlert((alert) => {
      setAlerts((previous) => {
        const others = (previous ?? []).filter((known) => known.id !== alert.id);
        return newestFirst(alert.status === 'resolved' ? others : [...others, alert]);
      });
    });
    const poll = liveState === 'live' ? undefined : setInterval(load, POLL_SECONDS * 1000);
    return () => {
      controller.abort();
      clearInterval(poll);
      leave();
      stopEvents();
    };
  }, [session, liveState === 'live']);

  const replace = useCallback((alert: Alert) => {
    setAlerts((previous) => {
      const others = (previous ?? []).filter((known) => known.id !== alert.id);
      return newestFirst(alert.status === 'resolved' ? others : [...others, alert]);
    });
  }, []);

  return { alerts, error, replace };
}
