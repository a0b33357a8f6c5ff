// The alert rules (docs/alerts.md "Rules"): listed with what they watch, switched on and off,
// deleted (after a confirmation), created and edited in a form. The API validates: a 400 names the
// field (`{detail, field}`) and its message is shown next to that field, nothing is saved.
import { useCallback, useEffect, useId, useState, type FormEvent, type ReactNode } from 'react';
import {
  ALERT_COMPARISONS,
  ALERT_KINDS,
  ALERT_METRICS,
  ALERT_SEVERITIES,
  ALERT_WINDOWS,
  ANOMALY_GROUPS,
  type AlertRule,
  type AlertRuleInput,
} from '../../../../libs/metrics/src/alerts.js';
import { AccessError, ApiError, apiCall, apiGet } from '../api/client.js';
import { formatNumber } from '../format/fr.js';
import { useSession } from '../live/use-live.js';
import { COMPARISON_LABELS, GROUP_LABELS, KIND_LABELS, METRIC_LABELS, SEVERITY_LABELS, WINDOW_LABELS, label } from './alert-labels.js';
import { ALERT_RULES_API } from './use-alerts.js';

/** The form's fields as typed (text for numbers: the API judges them, not the page). */
interface RuleDraft {
  name: string;
  kind: string;
  metric: string;
  comparison: string;
  threshold: string;
  window: string;
  group_by: string;
  sensitivity: string;
  history_weeks: string;
  severity: string;
  cooldown_seconds: string;
  city: string;
  specialty: string;
  enabled: boolean;
}

const NEW_RULE: RuleDraft = {
  name: '',
  kind: 'threshold',
  metric: 'requests',
  comparison: 'gt',
  threshold: '',
  window: '24h',
  group_by: 'city',
  sensitivity: '4',
  history_weeks: '8',
  severity: 'warning',
  cooldown_seconds: '3600',
  city: '',
  specialty: '',
  enabled: true,
};

function draftOf(rule: AlertRule): RuleDraft {
  return {
    name: rule.name,
    kind: rule.kind,
    metric: rule.metric,
    comparison: rule.comparison ?? 'gt',
    threshold: rule.threshold === null ? '' : String(rule.threshold),
    window: rule.window,
    group_by: rule.group_by ?? 'city',
    sensitivity: rule.sensitivity === null ? '4' : String(rule.sensitivity),
    history_weeks: rule.history_weeks === null ? '8' : String(rule.history_weeks),
    severity: rule.severity,
    cooldown_seconds: String(rule.cooldown_seconds),
    city: rule.scope.city ?? '',
    specialty: rule.scope.specialty ?? '',
    enabled: rule.enabled,
  };
}

/** A typed number as a number; anything else as typed, so the API's 400 names the field. */
function numberOrText(text: string): number | string | null {
  const trimmed = text.trim().replace(',', '.');
  if (trimmed === '') return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : text;
}

/** The body of POST/PATCH: each kind's own fields, the other kind's as null (the API requires it). */
function bodyOf(draft: RuleDraft): Record<string, unknown> {
  const threshold = draft.kind === 'threshold';
  const body: Record<string, unknown> = {
    kind: draft.kind,
    metric: draft.metric,
    comparison: threshold ? draft.comparison : null,
    threshold: threshold ? numberOrText(draft.threshold) : null,
    window: threshold ? draft.window : '1h',
    group_by: threshold ? null : draft.group_by,
    sensitivity: threshold ? null : numberOrText(draft.sensitivity),
    history_weeks: threshold ? null : numberOrText(draft.history_weeks),
    severity: draft.severity,
    cooldown_seconds: numberOrText(draft.cooldown_seconds),
    scope: { city: draft.city.trim() === '' ? null : draft.city.trim(), specialty: draft.specialty.trim() === '' ? null : draft.specialty.trim() },
    enabled: draft.enabled,
  };
  if (draft.name.trim() !== '') body.name = draft.name.trim();
  return body satisfies Partial<Record<keyof AlertRuleInput, unknown>>;
}

interface FieldError {
  field: string;
  detail: string;
}

/** The form field a 400's `field` belongs to (scope.city → city; body or unknown → the form). */
function formFieldOf(apiField: string): string {
  if (apiField === 'scope.city') return 'city';
  if (apiField === 'scope.specialty') return 'specialty';
  if (apiField === 'scope') return 'city';
  return apiField;
}

