// Dashboards as their users see them: a dashboard belongs to its owner, and only its owner or an
// administrator (user_type admin) may see or change it; anyone else is told it does not exist, so
// ids cannot be probed. The first list a user asks for gives them the default dashboard (the
// guide's overview) once. Also the widgets' data, and the `dashboard:<id>` room that pushes the
// widgets whose numbers moved.
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { AppConfig } from '../../../../libs/config/src/config.js';
import type { Dashboard, DashboardData, WidgetData } from '../../../../libs/metrics/src/dashboards.js';
import { STATISTICS_SOURCE_TABLES } from '../cache/cache-key.js';
import { RoomDirectory, RoomRefused, type RoomSource } from '../realtime/room-directory.js';
import { StatisticsGateway } from '../realtime/statistics.gateway.js';
import { REAL_TIME_TABLES } from '../realtime/statistics-rooms.js';
import { StatisticsService } from '../statistics/statistics.service.js';
import { APP_CONFIG, INGEST } from '../tokens.js';
import { DashboardsRepository } from './dashboards.repository.js';
import { defaultDashboard } from './default-dashboard.js';
import type { DashboardInput, DashboardPatch } from './dto/dashboard.js';
import { gatherWidgets, type DataFreshness } from './widget-data.js';
import type { WidgetEndpoint } from './widget-sources.js';
import { NotFoundError } from '../errors/domain-errors.js';

/** Dashboard ids are UUIDs: anything else is unknown without asking the store. */
export const DASHBOARD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Who asks: the authenticated user. */
export interface DashboardViewer {
  id: number;
  userType: string;
}

/** No such dashboard, or not the viewer's: the same answer (404). */
/** 404: no such dashboard, or not the viewer's. */
export class DashboardNotFound extends NotFoundError {
  constructor(readonly id: string) {
    super(`No dashboard with id ${JSON.stringify(id.slice(0, 64))}.`);
    this.name = 'DashboardNotFound';
  }
}

/** Administrators see and change every dashboard; other users only their own. */
export function mayAccess(viewer: DashboardViewer, dashboard: Dashboard): boolean {
  return dashboard.owner === viewer.id || viewer.userType === 'admin';
}

/** The tables whose changes may move a widget of `endpoint`. */
function tablesOf(endpoint: WidgetEndpoint): readonly string[] {
  if (endpoint === 'real_time_stats') return REAL_TIME_TABLES;
  // The KPIs read most tables (business, operational and quality figures): any replicated one.
  if (endpoint === 'kpis') return STATISTICS_SOURCE_TABLES.global_statistics;
  return STATISTICS_SOURCE_TABLES[endpoint];
}

