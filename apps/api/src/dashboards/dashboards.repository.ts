// Dashboards in the state store (tables dashboards and dashboard_defaults, state/migrations/*/0009–
// 0011): the only place their SQL lives, the same SQL on SQLite and Postgres. Layout and widgets are
// stored as the validated JSON of the API. At most one dashboard per owner is_default: setting it on
// one clears it on the others in the same transaction.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Dashboard, DashboardLayout, DashboardWidget } from '../../../../libs/metrics/src/dashboards.js';
import type { StateQueries, StateStore } from '../../../../libs/state/src/store.js';
import { STATE_STORE } from '../tokens.js';
import type { DashboardInput, DashboardPatch } from './dto/dashboard.js';

interface DashboardRow {
  id: string;
  owner_id: number;
  name: string;
  /** 0/1 on both dialects (libs/state/src/store.ts). */
  is_default: number;
  refresh_seconds: number;
  layout: string;
  widgets: string;
  created_at: string;
  updated_at: string;
}

const COLUMNS = 'id, owner_id, name, is_default, refresh_seconds, layout, widgets, created_at, updated_at';

function toDashboard(row: DashboardRow): Dashboard {
  return {
    id: row.id,
    name: row.name,
    owner: row.owner_id,
    is_default: row.is_default === 1,
    refresh_seconds: row.refresh_seconds,
    layout: JSON.parse(row.layout) as DashboardLayout,
    widgets: JSON.parse(row.widgets) as DashboardWidget[],
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** Widgets given without an id get a new one; ids given are kept (the client's handle on its widget). */
function withIds(widgets: DashboardInput['widgets']): DashboardWidget[] {
  return widgets.map((widget) => ({ ...widget, id: widget.id ?? randomUUID() }));
}

@Injectable()
export class DashboardsRepository {
  constructor(@Inject(STATE_STORE) private readonly store: StateStore) {}

  /** The owner's dashboards, oldest first. */
  async listByOwner(ownerId: number): Promise<Dashboard[]> {
    const rows = await this.store.query<DashboardRow>(`SELECT ${COLUMNS} FROM dashboards WHERE owner_id = $1 ORDER BY created_at, id`, [ownerId]);
    return rows.map(toDashboard);
  }

  /** Every dashboard, oldest first (an administrator looking at everyone's). */
  async listAll(): Promise<Dashboard[]> {
    const rows = await this.store.query<DashboardRow>(`SELECT ${COLUMNS} FROM dashboards ORDER BY created_at, id`);
    return rows.map(toDashboard);
  }

  async get(id: string): Promise<Dashboard | null> {
    return this.find(this.store, id, false);
  }

  async create(ownerId: number, input: DashboardInput): Promise<Dashboard> {
    return this.store.transaction((tx) => this.insert(tx, ownerId, input));
  }

  /**
   * Creates `input` for the owner unless they were already given the default dashboard (even if
   * they deleted it since); null when they were. Safe when two requests race: one row per owner.
   */
  async giveDefault(ownerId: number, input: DashboardInput): Promise<Dashboard | null> {
    // Every list asks: a plain read first, so that only a user's first list takes the write lock.
    const known = await this.store.query<{ owner_id: number }>('SELECT owner_id FROM dashboard_defaults WHERE owner_id = $1', [ownerId]);
    if (known.length > 0) return null;
    return this.store.transaction(async (tx) => {
      const given = await tx.execute('INSERT INTO dashboard_defaults (owner_id, given_at) VALUES ($1, $2) ON CONFLICT (owner_id) DO NOTHING', [
        ownerId,
        new Date().toISOString(),
      ]);
      if (given === 0) return null;
      return this.insert(tx, ownerId, input);
    });
  }

  /** The dashboard after the patch; null when no dashboard has this id. */
  async update(id: string, patch: DashboardPatch): Promise<Dashboard | null> {
    return this.store.transaction(async (tx) => {
      const current = await this.find(tx, id, true);
      if (!current) return null;
      if (Object.keys(patch).length === 0) return current;
      const next: Dashboard = {
        ...current,
        ...(patch.name === undefined ? {} : { name: patch.name }),
        ...(patch.is_default === undefined ? {} : { is_default: patch.is_default }),
        ...(patch.refresh_seconds === undefined ? {} : { refresh_seconds: patch.refresh_seconds }),
        ...(patch.layout === undefined ? {} : { layout: patch.layout }),
        ...(patch.widgets === undefined ? {} : { widgets: withIds(patch.widgets) }),
        updated_at: new Date().toISOString(),
      };
      if (patch.is_default === true) await this.clearDefault(tx, current.owner, id, next.updated_at);
      await tx.execute(
        `UPDATE dashboards SET name = $2, is_default = $3, refresh_seconds = $4, layout = $5, widgets = $6, updated_at = $7 WHERE id = $1`,
        [id, next.name, next.is_default, next.refresh_seconds, JSON.stringify(next.layout), JSON.stringify(next.widgets), next.updated_at],
      );
      return next;
    });
  }

  /** False when no dashboard has this id. */
  async delete(id: string): Promise<boolean> {
    return (await this.store.execute('DELETE FROM dashboards WHERE id = $1', [id])) > 0;
  }

  private async insert(tx: StateQueries, ownerId: number, input: DashboardInput): Promise<Dashboard> {
    const now = new Date().toISOString();
    const dashboard: Dashboard = {
      id: randomUUID(),
      name: input.name,
      owner: ownerId,
      is_default: input.is_default,
      refresh_seconds: input.refresh_seconds,
      layout: input.layout,
      widgets: withIds(input.widgets),
      created_at: now,
      updated_at: now,
    };
    if (dashboard.is_default) await this.clearDefault(tx, ownerId, dashboard.id, now);
    await tx.execute(`INSERT INTO dashboards (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`, [
      dashboard.id,
      ownerId,
      dashboard.name,
      dashboard.is_default,
      dashboard.refresh_seconds,
      JSON.stringify(dashboard.layout),
      JSON.stringify(dashboard.widgets),
      now,
    ]);
    return dashboard;
  }

  private async clearDefault(tx: StateQueries, ownerId: number, exceptId: string, now: string): Promise<void> {
    await tx.execute('UPDATE dashboards SET is_default = 0, updated_at = $3 WHERE owner_id = $1 AND id <> $2 AND is_default = 1', [ownerId, exceptId, now]);
  }

  private async find(queries: StateQueries, id: string, forUpdate: boolean): Promise<Dashboard | null> {
    // FOR UPDATE: a concurrent PATCH of the same dashboard waits rather than being lost. SQLite
    // needs none: its transactions hold the file's write lock from the start.
    const lock = forUpdate && queries.dialect === 'postgres' ? ' FOR UPDATE' : '';
    const rows = await queries.query<DashboardRow>(`SELECT ${COLUMNS} FROM dashboards WHERE id = $1${lock}`, [id]);
    return rows[0] ? toDashboard(rows[0]) : null;
  }
}
