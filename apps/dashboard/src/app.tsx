// The shell: the login form until a token is accepted, then the dashboard — header (freshness,
// connection, sign-out), filters, the guide's 8 tabs (ARIA tabs, arrow keys), the open tab's panel.
import { Suspense, useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { LoginPage } from './auth/login-page.js';
import { forgetToken, storeToken, storedToken } from './auth/session.js';
import { FiltersBar } from './components/filters-bar.js';
import { formatInstant } from './format/fr.js';
import { LiveHub, type LiveState } from './live/live-hub.js';
import { SessionContext, useLiveState, useSession, type Session } from './live/use-live.js';
import { ViewContext, type ViewContextValue } from './live/view-context.js';
import { ROUTE_PREFIX, TABS, hrefOf, navigate, useLocation, type Filters, type TabSlug } from './routing/url-state.js';
import { TAB_PANELS, prefetchTabs } from './tabs/index.js';
import { AlertToasts } from './alerts/alert-toasts.js';
import { pageFor } from './pages/index.js';
import { SiteNav } from './pages/site-nav.js';
import { TabExportBar } from './exports/export-bar.js';

export function App() {
  const [token, setToken] = useState<string | null>(storedToken);
  const [reason, setReason] = useState<string | null>(null);

  const signIn = useCallback((accepted: string) => {
    storeToken(accepted);
    setReason(null);
    setToken(accepted);
  }, []);
  const signOut = useCallback((why: string | null) => {
    forgetToken();
    setReason(why);
    setToken(null);
  }, []);

  if (token === null) return <LoginPage reason={reason} onSignedIn={signIn} />;
  return <SignedIn key={token} token={token} signOut={signOut} />;
}

function SignedIn({ token, signOut }: { token: string; signOut: (reason: string | null) => void }) {
  // Opened by an effect (and closed by its cleanup), not during render: a render may be repeated
  // or thrown away, a connection must not be.
  const [hub, setHub] = useState<LiveHub | null>(null);
  useEffect(() => {
    const opened = new LiveHub(token, (why) => signOut(`Session terminée : ${why}`));
    setHub(opened);
    return () => opened.close();
  }, [token, signOut]);
  const session = useMemo<Session | null>(() => (hub ? { token, hub, signOut } : null), [token, hub, signOut]);
  if (!session) return null;
  return (
    <SessionContext.Provider value={session}>
      <Dashboard />
    </SessionContext.Provider>
  );
}

/** When the other tabs' code is fetched after the page opens (ms). */
const PREFETCH_DELAY_MS = 3000;

const LIVE_LABELS: Record<LiveState, string> = {
  connecting: 'Connexion au direct…',
  live: 'En direct',
  offline: 'Hors ligne : actualisation toutes les 30 s',
};

function Dashboard() {
  const location = useLocation();
  const { signOut } = useSession();
  const liveState = useLiveState();
  const [freshness, setFreshness] = useState<Record<string, string | null>>({});

  // "/" and "/tableau" open the first tab, keeping the query (a shared link's filters).
  useEffect(() => {
    const path = window.location.pathname.replace(/\/+$/, '');
    if (path === '' || path === ROUTE_PREFIX) navigate(hrefOf(TABS[0].slug, location.filters), { replace: true });
  }, [location.filters]);

  // The other tabs' code fetched once the open one had time to show its numbers (fetching and
  // parsing it sooner slows them down), while the page is idle: a click then waits for nothing.
  useEffect(() => {
    let idle: number | undefined;
    const timer = window.setTimeout(() => {
      idle = window.requestIdleCallback(prefetchTabs, { timeout: 5_000 });
    }, PREFETCH_DELAY_MS);
    return () => {
      window.clearTimeout(timer);
      if (idle !== undefined) window.cancelIdleCallback(idle);
    };
  }, []);

  const reportDataAsOf = useCallback((source: string, dataAsOf: string | null | undefined) => {
    if (dataAsOf === undefined) return;
    setFreshness((previous) => (previous[source] === dataAsOf ? previous : { ...previous, [source]: dataAsOf }));
  }, []);
  const view = useMemo<ViewContextValue>(() => ({ filters: location.filters, reportDataAsOf }), [location.filters, reportDataAsOf]);
  const dataAsOf = newest(Object.values(freshness));

  const tab = location.tab;
  const Panel = tab ? TAB_PANELS[tab] : null;
  // Alerts, exports, custom dashboards: pages of their own, without the tabs' filters.
  const page = pageFor(location.path);

  return (
    <ViewContext.Provider value={view}>
      <header className="top">
        <h1>Statistiques DepanneTeliman</h1>
        <p className="freshness" data-testid="data-as-of" data-value={dataAsOf ?? ''}>
          {dataAsOf ? `Données au ${formatInstant(dataAsOf)}` : 'Données : aucune modification reçue pour l\'instant'}
        </p>
        <p className={`live live-${liveState}`} role="status" data-testid="live-state" data-state={liveState}>
          <span className="live-dot" aria-hidden="true" />
          {LIVE_LABELS[liveState]}
        </p>
        <SiteNav path={location.path} />
        <button type="button" className="secondary" onClick={() => signOut(null)}>
          Se déconnecter
        </button>
      </header>
      {!page && <FiltersBar tab={tab ?? TABS[0].slug} filters={location.filters} />}
      <TabList current={tab} filters={location.filters} />
      {page ? (
        <main id="panel" tabIndex={-1} aria-label={page.label}>
          <Suspense key={page.path} fallback={<Loading />}>
            <page.component path={location.path} />
          </Suspense>
        </main>
      ) : (
        <main id="panel" role="tabpanel" aria-labelledby={tab ? `tab-${tab}` : undefined} tabIndex={-1}>
          {tab && <TabExportBar tab={tab} label={TABS.find((entry) => entry.slug === tab)!.label} filters={location.filters} />}
          {Panel ? (
            // One boundary per tab: while the next tab's code arrives, "Chargement…" rather than the
            // previous tab's figures under the newly selected tab's name.
            <Suspense key={tab} fallback={<Loading />}>
              <Panel />
            </Suspense>
          ) : (
            <p role="alert">Cette page n'existe pas : choisissez un onglet.</p>
          )}
        </main>
      )}
      <AlertToasts />
    </ViewContext.Provider>
  );
}

function TabList({ current, filters }: { current: TabSlug | null; filters: Filters }) {
  const refs = useRef<Array<HTMLAnchorElement | null>>([]);
  // ARIA tabs: arrows move between tabs, Home/End to the ends; the tab is opened as it gets focus.
  const onKeyDown = (event: KeyboardEvent<HTMLAnchorElement>, index: number): void => {
    const moves: Record<string, number> = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: TABS.length - 1 };
    const target = moves[event.key];
    if (target === undefined) return;
    event.preventDefault();
    const next = (target + TABS.length) % TABS.length;
    refs.current[next]?.focus();
    navigate(hrefOf(TABS[next]!.slug, filters));
  };
  return (
    <nav className="tabs" aria-label="Onglets des statistiques">
      <div role="tablist" aria-label="Onglets des statistiques">
        {TABS.map((entry, index) => {
          const selected = entry.slug === current;
          return (
            <a
              key={entry.slug}
              id={`tab-${entry.slug}`}
              ref={(element) => {
                refs.current[index] = element;
              }}
              role="tab"
              aria-selected={selected}
              aria-controls="panel"
              tabIndex={selected || (current === null && index === 0) ? 0 : -1}
              href={hrefOf(entry.slug, filters)}
              onClick={(event) => {
                if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
                event.preventDefault();
                navigate(hrefOf(entry.slug, filters));
              }}
              onKeyDown={(event) => onKeyDown(event, index)}
            >
              {entry.label}
            </a>
          );
        })}
      </div>
    </nav>
  );
}

/** While a tab's or a page's code is fetched (the first time it is opened). */
function Loading() {
  return (
    <p className="loading" role="status">
      Chargement…
    </p>
  );
}

function newest(instants: Array<string | null>): string | null {
  let best: string | null = null;
  for (const instant of instants) if (instant && (best === null || Date.parse(instant) > Date.parse(best))) best = instant;
  return best;
}
