// A dashboard's export: an export job of the exports module whose request keeps the dashboard as it
// is now (name and widgets), rendered by the export worker into one report section per widget
// (dashboard-report.ts). Followed, downloaded and deleted like any other export.
import { Inject, Injectable } from '@nestjs/common';
import type { Dashboard } from '../../../../libs/metrics/src/dashboards.js';
import type { ExportType } from '../../../../libs/metrics/src/exports.js';
import { SECTIONS, type Section } from '../../../../libs/metrics/src/types.js';
import type { ExportJob } from '../exports/export-jobs.repository.js';
import { ExportsService } from '../exports/exports.service.js';

@Injectable()
export class DashboardExports {
  constructor(@Inject(ExportsService) private readonly exports: ExportsService) {}

  create(ownerId: number, dashboard: Dashboard, type: ExportType): Promise<ExportJob> {
    const read = new Set(dashboard.widgets.map((widget) => widget.source.endpoint));
    const sections = SECTIONS.filter((section): section is Section => read.has(section));
    const first = dashboard.widgets[0]?.filters;
    const shared = first !== undefined && dashboard.widgets.every((widget) => JSON.stringify(widget.filters) === JSON.stringify(first));
    return this.exports.create(ownerId, {
      type,
      // The job's filters (its file name, the export list): the widgets' own when they all share them.
      filters: shared ? first : { period: 'all', from: null, to: null, city: null, specialty: null },
      sections,
      raw: false,
      dashboard: { id: dashboard.id, name: dashboard.name, widgets: dashboard.widgets },
    });
  }
}
