// The form that adds or changes a widget: its title, type, source (an endpoint and a key from the
// API's catalogue, GET dashboards/sources/, keys narrowed to the ones that suit the type, or a
// precise path typed by hand such as by_status.completed), filters, refresh and place on the grid
// (the keyboard's way to move and size it). The API validates the dashboard as a whole: a 400
// names the widget's field and the message is shown next to it.
import { useId, useMemo, useState, type FormEvent, type ReactNode } from 'react';
import type { DashboardWidget, WidgetPosition } from '../../../../libs/metrics/src/dashboards.js';
import { AccessError, ApiError } from '../api/client.js';
import { useSession } from '../live/use-live.js';
import { PERIOD_CHOICES } from '../routing/url-state.js';
import { ENDPOINT_LABELS, WIDGET_TYPE_LABELS, filtersInput, keySuits, type WidgetSources } from './dashboards-api.js';

/** What the editor gives back: a widget as the API takes it (id absent for a new one). */
export type WidgetDraftInput = Record<string, unknown>;

interface Draft {
  title: string;
  type: string;
  endpoint: string;
  key: string;
  customKey: string;
  period: string;
  city: string;
  specialty: string;
  refresh_seconds: string;
  x: string;
  y: string;
  w: string;
  h: string;
}

/** The API's field in a dashboard's 400 (widgets[3].source.key) → the editor's field. */
function editorFieldOf(apiField: string): string | null {
  const inner = apiField.replace(/^widgets\[\d+\]\.?/, '');
  const map: Record<string, string> = {
    '': 'title',
    title: 'title',
    type: 'type',
    source: 'endpoint',
    'source.endpoint': 'endpoint',
    'source.key': 'key',
    filters: 'period',
    'filters.period': 'period',
    'filters.from': 'period',
    'filters.to': 'period',
    'filters.city': 'city',
    'filters.specialty': 'specialty',
    refresh_seconds: 'refresh_seconds',
    position: 'x',
    'position.x': 'x',
    'position.y': 'y',
    'position.w': 'w',
    'position.h': 'h',
  };
  return apiField.startsWith('widgets') ? (map[inner] ?? null) : null;
}

const whole = (text: string): number | string => (/^\s*-?\d+\s*$/.test(text) ? Number(text) : text);

