// The exports page (/tableau/exports): the caller's past exports (newest first, refreshed while
// one is running, each with a fresh download link, deletable) and their report schedules (listed
// with the next run and the last, switched on and off, run now, deleted, created in a form whose
// 400s are shown next to the field they name).
import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import type { ExportJobView, ExportType } from '../../../../libs/metrics/src/exports.js';
import { EXPORT_TYPES } from '../../../../libs/metrics/src/exports.js';
import type { ReportScheduleView } from '../../../../libs/metrics/src/report-schedules.js';
import { AccessError, ApiError, apiCall, apiGet } from '../api/client.js';
import { formatInstant } from '../format/fr.js';
import { useSession } from '../live/use-live.js';
import { PERIOD_CHOICES } from '../routing/url-state.js';
import '../pages/pages.css';
import { ENDPOINT_LABELS } from '../custom/dashboards-api.js';
import { EXPORTS_API, EXPORT_STATUS_LABELS, EXPORT_TYPE_LABELS, REPORT_SCHEDULES_API, formatBytes } from './export-job.js';

interface Paged<T> {
  count: number;
  results: T[];
}

const RUN_STATUS_LABELS: Record<string, string> = { running: 'en cours', delivered: 'livré', failed: 'échoué' };
const PERIOD_LABELS: Record<string, string> = { ...Object.fromEntries(PERIOD_CHOICES.map((choice) => [choice.value, choice.label])), custom: 'dates choisies' };

function filtersText(filters: { period: string; from: string | null; to: string | null; city: string | null; specialty: string | null }): string {
  const parts = [filters.period === 'custom' ? `du ${filters.from ?? '…'} au ${filters.to ?? '…'}` : (PERIOD_LABELS[filters.period] ?? filters.period)];
  if (filters.city) parts.push(`ville ${filters.city}`);
  if (filters.specialty) parts.push(`spécialité ${filters.specialty}`);
  return parts.join(', ');
}

export function ExportsPage() {
  return (
    <div className="page">
      <h2>Exports et rapports programmés</h2>
      <PastExports />
      <Schedules />
    </div>
  );
}

function useFailure(): (failure: unknown) => string | null {
  const session = useSession();
  return useCallback(
    (failure: unknown) => {
      if (failure instanceof AccessError) {
        session.signOut(failure.message);
        return null;
      }
      return failure instanceof Error ? failure.message : String(failure);
    },
    [session],
  );
}

