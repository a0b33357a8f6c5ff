// "Mes tableaux" (/tableau/mes-tableaux[/<id>]): the caller's dashboards (the API gives a first
// one, the guide's overview), created, renamed, deleted and exported here; the open one's widgets
// on the 12-column grid (dashboard-grid.tsx).
import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { AccessError, apiCall, apiGet } from '../api/client.js';
import { useSession } from '../live/use-live.js';
import { ROUTE_PREFIX, navigate } from '../routing/url-state.js';
import '../pages/pages.css';
import { DashboardView } from './dashboard-view.js';
import { DASHBOARDS_API, type Dashboard, type WidgetSources } from './dashboards-api.js';

export const CUSTOM_ROUTE = `${ROUTE_PREFIX}/mes-tableaux`;

export function CustomDashboardsPage({ path }: { path: string }) {
  const session = useSession();
  const ids = useId();
  const [dashboards, setDashboards] = useState<Dashboard[] | null>(null);
  const [sources, setSources] = useState<WidgetSources | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [newName, setNewName] = useState('');
  const [createError, setCreateError] = useState<string | null>(null);
  const selectedId = path.startsWith(`${CUSTOM_ROUTE}/`) ? decodeURIComponent(path.slice(CUSTOM_ROUTE.length + 1)) : null;

  const failed = useCallback(
    (failure: unknown): string | null => {
      if (failure instanceof AccessError) {
        session.signOut(failure.message);
        return null;
      }
      return failure instanceof Error ? failure.message : String(failure);
    },
    [session],
  );

  const load = useCallback(() => {
    apiGet<{ results: Dashboard[] }>(`${DASHBOARDS_API}/`, session.token).then(
      (answer) => {
        setDashboards(answer.results);
        setError(null);
      },
      (failure: unknown) => setError(failed(failure)),
    );
  }, [session, failed]);
  useEffect(load, [load]);
  useEffect(() => {
    apiGet<WidgetSources>(`${DASHBOARDS_API}/sources/`, session.token).then(setSources, (failure: unknown) => setError(failed(failure)));
  }, [session, failed]);

  // No id in the address: open the owner's default dashboard (else the first).
  useEffect(() => {
    if (selectedId !== null || !dashboards || dashboards.length === 0) return;
    const first = dashboards.find((dashboard) => dashboard.is_default) ?? dashboards[0]!;
    navigate(`${CUSTOM_ROUTE}/${first.id}`, { replace: true });
  }, [selectedId, dashboards]);

  const create = (event: FormEvent): void => {
    event.preventDefault();
    setCreateError(null);
    apiCall<Dashboard>('POST', `${DASHBOARDS_API}/`, session.token, { name: newName }).then(
      (created) => {
        setCreating(false);
        setNewName('');
        setDashboards((previous) => [...(previous ?? []), created]);
        navigate(`${CUSTOM_ROUTE}/${created.id}`);
      },
      (failure: unknown) => setCreateError(failed(failure)),
    );
  };

  const selected = dashboards?.find((dashboard) => dashboard.id === selectedId) ?? null;
  const replaceOne = (changed: Dashboard): void => setDashboards((previous) => (previous ?? []).map((known) => (known.id === changed.id ? changed : known)));

  return (
    <div className="page">
      <div className="section-head">
        <h2>Mes tableaux de bord</h2>
        <button type="button" onClick={() => setCreating(true)} disabled={creating}>
          Nouveau tableau
        </button>
      </div>
      {creating && (
        <form className="panel-form" onSubmit={create} aria-label="Nouveau tableau de bord">
          <div className={`field${createError ? ' field-invalid' : ''}`}>
            <label htmlFor={`${ids}-name`}>Nom du tableau</label>
            <input id={`${ids}-name`} type="text" value={newName} onChange={(event) => setNewName(event.target.value)} aria-invalid={createError !== null} aria-describedby={createError ? `${ids}-name-error` : undefined} />
            {createError && (
              <span className="field-error" id={`${ids}-name-error`} role="alert">
                Refusé par l'API : {createError}
              </span>
            )}
          </div>
          <div className="actions">
            <button type="submit">Créer</button>
            <button type="button" className="secondary" onClick={() => setCreating(false)}>
              Annuler
            </button>
          </div>
        </form>
      )}
      {error && (
        <p className="error" role="alert">
          Tableaux : {error}
        </p>
      )}
      {dashboards === null && !error && <p className="loading">Chargement des tableaux…</p>}
      {dashboards !== null && (
        <nav aria-label="Mes tableaux">
          <ul className="dashboard-list">
            {dashboards.map((dashboard) => (
              <li key={dashboard.id}>
                <a
                  href={`${CUSTOM_ROUTE}/${dashboard.id}`}
                  aria-current={dashboard.id === selectedId ? 'page' : undefined}
                  onClick={(event) => {
                    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
                    event.preventDefault();
                    navigate(`${CUSTOM_ROUTE}/${dashboard.id}`);
                  }}
                >
                  {dashboard.name}
                  {dashboard.is_default ? ' (par défaut)' : ''}
                </a>
              </li>
            ))}
          </ul>
          {dashboards.length === 0 && <p>Aucun tableau : créez-en un.</p>}
        </nav>
      )}
      {selectedId !== null && dashboards !== null && !selected && <p role="alert">Ce tableau n'existe pas (ou plus).</p>}
      {selected && sources && (
        <DashboardView
          key={selected.id}
          dashboard={selected}
          sources={sources}
          onChanged={replaceOne}
          onDeleted={() => {
            setDashboards((previous) => (previous ?? []).filter((known) => known.id !== selected.id));
            navigate(CUSTOM_ROUTE, { replace: true });
          }}
        />
      )}
    </div>
  );
}
