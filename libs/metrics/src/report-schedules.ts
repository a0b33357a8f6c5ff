// Wire types of scheduled reports (docs/exports.md, "Scheduled reports"): a schedule as clients read
// it, its runs, and the body of the `report.delivered` webhook. Shared by the API, the tests and any
// TypeScript client.
import type { ExportFilters, ExportType } from './exports.js';
import type { Period, Section } from './types.js';

export const REPORT_RUN_STATUSES = ['running', 'delivered', 'failed'] as const;
export type ReportRunStatus = (typeof REPORT_RUN_STATUSES)[number];

/** What started a run: its schedule's cron, or POST …/run/. */
export type ReportRunOrigin = 'cron' | 'manual';

export interface ReportRunView {
  id: string;
  schedule_id: string;
  /** The cron time it ran for (a manual run: when it was asked for). */
  due_at: string;
  trigger: ReportRunOrigin;
  started_at: string;
  finished_at: string | null;
  status: ReportRunStatus;
  /** Renders and deliveries tried, 1 to REPORT_MAX_ATTEMPTS. */
  attempts: number;
  export_id: string | null;
  /** Why it failed (or why the last attempt did, while it is retried). */
  error: string | null;
  /** Addresses the mail server accepted, and whether the webhook answered 2xx. */
  delivered_to: { email: string[]; webhook: boolean };
}

export interface ReportScheduleView {
  id: string;
  name: string;
  cron: string;
  /** IANA time zone the cron is read in. */
  timezone: string;
  type: ExportType;
  /** The statistics filters; a named period is measured back from each run. */
  period: Period | 'custom';
  from: string | null;
  to: string | null;
  city: string | null;
  specialty: string | null;
  sections: Section[];
  raw: boolean;
  recipients: string[];
  webhook_url: string | null;
  enabled: boolean;
  /** User id of its creator (runs export as this user). */
  owner: number;
  created_at: string;
  updated_at: string;
  /** Next cron time (UTC), null when disabled. */
  next_run_at: string | null;
  last_run: ReportRunView | null;
  /** Whether SMTP_URL is set: without it, a run with recipients fails. */
  smtp_configured: boolean;
}

/** POST of `report.delivered` to a schedule's webhook_url (signed: X-DepanneTeliman-Signature). */
export interface ReportDeliveredEvent {
  event: 'report.delivered';
  sent_at: string;
  schedule: { id: string; name: string; cron: string; timezone: string; type: ExportType; filters: ExportFilters; sections: Section[]; raw: boolean; owner: number };
  run: ReportRunView;
  export: { export_id: string; file_name: string; file_size: number; download_url: string; data_as_of: string | null; expires_at: string };
}
