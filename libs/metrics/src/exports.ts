// Wire types of the exports (docs/exports.md): what a client sends to ask for a file and what it
// reads back about the job. Shared by the API, the tests and any TypeScript client.
import type { DashboardWidget } from './dashboards.js';
import type { Period, Section } from './types.js';

export const EXPORT_TYPES = ['excel', 'pdf', 'json', 'csv'] as const;
export type ExportType = (typeof EXPORT_TYPES)[number];

export const EXPORT_STATUSES = ['pending', 'running', 'completed', 'failed'] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];

/** The statistics filters as requested (named periods unresolved), in JSON form. */
export interface ExportFilters {
  period: Period | 'custom';
  from: string | null;
  to: string | null;
  city: string | null;
  specialty: string | null;
}

/** A validated export request. */
export interface ExportRequest {
  type: ExportType;
  filters: ExportFilters;
  sections: Section[];
  /** Excel and CSV: add the underlying rows of the period (requests, payments, reviews). */
  raw: boolean;
  /**
   * An export of a dashboard (POST dashboards/<id>/export/): the dashboard as it was when asked,
   * one report section per widget; `sections` then lists the sections its widgets read.
   */
  dashboard?: ExportDashboard;
}

/** What a dashboard export keeps of its dashboard: a later edit does not change a file already asked for. */
export interface ExportDashboard {
  id: string;
  name: string;
  widgets: DashboardWidget[];
}

export interface ExportJobView {
  export_id: string;
  type: ExportType;
  status: ExportStatus;
  /** 0–100. */
  progress: number;
  /** Bytes, once completed. */
  file_size: number | null;
  /** A link that opens in a browser as it is (signed, expiring), once completed. */
  download_url: string | null;
  file_name: string | null;
  /** Commit time of the last operational change the file's figures include (the oldest of its sections'), once completed. */
  data_as_of: string | null;
  error: string | null;
  filters: ExportFilters;
  sections: Section[];
  raw: boolean;
  /** The dashboard this file exports (its id and name when asked), null for a statistics export. */
  dashboard: { id: string; name: string } | null;
  created_at: string;
  completed_at: string | null;
  expires_at: string;
}

/** Socket.IO `export:progress` (room `export:<id>`): while the job runs, and once more when it ends. */
export interface ExportProgress {
  export_id: string;
  status: ExportStatus;
  progress: number;
}

/** Socket.IO `export:finished` (room `export:<id>`): the job's final state. */
export interface ExportFinished extends ExportProgress {
  status: 'completed' | 'failed';
  file_size: number | null;
  error: string | null;
}
