// The audit log of administrators' actions, in the state store (state/migrations/*/0007_audit_log.sql):
// controllers call record() once their action has taken effect, with the request that asked for
// it (who, from where). A write that fails is an error of the request, never skipped in silence:
// the action itself is done by then, and the caller is told the trail is missing.
import { Inject, Injectable } from '@nestjs/common';
import type { StateStore } from '../../../../libs/state/src/store.js';
import type { AuthenticatedUser } from '../auth/admin.guard.js';
import { STATE_STORE } from '../tokens.js';

export const AUDIT_ACTIONS = [
  'alert_rule.created',
  'alert_rule.updated',
  'alert_rule.deleted',
  'alert.acknowledged',
  'alert.resolved',
  'cache.purged',
  'export.created',
  'export.deleted',
  'export.downloaded',
  'report_schedule.created',
  'report_schedule.updated',
  'report_schedule.deleted',
  'report_schedule.run',
  'dashboard.created',
  'dashboard.updated',
  'dashboard.deleted',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** What record() reads from the request: its user (absent for a signed download link) and address. */
export interface AuditedRequest {
  user?: AuthenticatedUser;
  ip: string;
}

export interface AuditEntry {
  id: number;
  at: string;
  user_id: number | null;
  action: AuditAction;
  target_id: string | null;
  ip: string | null;
  detail: Record<string, unknown>;
}

export interface AuditQuery {
  action: AuditAction | null;
  userId: number | null;
  from: Date | null;
  to: Date | null;
  page: number;
  pageSize: number;
}

interface AuditRow {
  id: number;
  at: string;
  user_id: number | null;
  action: string;
  target_id: string | null;
  ip: string | null;
  detail: string;
}

@Injectable()
export class AuditLog {
  constructor(@Inject(STATE_STORE) private readonly store: StateStore) {}

  async record(request: AuditedRequest, action: AuditAction, targetId: string | null, detail: Record<string, unknown> = {}): Promise<void> {
    await this.store.execute(
      'INSERT INTO audit_log (at, user_id, action, target_id, ip, detail) VALUES ($1, $2, $3, $4, $5, $6)',
      [new Date().toISOString(), request.user?.id ?? null, action, targetId, request.ip, JSON.stringify(detail)],
    );
  }

  /** Newest first; `to` is exclusive. */
  async list(query: AuditQuery): Promise<{ count: number; results: AuditEntry[] }> {
    const conditions: string[] = [];
    const params: Array<string | number> = [];
    const where = (condition: (placeholder: string) => string, value: string | number): void => {
      params.push(value);
      conditions.push(condition(`$${params.length}`));
    };
    if (query.action !== null) where((p) => `action = ${p}`, query.action);
    if (query.userId !== null) where((p) => `user_id = ${p}`, query.userId);
    if (query.from !== null) where((p) => `at >= ${p}`, query.from.toISOString());
    if (query.to !== null) where((p) => `at < ${p}`, query.to.toISOString());
    const filter = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
    const [total] = await this.store.query<{ count: number }>(`SELECT CAST(COUNT(*) AS INTEGER) AS count FROM audit_log ${filter}`, params);
    const rows = await this.store.query<AuditRow>(
      `SELECT id, at, user_id, action, target_id, ip, detail FROM audit_log ${filter}
       ORDER BY at DESC, id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, query.pageSize, (query.page - 1) * query.pageSize],
    );
    return {
      count: total!.count,
      results: rows.map((row) => ({ ...row, action: row.action as AuditAction, detail: JSON.parse(row.detail) as Record<string, unknown> })),
    };
  }
}
