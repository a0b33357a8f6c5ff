// One custom dashboard: its name (renamed here), deletion, exports (Excel, PDF, CSV through the
// API's dashboard export; JSON is the data endpoint's answer saved as a file), the widget editor,
// and the widgets on the 12-column grid: dragged by their title, resized by their corner, saved
// through PATCH at once. Values: the data endpoint, then the room dashboard:<id> (only the widgets
// whose value moved), and each widget asked again every refresh_seconds of its own.
import { useCallback, useEffect, useId, useMemo, useRef, useState, type FormEvent } from 'react';
import ReactGridLayout, { useContainerWidth, verticalCompactor, type Layout } from 'react-grid-layout';
import 'react-grid-layout/css/styles.css';
import type { DashboardData, DashboardWidget, WidgetData, WidgetPosition } from '../../../../libs/metrics/src/dashboards.js';
import { DASHBOARD_EXPORT_TYPES } from '../../../../libs/metrics/src/dashboards.js';
import { EXPORT_TYPES } from '../../../../libs/metrics/src/exports.js';
import { AccessError, apiCall, apiGet } from '../api/client.js';
import { ExportBar, type ExportStarter } from '../exports/export-bar.js';
import { formatInstant } from '../format/fr.js';
import { useSession } from '../live/use-live.js';
import { dashboardPath, ENDPOINT_LABELS, WIDGET_TYPE_LABELS, widgetInput, type Dashboard, type WidgetSources } from './dashboards-api.js';
import { WidgetEditor, type WidgetDraftInput } from './widget-editor.js';
import { WidgetValue } from './widget-view.js';

interface ShownValue {
  value: unknown;
  format: WidgetData['format'];
  at: string;
}

/** Due widgets asked together: timers that fire within this delay share one request. */
const BATCH_MS = 400;

function firstFreePlace(widgets: DashboardWidget[]): WidgetPosition {
  const bottom = widgets.reduce((most, widget) => Math.max(most, widget.position.y + widget.position.h), 0);
  return { x: 0, y: bottom, w: 4, h: 3 };
}

function fileNameOf(name: string): string {
  const slug = name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase();
  return `tableau_${slug || 'sans-nom'}_${new Date().toISOString().slice(0, 10)}.json`;
}