export function AlertRulesPanel() {
  const session = useSession();
  const [rules, setRules] = useState<AlertRule[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  /** null: no form; 'new': creating; a rule: editing it. */
  const [editing, setEditing] = useState<AlertRule | 'new' | null>(null);

  const failed = useCallback(
    (failure: unknown): void => {
      if (failure instanceof AccessError) return session.signOut(failure.message);
      setError(failure instanceof Error ? failure.message : String(failure));
    },
    [session],
  );
  const reload = useCallback(() => {
    apiGet<{ results: AlertRule[] }>(`${ALERT_RULES_API}/`, session.token).then((answer) => {
      setRules(answer.results);
      setError(null);
    }, failed);
  }, [session, failed]);
  useEffect(reload, [reload]);

  const toggle = (rule: AlertRule): void => {
    apiCall<AlertRule>('PATCH', `${ALERT_RULES_API}/${encodeURIComponent(rule.id)}/`, session.token, { enabled: !rule.enabled }).then(
      (changed) => setRules((previous) => (previous ?? []).map((known) => (known.id === changed.id ? changed : known))),
      failed,
    );
  };
  const remove = (rule: AlertRule): void => {
    apiCall<null>('DELETE', `${ALERT_RULES_API}/${encodeURIComponent(rule.id)}/`, session.token).then(
      () => setRules((previous) => (previous ?? []).filter((known) => known.id !== rule.id)),
      failed,
    );
  };

  return (
    <section aria-labelledby="rules-title" className="block">
      <div className="section-head">
        <h3 id="rules-title">Règles d'alerte</h3>
        <button type="button" onClick={() => setEditing('new')} disabled={editing === 'new'}>
          Nouvelle règle
        </button>
      </div>
      {error && (
        <p className="error" role="alert">
          Règles : {error}
        </p>
      )}
      {editing !== null && (
        <RuleForm
          rule={editing === 'new' ? null : editing}
          onCancel={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            reload();
          }}
        />
      )}
      {rules === null && !error && <p className="loading">Chargement des règles…</p>}
      {rules !== null && (
        <div className="table-scroll">
          <table className="data-table" data-testid="alert-rules">
            <caption>{rules.length} règle(s)</caption>
            <thead>
              <tr>
                <th scope="col">Nom</th>
                <th scope="col">Type</th>
                <th scope="col">Mesure</th>
                <th scope="col">Condition</th>
                <th scope="col">Gravité</th>
                <th scope="col">Active</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {rules.map((rule) => (
                <RuleRow key={rule.id} rule={rule} onEdit={() => setEditing(rule)} onToggle={() => toggle(rule)} onDelete={() => remove(rule)} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function conditionOf(rule: AlertRule): string {
  const where = [rule.scope.city && `ville ${rule.scope.city}`, rule.scope.specialty && `spécialité ${rule.scope.specialty}`].filter(Boolean).join(', ');
  const base =
    rule.kind === 'threshold'
      ? `${label(COMPARISON_LABELS, rule.comparison ?? '')} ${rule.threshold === null ? '' : formatNumber(rule.threshold)} sur ${label(WINDOW_LABELS, rule.window)}`
      : `${label(GROUP_LABELS, rule.group_by ?? '')}, sensibilité ${rule.sensitivity === null ? '' : formatNumber(rule.sensitivity)}, ${rule.history_weeks} semaines`;
  return where ? `${base} (${where})` : base;
}

function RuleRow({ rule, onEdit, onToggle, onDelete }: { rule: AlertRule; onEdit: () => void; onToggle: () => void; onDelete: () => void }) {
  const [confirming, setConfirming] = useState(false);
  return (
    <tr data-rule-id={rule.id}>
      <th scope="row">{rule.name}</th>
      <td>{label(KIND_LABELS, rule.kind)}</td>
      <td>{label(METRIC_LABELS, rule.metric)}</td>
      <td>{conditionOf(rule)}</td>
      <td>
        <span className={`severity severity-${rule.severity}`}>{label(SEVERITY_LABELS, rule.severity)}</span>
      </td>
      <td>
        <label className="switch">
          <input type="checkbox" checked={rule.enabled} onChange={onToggle} aria-label={`Règle « ${rule.name} » active`} />
          {rule.enabled ? 'Oui' : 'Non'}
        </label>
      </td>
      <td className="actions">
        <button type="button" className="secondary" onClick={onEdit} aria-label={`Modifier la règle « ${rule.name} »`}>
          Modifier
        </button>
        {confirming ? (
          <>
            <button type="button" className="danger" onClick={onDelete}>
              Confirmer la suppression
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(false)}>
              Annuler
            </button>
          </>
        ) : (
          <button type="button" className="secondary" onClick={() => setConfirming(true)} aria-label={`Supprimer la règle « ${rule.name} »`}>
            Supprimer
          </button>
        )}
      </td>
    </tr>
  );
}

function RuleForm({ rule, onCancel, onSaved }: { rule: AlertRule | null; onCancel: () => void; onSaved: () => void }) {
  const session = useSession();
  const [draft, setDraft] = useState<RuleDraft>(() => (rule ? draftOf(rule) : NEW_RULE));
  const [fieldError, setFieldError] = useState<FieldError | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = useId();
  const threshold = draft.kind === 'threshold';

  const set = <K extends keyof RuleDraft>(key: K, value: RuleDraft[K]): void => setDraft((previous) => ({ ...previous, [key]: value }));

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setBusy(true);
    setFieldError(null);
    setFormError(null);
    const call = rule
      ? apiCall<AlertRule>('PATCH', `${ALERT_RULES_API}/${encodeURIComponent(rule.id)}/`, session.token, bodyOf(draft))
      : apiCall<AlertRule>('POST', `${ALERT_RULES_API}/`, session.token, bodyOf(draft));
    call.then(
      () => {
        setBusy(false);
        onSaved();
      },
      (failure: unknown) => {
        setBusy(false);
        if (failure instanceof AccessError) return session.signOut(failure.message);
        const body = failure instanceof ApiError ? (failure.body as { field?: unknown; detail?: unknown } | null) : null;
        if (failure instanceof ApiError && failure.status === 400 && body && typeof body.field === 'string') {
          const field = formFieldOf(body.field);
          const common = ['name', 'kind', 'metric', 'severity', 'cooldown_seconds', 'city', 'specialty', 'enabled'];
          const visible = [...common, ...(threshold ? ['comparison', 'threshold', 'window'] : ['group_by', 'sensitivity', 'history_weeks'])];
          if (visible.includes(field)) {
            setFieldError({ field, detail: String(body.detail ?? failure.message) });
            document.getElementById(`${ids}-${field}`)?.focus();
            return;
          }
        }
        setFormError(failure instanceof Error ? failure.message : String(failure));
      },
    );
  };

  /** One labelled field, with the API's refusal under it when it names this field. */
  const field = (name: keyof RuleDraft, text: string, control: (id: string, describedBy: string | undefined) => ReactNode, hint?: string): ReactNode => {
    const id = `${ids}-${name}`;
    const wrong = fieldError?.field === name;
    const describedBy = [wrong ? `${id}-error` : null, hint ? `${id}-hint` : null].filter(Boolean).join(' ') || undefined;
    return (
      <div className={`field${wrong ? ' field-invalid' : ''}`} data-field={name}>
        <label htmlFor={id}>{text}</label>
        {control(id, describedBy)}
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
  const select = (name: keyof RuleDraft, options: readonly string[], labels: Record<string, string>) => (id: string, describedBy: string | undefined) => (
    <select id={id} value={String(draft[name])} aria-invalid={fieldError?.field === name} aria-describedby={describedBy} onChange={(event) => set(name, event.target.value as never)}>
      {options.map((option) => (
        <option key={option} value={option}>
          {label(labels, option)}
        </option>
      ))}
    </select>
  );
  const text = (name: keyof RuleDraft, inputMode?: 'decimal' | 'numeric') => (id: string, describedBy: string | undefined) => (
    <input
      id={id}
      type="text"
      inputMode={inputMode}
      value={String(draft[name])}
      aria-invalid={fieldError?.field === name}
      aria-describedby={describedBy}
      onChange={(event) => set(name, event.target.value as never)}
    />
  );

  return (
    <form className="rule-form" onSubmit={submit} aria-label={rule ? `Modifier la règle « ${rule.name} »` : 'Nouvelle règle d\'alerte'} noValidate>
      <h4>{rule ? `Modifier « ${rule.name} »` : 'Nouvelle règle'}</h4>
      <div className="form-grid">
        {field('name', 'Nom', text('name'), 'Vide : un nom est déduit de la règle.')}
        {field('kind', 'Type de règle', select('kind', ALERT_KINDS, KIND_LABELS))}
        {field('metric', 'Mesure surveillée', select('metric', ALERT_METRICS, METRIC_LABELS))}
        {threshold && field('comparison', 'Comparaison', select('comparison', ALERT_COMPARISONS, COMPARISON_LABELS))}
        {threshold && field('threshold', 'Seuil', text('threshold', 'decimal'), 'Nombre, FCFA ou % selon la mesure.')}
        {threshold && field('window', 'Fenêtre', select('window', ALERT_WINDOWS, WINDOW_LABELS))}
        {!threshold && field('group_by', 'Comparer', select('group_by', ANOMALY_GROUPS, GROUP_LABELS))}
        {!threshold && field('sensitivity', 'Sensibilité', text('sensitivity', 'decimal'), 'Écarts robustes tolérés (4 par défaut).')}
        {!threshold && field('history_weeks', 'Semaines d\'historique', text('history_weeks', 'numeric'))}
        {field('severity', 'Gravité', select('severity', ALERT_SEVERITIES, SEVERITY_LABELS))}
        {field('cooldown_seconds', 'Délai avant nouvelle alerte (secondes)', text('cooldown_seconds', 'numeric'))}
        {field('city', 'Ville (vide : toutes)', text('city'))}
        {field('specialty', 'Spécialité (vide : toutes)', text('specialty'))}
        <div className="field" data-field="enabled">
          <label className="switch">
            <input type="checkbox" checked={draft.enabled} onChange={(event) => set('enabled', event.target.checked)} /> Règle active
          </label>
          {fieldError?.field === 'enabled' && (
            <span className="field-error" role="alert">
              Refusé par l'API : {fieldError.detail}
            </span>
          )}
        </div>
      </div>
      {formError && (
        <p className="error" role="alert">
          {formError}
        </p>
      )}
      <div className="actions">
        <button type="submit" disabled={busy}>
          {rule ? 'Enregistrer' : 'Créer la règle'}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Annuler
        </button>
      </div>
    </form>
  );
}