function PastExports() {
  const session = useSession();
  const explain = useFailure();
  const [exports, setExports] = useState<Paged<ExportJobView> | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(() => {
    apiGet<Paged<ExportJobView>>(`${EXPORTS_API}/?page_size=50`, session.token).then(
      (answer) => {
        setExports(answer);
        setError(null);
      },
      (failure: unknown) => setError(explain(failure)),
    );
  }, [session, explain]);
  useEffect(load, [load]);
  // While a job runs, the list is read again every 3 s (its row shows the progress).
  const running = exports?.results.some((job) => job.status === 'pending' || job.status === 'running') ?? false;
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(load, 3000);
    return () => clearInterval(timer);
  }, [running, load]);

  const remove = (job: ExportJobView): void => {
    apiCall<null>('DELETE', `${EXPORTS_API}/${encodeURIComponent(job.export_id)}/`, session.token).then(load, (failure: unknown) => setError(explain(failure)));
  };

  return (
    <section className="block" aria-labelledby="past-exports-title">
      <div className="section-head">
        <h3 id="past-exports-title">Exports récents</h3>
        <button type="button" className="secondary" onClick={load}>
          Actualiser
        </button>
      </div>
      {error && (
        <p className="error" role="alert">
          Exports : {error}
        </p>
      )}
      {exports === null && !error && <p className="loading">Chargement des exports…</p>}
      {exports !== null && exports.results.length === 0 && <p>Aucun export pour l'instant : les boutons « Exporter » des onglets et des tableaux en créent.</p>}
      {exports !== null && exports.results.length > 0 && (
        <div className="table-scroll">
          <table className="data-table" data-testid="past-exports">
            <caption>{exports.count} export(s), les plus récents d'abord</caption>
            <thead>
              <tr>
                <th scope="col">Demandé le</th>
                <th scope="col">Format</th>
                <th scope="col">Filtres</th>
                <th scope="col">Contenu</th>
                <th scope="col">État</th>
                <th scope="col">Fichier</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {exports.results.map((job) => (
                <tr key={job.export_id} data-export-id={job.export_id}>
                  <th scope="row">{formatInstant(job.created_at)}</th>
                  <td>{EXPORT_TYPE_LABELS[job.type] ?? job.type}</td>
                  <td>{filtersText(job.filters)}</td>
                  <td>{job.dashboard ? `tableau « ${job.dashboard.name} »` : job.sections.map((section) => ENDPOINT_LABELS[section] ?? section).join(', ')}</td>
                  <td>
                    {EXPORT_STATUS_LABELS[job.status] ?? job.status}
                    {(job.status === 'pending' || job.status === 'running') && (
                      <progress max={100} value={job.progress} aria-label="Progression">
                        {job.progress} %
                      </progress>
                    )}
                    {job.status === 'failed' && job.error && <span className="error"> {job.error}</span>}
                  </td>
                  <td>
                    {job.status === 'completed' && job.download_url ? (
                      <a href={job.download_url} download={job.file_name ?? undefined}>
                        {job.file_name} ({formatBytes(job.file_size)})
                      </a>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td className="actions">
                    <button type="button" className="secondary" onClick={() => remove(job)} aria-label={`Supprimer l'export du ${formatInstant(job.created_at)}`}>
                      Supprimer
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Schedules() {
  const session = useSession();
  const explain = useFailure();
  const [schedules, setSchedules] = useState<Paged<ReportScheduleView> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);

  const load = useCallback(() => {
    apiGet<Paged<ReportScheduleView>>(`${REPORT_SCHEDULES_API}/?page_size=100`, session.token).then(
      (answer) => {
        setSchedules(answer);
        setError(null);
      },
      (failure: unknown) => setError(explain(failure)),
    );
  }, [session, explain]);
  useEffect(load, [load]);

  const act = (method: string, path: string, body: unknown, done: string): void => {
    setNotice(null);
    apiCall<unknown>(method, path, session.token, body).then(
      () => {
        setNotice(done);
        load();
      },
      (failure: unknown) => setError(explain(failure)),
    );
  };

  return (
    <section className="block" aria-labelledby="schedules-title">
      <div className="section-head">
        <h3 id="schedules-title">Rapports programmés</h3>
        <button type="button" onClick={() => setCreating(true)} disabled={creating}>
          Nouveau rapport programmé
        </button>
      </div>
      {error && (
        <p className="error" role="alert">
          Rapports programmés : {error}
        </p>
      )}
      {notice && <p role="status">{notice}</p>}
      {creating && (
        <ScheduleForm
          onCancel={() => setCreating(false)}
          onSaved={() => {
            setCreating(false);
            load();
          }}
        />
      )}
      {schedules === null && !error && <p className="loading">Chargement des rapports programmés…</p>}
      {schedules !== null && schedules.results.length === 0 && <p>Aucun rapport programmé.</p>}
      {schedules !== null && schedules.results.length > 0 && (
        <div className="table-scroll">
          <table className="data-table" data-testid="report-schedules">
            <caption>{schedules.count} rapport(s) programmé(s)</caption>
            <thead>
              <tr>
                <th scope="col">Nom</th>
                <th scope="col">Quand (cron, fuseau)</th>
                <th scope="col">Format et filtres</th>
                <th scope="col">Destinataires</th>
                <th scope="col">Prochain envoi</th>
                <th scope="col">Dernier envoi</th>
                <th scope="col">Actif</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {schedules.results.map((schedule) => {
                const path = `${REPORT_SCHEDULES_API}/${encodeURIComponent(schedule.id)}/`;
                return (
                  <tr key={schedule.id} data-schedule-id={schedule.id}>
                    <th scope="row">{schedule.name}</th>
                    <td>
                      <code>{schedule.cron}</code> ({schedule.timezone})
                    </td>
                    <td>
                      {EXPORT_TYPE_LABELS[schedule.type] ?? schedule.type}, {filtersText(schedule)}
                    </td>
                    <td>{[...schedule.recipients, ...(schedule.webhook_url ? [`webhook ${schedule.webhook_url}`] : [])].join(', ')}</td>
                    <td>{schedule.next_run_at ? formatInstant(schedule.next_run_at) : '—'}</td>
                    <td>
                      {schedule.last_run
                        ? `${formatInstant(schedule.last_run.due_at)} : ${RUN_STATUS_LABELS[schedule.last_run.status] ?? schedule.last_run.status}${schedule.last_run.error ? ` (${schedule.last_run.error})` : ''}`
                        : '—'}
                    </td>
                    <td>
                      <label className="switch">
                        <input
                          type="checkbox"
                          checked={schedule.enabled}
                          aria-label={`Rapport « ${schedule.name} » actif`}
                          onChange={() => act('PATCH', path, { enabled: !schedule.enabled }, schedule.enabled ? 'Rapport désactivé.' : 'Rapport activé.')}
                        />
                        {schedule.enabled ? 'Oui' : 'Non'}
                      </label>
                    </td>
                    <td className="actions">
                      <button type="button" className="secondary" onClick={() => act('POST', `${path}run/`, undefined, `« ${schedule.name} » lancé : l'export apparaîtra dans la liste.`)}>
                        Exécuter maintenant
                      </button>
                      <button type="button" className="secondary" onClick={() => act('DELETE', path, undefined, `« ${schedule.name} » supprimé.`)} aria-label={`Supprimer le rapport « ${schedule.name} »`}>
                        Supprimer
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function ScheduleForm({ onCancel, onSaved }: { onCancel: () => void; onSaved: () => void }) {
  const session = useSession();
  const ids = useId();
  const [draft, setDraft] = useState({ name: '', cron: '0 8 * * 1', timezone: 'Africa/Bamako', type: 'excel' as ExportType, period: '7d', recipients: '', webhook_url: '' });
  const [fieldError, setFieldError] = useState<{ field: string; detail: string } | null>(null);
  const [formError, setFormError] = useState<string | null>(null);

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setFieldError(null);
    setFormError(null);
    const body: Record<string, unknown> = { name: draft.name, cron: draft.cron, timezone: draft.timezone, type: draft.type, period: draft.period };
    const recipients = draft.recipients.split(/[\s,;]+/).filter((address) => address !== '');
    if (recipients.length > 0) body.recipients = recipients;
    if (draft.webhook_url.trim() !== '') body.webhook_url = draft.webhook_url.trim();
    apiCall<ReportScheduleView>('POST', `${REPORT_SCHEDULES_API}/`, session.token, body).then(onSaved, (failure: unknown) => {
      if (failure instanceof AccessError) return session.signOut(failure.message);
      const answer = failure instanceof ApiError ? (failure.body as { field?: unknown; detail?: unknown } | null) : null;
      const field = typeof answer?.field === 'string' ? answer.field.replace(/\[\d+\]$/, '') : null;
      if (field && field in draft) {
        setFieldError({ field, detail: String(answer?.detail ?? '') });
        document.getElementById(`${ids}-${field}`)?.focus();
        return;
      }
      setFormError(failure instanceof Error ? failure.message : String(failure));
    });
  };

  const input = (name: keyof typeof draft, text: string, hint?: string) => {
    const id = `${ids}-${name}`;
    const wrong = fieldError?.field === name;
    return (
      <div className={`field${wrong ? ' field-invalid' : ''}`} data-field={name}>
        <label htmlFor={id}>{text}</label>
        <input
          id={id}
          type="text"
          value={draft[name]}
          aria-invalid={wrong}
          aria-describedby={[wrong ? `${id}-error` : null, hint ? `${id}-hint` : null].filter(Boolean).join(' ') || undefined}
          onChange={(event) => setDraft((previous) => ({ ...previous, [name]: event.target.value }))}
        />
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

  return (
    <form className="panel-form" onSubmit={submit} aria-label="Nouveau rapport programmé" noValidate>
      <h4>Nouveau rapport programmé</h4>
      <div className="form-grid">
        {input('name', 'Nom (objet du courriel)')}
        {input('cron', 'Quand (cron à 5 champs)', 'Ex. « 0 8 * * 1 » : le lundi à 8 h ; au moins 5 minutes entre deux envois.')}
        {input('timezone', 'Fuseau horaire')}
        <div className={`field${fieldError?.field === 'type' ? ' field-invalid' : ''}`}>
          <label htmlFor={`${ids}-type`}>Format</label>
          <select id={`${ids}-type`} value={draft.type} onChange={(event) => setDraft((previous) => ({ ...previous, type: event.target.value as ExportType }))}>
            {EXPORT_TYPES.map((type) => (
              <option key={type} value={type}>
                {EXPORT_TYPE_LABELS[type]}
              </option>
            ))}
          </select>
        </div>
        <div className={`field${fieldError?.field === 'period' ? ' field-invalid' : ''}`}>
          <label htmlFor={`${ids}-period`}>Période de chaque rapport</label>
          <select id={`${ids}-period`} value={draft.period} onChange={(event) => setDraft((previous) => ({ ...previous, period: event.target.value }))}>
            {PERIOD_CHOICES.map((choice) => (
              <option key={choice.value} value={choice.value}>
                {choice.label}
              </option>
            ))}
          </select>
        </div>
        {input('recipients', 'Destinataires (courriels)', 'Séparés par des virgules ou des espaces.')}
        {input('webhook_url', 'Webhook (URL http/https, facultatif)')}
      </div>
      {formError && (
        <p className="error" role="alert">
          {formError}
        </p>
      )}
      <div className="actions">
        <button type="submit">Créer le rapport</button>
        <button type="button" className="secondary" onClick={onCancel}>
          Annuler
        </button>
      </div>
    </form>
  );
}
