// Following one export job to its file: the socket room `export:<id>` (the job as GET shows it right
// after joining, then export:progress and export:finished), GET exports/<id>/ for the signed
// download_url at the end (and every 2 s while the socket is down), then the browser's download.
import { useEffect, useState } from 'react';
import type { ExportJobView, ExportType } from '../../../../libs/metrics/src/exports.js';
import { AccessError, STATISTICS_API, apiGet } from '../api/client.js';
import { useLiveState, useSession } from '../live/use-live.js';
import { errorMessage } from '../format/error-message.js';

export const EXPORTS_API = `${STATISTICS_API}/exports`;
export const REPORT_SCHEDULES_API = `${STATISTICS_API}/report-schedules`;

export const EXPORT_TYPE_LABELS: Record<ExportType, string> = { excel: 'Excel', pdf: 'PDF', json: 'JSON', csv: 'CSV' };
export const EXPORT_STATUS_LABELS: Record<string, string> = { pending: 'En attente', running: 'En cours', completed: 'Terminé', failed: 'Échoué' };

/** While the socket is down, how often the job is asked for. */
const POLL_MS = 2000;

export interface FollowedJob {
  job: Pick<ExportJobView, 'export_id' | 'status' | 'progress'> & Partial<ExportJobView>;
  error: string | null;
}

/** The job's state as it moves; `download_url` once completed. */
export function useExportJob(exportId: string): FollowedJob {
  const session = useSession();
  const liveState = useLiveState();
  const [followed, setFollowed] = useState<FollowedJob>({ job: { export_id: exportId, status: 'pending', progress: 0 }, error: null });

  useEffect(() => {
    const controller = new AbortController();
    let finished = false;
    const fetchJob = (): void => {
      apiGet<ExportJobView>(`${EXPORTS_API}/${encodeURIComponent(exportId)}/`, session.token, controller.signal).then(
        (job) => {
          finished = job.status === 'completed' || job.status === 'failed';
          setFollowed({ job, error: null });
        },
        (failure: unknown) => {
          if (controller.signal.aborted) return;
          if (failure instanceof AccessError) return session.signOut(failure.message);
          setFollowed((previous) => ({ ...previous, error: errorMessage(failure) }));
        },
      );
    };
    const leave = session.hub.subscribe(`export:${exportId}`, (update) => {
      const job = update.data as ExportJobView;
      if (job.status === 'completed' || job.status === 'failed') {
        // The room's copy may lack a fresh link: ask for one.
        if (!finished) fetchJob();
        return;
      }
      setFollowed((previous) => ({ job: { ...previous.job, ...job }, error: null }));
    });
    const stopEvents = session.hub.onExport((news) => {
      const payload = news.event === 'progress' ? news.progress : news.finished;
      if (payload.export_id !== exportId || finished) return;
      setFollowed((previous) => ({ job: { ...previous.job, status: payload.status, progress: payload.progress }, error: null }));
      if (news.event === 'finished' || payload.status === 'completed' || payload.status === 'failed') fetchJob();
    });
    // A job finished before the subscription took effect sends no event: one read now settles it.
    fetchJob();
    const poll =
      liveState === 'live'
        ? undefined
        : setInterval(() => {
            if (!finished) fetchJob();
          }, POLL_MS);
    return () => {
      controller.abort();
      clearInterval(poll);
      leave();
      stopEvents();
    };
  }, [exportId, session, liveState === 'live']);

  return followed;
}

/** The browser's own download of a link (same origin; the server says attachment). */
export function startDownload(url: string, fileName?: string | null): void {
  const anchor = document.createElement('a');
  anchor.href = url;
  if (fileName) anchor.download = fileName;
  anchor.rel = 'noopener';
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '';
  if (bytes < 1024) return `${bytes} o`;
  const units = ['Kio', 'Mio', 'Gio'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1 }).format(value)} ${units[unit]}`;
}