export function WidgetEditor({
  sources,
  widget,
  place,
  onSubmit,
  onCancel,
}: {
  sources: WidgetSources;
  /** The widget being changed, or null for a new one. */
  widget: DashboardWidget | null;
  /** Where a new widget goes (the first free row). */
  place: WidgetPosition;
  /** Saves the dashboard with this widget; rejects with the API's error. */
  onSubmit: (input: WidgetDraftInput) => Promise<void>;
  onCancel: () => void;
}) {
  const session = useSession();
  const ids = useId();
  const [draft, setDraft] = useState<Draft>(() => {
    const position = widget?.position ?? place;
    const filters = widget ? filtersInput(widget.filters) : {};
    return {
      title: widget?.title ?? '',
      type: widget?.type ?? 'metric',
      endpoint: widget?.source.endpoint ?? 'overview',
      key: widget?.source.key ?? '',
      customKey: '',
      period: widget?.filters.period === 'custom' ? 'custom' : (filters.period ?? 'all'),
      city: filters.city ?? '',
      specialty: filters.specialty ?? '',
      refresh_seconds: String(widget?.refresh_seconds ?? 60),
      x: String(position.x),
      y: String(position.y),
      w: String(position.w),
      h: String(position.h),
    };
  });
  const [fieldError, setFieldError] = useState<{ field: string; detail: string } | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const keys = useMemo(() => {
    const endpoint = sources.endpoints.find((entry) => entry.endpoint === draft.endpoint);
    return (endpoint?.keys ?? []).filter((entry) => keySuits(draft.type, entry.kind));
  }, [sources, draft.endpoint, draft.type]);
  const realTime = draft.endpoint === 'real_time_stats';
  const set = (name: keyof Draft, value: string): void => setDraft((previous) => ({ ...previous, [name]: value }));

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setBusy(true);
    setFieldError(null);
    setFormError(null);
    const filters: Record<string, string> = {};
    if (!realTime) {
      // A widget's own dates (set through the API) are kept while "Dates choisies" stays selected.
      if (draft.period === 'custom' && widget) {
        const kept = filtersInput(widget.filters);
        if (kept.from) filters.from = kept.from;
        if (kept.to) filters.to = kept.to;
      } else if (draft.period !== 'all') filters.period = draft.period;
      if (draft.city.trim()) filters.city = draft.city.trim();
      if (draft.specialty.trim()) filters.specialty = draft.specialty.trim();
    }
    const input: WidgetDraftInput = {
      ...(widget ? { id: widget.id } : {}),
      type: draft.type,
      title: draft.title,
      source: { endpoint: draft.endpoint, key: draft.customKey.trim() || draft.key },
      filters,
      refresh_seconds: whole(draft.refresh_seconds),
      position: { x: whole(draft.x), y: whole(draft.y), w: whole(draft.w), h: whole(draft.h) },
    };
    onSubmit(input).then(
      () => setBusy(false),
      (failure: unknown) => {
        setBusy(false);
        if (failure instanceof AccessError) return session.signOut(failure.message);
        const body = failure instanceof ApiError ? (failure.body as { field?: unknown; detail?: unknown } | null) : null;
        let field = typeof body?.field === 'string' ? editorFieldOf(body.field) : null;
        if (field === 'key' && draft.customKey.trim()) field = 'customKey';
        if (field) {
          setFieldError({ field, detail: String(body?.detail ?? '') });
          document.getElementById(`${ids}-${field}`)?.focus();
          return;
        }
        setFormError(failure instanceof Error ? failure.message : String(failure));
      },
    );
  };

  const field = (name: keyof Draft, text: string, control: (id: string, describedBy: string | undefined, invalid: boolean) => ReactNode, hint?: string): ReactNode => {
    const id = `${ids}-${name}`;
    const wrong = fieldError?.field === name;
    const describedBy = [wrong ? `${id}-error` : null, hint ? `${id}-hint` : null].filter(Boolean).join(' ') || undefined;
    return (
      <div className={`field${wrong ? ' field-invalid' : ''}`} data-field={name}>
        <label htmlFor={id}>{text}</label>
        {control(id, describedBy, wrong)}
        {hint && (
          <span className="field-hint" id={`${id}-hint`}>
            {hint}
          </span>
        )}
        {wrong && (
          <span className="field-error" id={`${id}-error`} role="alert">
            Refusé par l'API : {fieldError.detail}
          </span>
        )}
      </div>
    );
  };
  const text = (name: keyof Draft, disabled = false) => (id: string, describedBy: string | undefined, invalid: boolean) => (
    <input id={id} type="text" value={draft[name]} disabled={disabled} aria-invalid={invalid} aria-describedby={describedBy} onChange={(event) => set(name, event.target.value)} />
  );

  return (
    <form className="panel-form" onSubmit={submit} aria-label={widget ? `Modifier le widget « ${widget.title} »` : 'Nouveau widget'} noValidate>
      <h4>{widget ? `Modifier « ${widget.title} »` : 'Nouveau widget'}</h4>
      <div className="form-grid">
        {field('title', 'Titre', text('title'))}
        {field('type', 'Type', (id, describedBy, invalid) => (
          <select id={id} value={draft.type} aria-invalid={invalid} aria-describedby={describedBy} onChange={(event) => set('type', event.target.value)}>
            {sources.widget_types.map((type) => (
              <option key={type} value={type}>
                {WIDGET_TYPE_LABELS[type] ?? type}
              </option>
            ))}
          </select>
        ))}
        {field('endpoint', 'Source (statistiques)', (id, describedBy, invalid) => (
          <select
            id={id}
            value={draft.endpoint}
            aria-invalid={invalid}
            aria-describedby={describedBy}
            onChange={(event) => setDraft((previous) => ({ ...previous, endpoint: event.target.value, key: '' }))}
          >
            {sources.endpoints.map((entry) => (
              <option key={entry.endpoint} value={entry.endpoint}>
                {ENDPOINT_LABELS[entry.endpoint] ?? entry.endpoint}
              </option>
            ))}
          </select>
        ))}
        {field(
          'key',
          'Valeur',
          (id, describedBy, invalid) => (
            <select id={id} value={draft.key} aria-invalid={invalid} aria-describedby={describedBy} onChange={(event) => set('key', event.target.value)}>
              <option value="">— choisir —</option>
              {keys.map((entry) => (
                <option key={entry.key} value={entry.key}>
                  {entry.key}
                </option>
              ))}
            </select>
          ),
          `${keys.length} valeur(s) de cette source conviennent à ce type.`,
        )}
        {field('customKey', 'Ou chemin précis (facultatif)', text('customKey'), 'Ex. by_status.completed, top_cities.0.requests.')}
        {field('period', 'Période', (id, describedBy, invalid) => (
          <select id={id} value={draft.period} disabled={realTime} aria-invalid={invalid} aria-describedby={describedBy} onChange={(event) => set('period', event.target.value)}>
            {PERIOD_CHOICES.map((choice) => (
              <option key={choice.value} value={choice.value}>
                {choice.label}
              </option>
            ))}
            {widget?.filters.period === 'custom' && (
              <option value="custom">
                Dates choisies ({widget.filters.from?.slice(0, 10) ?? '…'} → {widget.filters.to?.slice(0, 10) ?? '…'})
              </option>
            )}
          </select>
        ))}
        {field('city', 'Ville (vide : toutes)', text('city', realTime))}
        {field('specialty', 'Spécialité (vide : toutes)', text('specialty', realTime))}
        {field('refresh_seconds', 'Actualisation (secondes)', text('refresh_seconds'), 'Au moins 5 s.')}
        {field('x', 'Colonne (0 à 11)', text('x'))}
        {field('y', 'Ligne (depuis 0)', text('y'))}
        {field('w', 'Largeur (colonnes)', text('w'))}
        {field('h', 'Hauteur (lignes)', text('h'))}
      </div>
      {formError && (
        <p className="error" role="alert">
          {formError}
        </p>
      )}
      <div className="actions">
        <button type="submit" disabled={busy}>
          {widget ? 'Enregistrer le widget' : 'Ajouter le widget'}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Annuler
        </button>
      </div>
    </form>
  );
}