@Injectable()
export class DashboardsService implements OnModuleInit {
  private readonly logger = new Logger('statistics.dashboards');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DashboardsRepository) private readonly dashboards: DashboardsRepository,
    @Inject(StatisticsService) private readonly statistics: StatisticsService,
    @Inject(INGEST) private readonly ingest: DataFreshness,
    @Inject(RoomDirectory) private readonly rooms: RoomDirectory,
    @Inject(StatisticsGateway) private readonly gateway: StatisticsGateway,
  ) {}

  onModuleInit(): void {
    this.rooms.register('dashboard', (argument) => {
      if (argument === null || !DASHBOARD_ID.test(argument)) throw new RoomRefused('dashboard rooms are dashboard:<dashboard id>');
      return this.roomSource(argument);
    });
  }

  /**
   * The viewer's dashboards, oldest first; `owner` (administrators only: checked by the controller)
   * lists another user's, or 'all' everyone's. The viewer's own first list gives them the default
   * dashboard, once.
   */
  async list(viewer: DashboardViewer, owner: number | 'all' | null): Promise<Dashboard[]> {
    if (owner === 'all') return this.dashboards.listAll();
    if (owner !== null && owner !== viewer.id) return this.dashboards.listByOwner(owner);
    const given = await this.dashboards.giveDefault(viewer.id, defaultDashboard(this.config.dashboards));
    if (given) this.logger.log({ message: 'default dashboard given', dashboard_id: given.id, user_id: viewer.id });
    return this.dashboards.listByOwner(viewer.id);
  }

  async create(viewer: DashboardViewer, input: DashboardInput): Promise<Dashboard> {
    const dashboard = await this.dashboards.create(viewer.id, input);
    this.logger.log({ message: 'dashboard created', dashboard_id: dashboard.id, user_id: viewer.id, widgets: dashboard.widgets.length });
    return dashboard;
  }

  /** The dashboard if the viewer may see it; DashboardNotFound otherwise (or for a malformed id). */
  async get(viewer: DashboardViewer, id: string): Promise<Dashboard> {
    const dashboard = DASHBOARD_ID.test(id) ? await this.dashboards.get(id) : null;
    if (!dashboard || !mayAccess(viewer, dashboard)) throw new DashboardNotFound(id);
    return dashboard;
  }

  async update(viewer: DashboardViewer, id: string, patch: DashboardPatch): Promise<Dashboard> {
    await this.get(viewer, id);
    const dashboard = await this.dashboards.update(id, patch);
    if (!dashboard) throw new DashboardNotFound(id);
    this.logger.log({ message: 'dashboard updated', dashboard_id: id, user_id: viewer.id, fields: Object.keys(patch) });
    // Screens watching it here see the change now (other replicas at their next tick).
    this.gateway.refresh(`dashboard:${id}`);
    return dashboard;
  }

  async delete(viewer: DashboardViewer, id: string): Promise<Dashboard> {
    const dashboard = await this.get(viewer, id);
    if (!(await this.dashboards.delete(id))) throw new DashboardNotFound(id);
    this.logger.log({ message: 'dashboard deleted', dashboard_id: id, user_id: viewer.id });
    this.gateway.refresh(`dashboard:${id}`);
    return dashboard;
  }

  /** Every widget's value now, through the statistics service and its cache. */
  async data(dashboard: Dashboard): Promise<DashboardData> {
    const generatedAt = new Date().toISOString();
    const gathered = await gatherWidgets(this.statistics, this.ingest, dashboard.widgets);
    return {
      dashboard_id: dashboard.id,
      generated_at: generatedAt,
      dashboard_updated_at: dashboard.updated_at,
      data_as_of: gathered.dataAsOf,
      widgets: gathered.widgets,
      partial: false,
    };
  }

  /**
   * Room `dashboard:<id>`: its owner and administrators may join; the payload is the data endpoint's
   * answer, read again from the store at each computation (a renamed widget or a new one shows at
   * the next push). Change-driven pushes carry only the widgets whose value moved (`partial`).
   */
  private roomSource(id: string): RoomSource {
    // Every table until the dashboard is loaded, then the ones its widgets read (the gateway keeps
    // this array and reads it at each change, so it is updated in place).
    const tables: string[] = [...new Set([...REAL_TIME_TABLES, ...STATISTICS_SOURCE_TABLES.global_statistics])];
    return {
      tables,
      tick: true,
      volatile: ['generated_at', 'data_as_of'],
      admit: async (viewer) => {
        const dashboard = await this.dashboards.get(id);
        if (!dashboard || !mayAccess(viewer, dashboard)) throw new RoomRefused(`unknown dashboard ${id}`);
      },
      current: async () => {
        const dashboard = await this.dashboards.get(id);
        if (!dashboard) {
          // Deleted while watched: an empty dashboard, so screens show it is gone rather than old numbers.
          const gone: DashboardData & { deleted: true } = {
            dashboard_id: id,
            generated_at: new Date().toISOString(),
            dashboard_updated_at: null,
            data_as_of: null,
            widgets: [],
            partial: false,
            deleted: true,
          };
          return { data: gone, data_as_of: null };
        }
        tables.splice(0, tables.length, ...tablesRead(dashboard));
        const data = await this.data(dashboard);
        return { data, data_as_of: data.data_as_of };
      },
      delta: (previous, next) => moved(previous as DashboardData, next as DashboardData),
    };
  }
}

/** The tables whose changes may move one of the dashboard's widgets. */
export function tablesRead(dashboard: Dashboard): string[] {
  return [...new Set(dashboard.widgets.flatMap((widget) => tablesOf(widget.source.endpoint as WidgetEndpoint)))];
}

/** The widgets of `next` whose value differs from `previous` (new widgets included): a partial update. */
export function moved(previous: DashboardData, next: DashboardData): DashboardData {
  const before = new Map<string, string>(previous.widgets.map((widget: WidgetData) => [widget.id, JSON.stringify(widget.value)]));
  const changed = next.widgets.filter((widget) => before.get(widget.id) !== JSON.stringify(widget.value));
  // A widget removed from the dashboard is not a number that moved: a full payload tells the screen.
  const removed = previous.widgets.some((widget) => !next.widgets.some((candidate) => candidate.id === widget.id));
  return removed ? next : { ...next, widgets: changed, partial: true };
}