export function DashboardView({ dashboard, sources, onChanged, onDeleted }: { dashboard: Dashboard; sources: WidgetSources; onChanged: (dashboard: Dashboard) => void; onDeleted: () => void }) {
  const session = useSession();
  const ids = useId();
  const [values, setValues] = useState<Record<string, ShownValue>>({});
  const [dataAsOf, setDataAsOf] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saveState, setSaveState] = useState<{ state: 'idle' | 'saving' | 'saved' | 'failed'; message?: string }>({ state: 'idle' });
  const [editing, setEditing] = useState<DashboardWidget | 'new' | null>(null);
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(dashboard.name);
  const [renameError, setRenameError] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const { width, containerRef, mounted } = useContainerWidth();

  const explain = useCallback(
    (failure: unknown): string | null => {
      if (failure instanceof AccessError) {
        session.signOut(failure.message);
        return null;
      }
      return failure instanceof Error ? failure.message : String(failure);
    },
    [session],
  );

  /** The version of the dashboard this screen shows (a room push names a newer one when another screen changed it). */
  const updatedAt = useRef(dashboard.updated_at);
  useEffect(() => {
    if (Date.parse(dashboard.updated_at) > Date.parse(updatedAt.current)) updatedAt.current = dashboard.updated_at;
  }, [dashboard.updated_at]);

  // Values: the data endpoint for the due widgets (all at first), merged by id.
  const due = useRef(new Set<string>());
  const batch = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const fetchDue = useCallback(() => {
    batch.current = undefined;
    const wanted = new Set(due.current);
    due.current.clear();
    apiGet<DashboardData>(`${dashboardPath(dashboard.id)}data/`, session.token).then(
      (data) => {
        setValues((previous) => {
          const next = { ...previous };
          for (const widget of data.widgets) if (wanted.has(widget.id) || !(widget.id in previous)) next[widget.id] = { value: widget.value, format: widget.format, at: data.generated_at };
          return next;
        });
        setDataAsOf(data.data_as_of);
        setError(null);
      },
      (failure: unknown) => setError(explain(failure)),
    );
  }, [dashboard.id, session, explain]);
  const ask = useCallback(
    (widgetIds: string[]) => {
      for (const id of widgetIds) due.current.add(id);
      if (batch.current === undefined) batch.current = setTimeout(fetchDue, BATCH_MS);
    },
    [fetchDue],
  );

  const widgetsKey = dashboard.widgets.map((widget) => `${widget.id}:${widget.refresh_seconds}:${widget.source.endpoint}:${widget.source.key}:${JSON.stringify(widget.filters)}`).join('|');
  useEffect(() => {
    ask(dashboard.widgets.map((widget) => widget.id));
    const timers = dashboard.widgets.map((widget) => setInterval(() => ask([widget.id]), widget.refresh_seconds * 1000));
    return () => {
      for (const timer of timers) clearInterval(timer);
    };
    // widgetsKey stands for the widgets' sources and refreshes: a move alone does not refetch.
  }, [widgetsKey, ask]);
  useEffect(() => () => clearTimeout(batch.current), []);

  useEffect(
    () =>
      session.hub.subscribe(`dashboard:${dashboard.id}`, (update) => {
        const data = update.data as DashboardData & { deleted?: boolean };
        if (data.deleted) return onDeleted();
        // Changed from another screen (or tab): read the dashboard again, its widgets or places moved.
        if (data.dashboard_updated_at && Date.parse(data.dashboard_updated_at) > Date.parse(updatedAt.current)) {
          updatedAt.current = data.dashboard_updated_at;
          apiGet<Dashboard>(dashboardPath(dashboard.id), session.token).then(onChanged, (failure: unknown) => setError(explain(failure)));
        }
        setValues((previous) => {
          const next = data.partial ? { ...previous } : {};
          for (const widget of data.widgets) next[widget.id] = { value: widget.value, format: widget.format, at: data.generated_at };
          return next;
        });
        setDataAsOf(data.data_as_of);
      }),
    [session, dashboard.id, onDeleted, onChanged, explain],
  );

  const patch = useCallback(
    (body: Record<string, unknown>): Promise<Dashboard> =>
      apiCall<Dashboard>('PATCH', dashboardPath(dashboard.id), session.token, body).then((changed) => {
        onChanged(changed);
        return changed;
      }),
    [dashboard.id, session, onChanged],
  );

  const saveLayout = (layout: Layout): void => {
    const moved = dashboard.widgets.map((widget) => {
      const item = layout.find((entry) => entry.i === widget.id);
      return item ? { ...widget, position: { x: item.x, y: item.y, w: item.w, h: item.h } } : widget;
    });
    const changed = moved.some((widget, index) => JSON.stringify(widget.position) !== JSON.stringify(dashboard.widgets[index]!.position));
    if (!changed) return;
    setSaveState({ state: 'saving' });
    patch({ widgets: moved.map(widgetInput) }).then(
      () => setSaveState({ state: 'saved' }),
      (failure: unknown) => {
        const message = explain(failure);
        // The grid goes back to what the API holds.
        onChanged({ ...dashboard });
        setSaveState({ state: 'failed', message: message ?? '' });
      },
    );
  };

  const saveWidget = (input: WidgetDraftInput): Promise<void> => {
    const others = dashboard.widgets.map(widgetInput);
    const widgets = editing === 'new' || editing === null ? [...others, input] : others.map((widget) => (widget.id === input.id ? input : widget));
    return patch({ widgets }).then(() => setEditing(null));
  };

  const removeWidget = (widget: DashboardWidget): void => {
    patch({ widgets: dashboard.widgets.filter((known) => known.id !== widget.id).map(widgetInput) }).then(
      () => undefined,
      (failure: unknown) => setError(explain(failure)),
    );
  };

  const rename = (event: FormEvent): void => {
    event.preventDefault();
    setRenameError(null);
    patch({ name }).then(
      () => setRenaming(false),
      (failure: unknown) => setRenameError(explain(failure)),
    );
  };

  const remove = (): void => {
    apiCall<null>('DELETE', dashboardPath(dashboard.id), session.token).then(onDeleted, (failure: unknown) => setError(explain(failure)));
  };

  const startExport: ExportStarter = (type) => {
    if (type === 'json') {
      return apiGet<DashboardData>(`${dashboardPath(dashboard.id)}data/`, session.token).then((data) => ({
        blob: new Blob([JSON.stringify({ dashboard: { id: dashboard.id, name: dashboard.name, widgets: dashboard.widgets }, data }, null, 2)], { type: 'application/json' }),
        fileName: fileNameOf(dashboard.name),
      }));
    }
    return apiCall<{ export_id: string }>('POST', `${dashboardPath(dashboard.id)}export/?type=${type}`, session.token);
  };
  const exportTypes = EXPORT_TYPES.filter((type) => type === 'json' || (DASHBOARD_EXPORT_TYPES as readonly string[]).includes(type));

  const layout = useMemo<Layout>(
    () => dashboard.widgets.map((widget) => ({ i: widget.id, x: widget.position.x, y: widget.position.y, w: widget.position.w, h: widget.position.h, minW: 1, minH: 1 })),
    [dashboard.widgets],
  );
  const rowHeight = dashboard.layout.row_height;

  return (
    <section className="block" aria-labelledby={`${ids}-title`} data-dashboard-id={dashboard.id}>
      <div className="section-head">
        {renaming ? (
          <form className="actions" onSubmit={rename} aria-label="Renommer le tableau">
            <label htmlFor={`${ids}-rename`}>Nouveau nom</label>
            <input id={`${ids}-rename`} type="text" value={name} onChange={(event) => setName(event.target.value)} aria-invalid={renameError !== null} aria-describedby={renameError ? `${ids}-rename-error` : undefined} />
            <button type="submit">Enregistrer le nom</button>
            <button type="button" className="secondary" onClick={() => setRenaming(false)}>
              Annuler
            </button>
            {renameError && (
              <span className="field-error" id={`${ids}-rename-error`} role="alert">
                Refusé par l'API : {renameError}
              </span>
            )}
          </form>
        ) : (
          <h3 id={`${ids}-title`}>{dashboard.name}</h3>
        )}
        <div className="actions">
          <button type="button" onClick={() => setEditing('new')} disabled={editing === 'new'}>
            Ajouter un widget
          </button>
          {!renaming && (
            <button
              type="button"
              className="secondary"
              onClick={() => {
                setName(dashboard.name);
                setRenaming(true);
              }}
            >
              Renommer
            </button>
          )}
          {confirmDelete ? (
            <>
              <button type="button" className="danger" onClick={remove}>
                Confirmer la suppression du tableau
              </button>
              <button type="button" className="secondary" onClick={() => setConfirmDelete(false)}>
                Annuler
              </button>
            </>
          ) : (
            <button type="button" className="secondary" onClick={() => setConfirmDelete(true)}>
              Supprimer le tableau
            </button>
          )}
        </div>
      </div>
      <p className="widget-meta">
        {dataAsOf ? `Données au ${formatInstant(dataAsOf)}. ` : ''}Déplacez un widget par son titre, redimensionnez-le par son coin inférieur droit ; au clavier : « Modifier » (colonne, ligne, largeur, hauteur).{' '}
        <span role="status" data-testid="layout-state" data-state={saveState.state}>
          {saveState.state === 'saving' ? 'Enregistrement de la disposition…' : saveState.state === 'saved' ? 'Disposition enregistrée.' : saveState.state === 'failed' ? `Disposition refusée : ${saveState.message}` : ''}
        </span>
      </p>
      <ExportBar what={`le tableau « ${dashboard.name} »`} start={startExport} types={exportTypes} />
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {editing !== null && (
        <WidgetEditor
          key={editing === 'new' ? 'new' : editing.id}
          sources={sources}
          widget={editing === 'new' ? null : editing}
          place={firstFreePlace(dashboard.widgets)}
          onSubmit={saveWidget}
          onCancel={() => setEditing(null)}
        />
      )}
      {dashboard.widgets.length === 0 && <p>Ce tableau est vide : ajoutez un widget.</p>}
      <div ref={containerRef} className="grid-box">
        {mounted && width > 0 && (
          <ReactGridLayout
            width={width}
            layout={layout}
            gridConfig={{ cols: 12, rowHeight, margin: [10, 10] }}
            dragConfig={{ enabled: true, handle: '.widget-title', cancel: 'button' }}
            resizeConfig={{ enabled: true, handles: ['se'] }}
            compactor={verticalCompactor}
            onDragStop={(next) => saveLayout(next)}
            onResizeStop={(next) => saveLayout(next)}
          >
            {dashboard.widgets.map((widget) => (
              <div key={widget.id} data-widget-id={widget.id} data-position={`${widget.position.x},${widget.position.y},${widget.position.w},${widget.position.h}`}>
                <article className="widget" aria-label={widget.title}>
                  <header className="widget-head">
                    <span className="widget-title" title={`${widget.title} (glisser pour déplacer)`}>
                      {widget.title}
                    </span>
                    <button type="button" className="secondary icon" onClick={() => setEditing(widget)} aria-label={`Modifier le widget « ${widget.title} »`} title="Modifier">
                      <span aria-hidden="true">✎</span>
                    </button>
                    <button type="button" className="secondary icon" onClick={() => removeWidget(widget)} aria-label={`Retirer le widget « ${widget.title} »`} title="Retirer">
                      <span aria-hidden="true">✕</span>
                    </button>
                  </header>
                  <div className="widget-body">
                    {widget.id in values ? <WidgetValue type={widget.type} value={values[widget.id]!.value} format={values[widget.id]!.format} title={widget.title} /> : <p className="loading">Chargement…</p>}
                  </div>
                  <p className="widget-meta widget-foot">
                    {WIDGET_TYPE_LABELS[widget.type] ?? widget.type} · {ENDPOINT_LABELS[widget.source.endpoint] ?? widget.source.endpoint} › {widget.source.key} · toutes les {widget.refresh_seconds} s
                    {values[widget.id] ? ` · reçu à ${formatInstant(values[widget.id]!.at).split(' à ')[1] ?? ''}` : ''}
                  </p>
                </article>
              </div>
            ))}
          </ReactGridLayout>
        )}
      </div>
    </section>
  );
}
