// The export buttons (Excel, PDF, JSON, CSV) of a tab or of a custom dashboard: a click asks the API
// for a job, its progress shows as a bar (socket room export:<id>), and the file is downloaded when
// it is ready (with a link to download it again). The jobs also appear on the exports page.
import { useEffect, useRef, useState } from 'react';
import type { ExportType } from '../../../../libs/metrics/src/exports.js';
import { EXPORT_TYPES } from '../../../../libs/metrics/src/exports.js';
import { AccessError, apiCall } from '../api/client.js';
import { useSession } from '../live/use-live.js';
import { filtersQuery, type Filters, type TabSlug } from '../routing/url-state.js';
import '../pages/pages.css';
import { EXPORTS_API, EXPORT_STATUS_LABELS, EXPORT_TYPE_LABELS, formatBytes, startDownload, useExportJob } from './export-job.js';
import { TAB_SECTIONS } from './tab-sections.js';

/** How one button starts its export: an export job id, or a file made on the page itself. */
export type ExportStarter = (type: ExportType) => Promise<{ export_id: string } | { blob: Blob; fileName: string }>;

interface Started {
  type: ExportType;
  exportId: string | null;
  /** A file made on the page (a dashboard's JSON, the data endpoint's answer). */
  local: { url: string; fileName: string } | null;
}

export function ExportBar({ what, start, types = EXPORT_TYPES }: { what: string; start: ExportStarter; types?: readonly ExportType[] }) {
  const session = useSession();
  const [started, setStarted] = useState<Started | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => () => {
    if (started?.local) URL.revokeObjectURL(started.local.url);
  }, [started]);

  const click = (type: ExportType): void => {
    setBusy(true);
    setError(null);
    start(type).then(
      (result) => {
        setBusy(false);
        if ('export_id' in result) {
          setStarted({ type, exportId: result.export_id, local: null });
          return;
        }
        const url = URL.createObjectURL(result.blob);
        setStarted({ type, exportId: null, local: { url, fileName: result.fileName } });
        startDownload(url, result.fileName);
      },
      (failure: unknown) => {
        setBusy(false);
        if (failure instanceof AccessError) return session.signOut(failure.message);
        setError(failure instanceof Error ? failure.message : String(failure));
      },
    );
  };

  return (
    <div className="export-bar" role="group" aria-label={`Exporter ${what}`}>
      <span>Exporter :</span>
      {types.map((type) => (
        <button key={type} type="button" className="secondary" disabled={busy} onClick={() => click(type)} aria-label={`Exporter ${what} en ${EXPORT_TYPE_LABELS[type]}`}>
          {EXPORT_TYPE_LABELS[type]}
        </button>
      ))}
      {started?.exportId && <JobProgress key={started.exportId} exportId={started.exportId} type={started.type} />}
      {started?.local && (
        <span className="export-job" data-testid="export-job" data-status="completed">
          <span className="ok">Fichier prêt.</span>
          <a href={started.local.url} download={started.local.fileName}>
            Télécharger {started.local.fileName}
          </a>
        </span>
      )}
      {error && (
        <p className="error" role="alert">
          Export refusé : {error}
        </p>
      )}
    </div>
  );
}

function JobProgress({ exportId, type }: { exportId: string; type: ExportType }) {
  const { job, error } = useExportJob(exportId);
  const downloaded = useRef(false);
  useEffect(() => {
    if (job.status !== 'completed' || !job.download_url || downloaded.current) return;
    downloaded.current = true;
    startDownload(job.download_url, job.file_name);
  }, [job.status, job.download_url, job.file_name]);

  return (
    <span className="export-job" data-testid="export-job" data-export-id={exportId} data-status={job.status} role="status" aria-live="polite">
      <span>
        {EXPORT_TYPE_LABELS[type]} : {EXPORT_STATUS_LABELS[job.status] ?? job.status}
      </span>
      {(job.status === 'pending' || job.status === 'running') && (
        <progress max={100} value={job.progress} aria-label={`Progression de l'export ${EXPORT_TYPE_LABELS[type]}`}>
          {job.progress} %
        </progress>
      )}
      {job.status === 'completed' && job.download_url && (
        <a href={job.download_url} download={job.file_name ?? undefined}>
          Télécharger {job.file_name} ({formatBytes(job.file_size)})
        </a>
      )}
      {job.status === 'failed' && <span className="error">{job.error ?? 'échec sans raison donnée'}</span>}
      {error && <span className="error">{error}</span>}
    </span>
  );
}

/** A tab's buttons: that tab's sections with the page's filters (POST exports/). */
export function TabExportBar({ tab, label, filters }: { tab: TabSlug; label: string; filters: Filters }) {
  const session = useSession();
  const start: ExportStarter = (type) => {
    const body: Record<string, unknown> = { type, sections: TAB_SECTIONS[tab] };
    for (const [name, value] of filtersQuery(filters)) body[name] = value;
    return apiCall<{ export_id: string }>('POST', `${EXPORTS_API}/`, session.token, body);
  };
  return <ExportBar what={`l'onglet ${label}`} start={start} />;
}
