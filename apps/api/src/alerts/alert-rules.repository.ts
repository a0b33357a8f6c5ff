// Alert rules in the state store (table alert_rules, state/migrations/*/0001_alert_rules.sql): the
// only place their SQL lives, the same SQL on SQLite and Postgres. A deleted user rule is gone; a
// deleted default rule keeps a tombstone row (deleted_at) so that the next start does not bring it
// back, and every read leaves tombstones out.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AlertThresholds } from '../../../../libs/config/src/config.js';
import type { AlertRule, AlertRuleInput } from '../../../../libs/metrics/src/alerts.js';
import type { StateParameter, StateQueries, StateStore } from '../../../../libs/state/src/store.js';
import { STATE_STORE } from '../tokens.js';
import { defaultAlertRules } from './default-alert-rules.js';
import { applyAlertRulePatch, type AlertRulePatch } from './dto/alert-rule.js';

interface AlertRuleRow {
  id: string;
  name: string;
  kind: AlertRule['kind'];
  metric: AlertRule['metric'];
  comparison: AlertRule['comparison'];
  threshold: number | null;
  time_window: AlertRule['window'];
  group_by: AlertRule['group_by'];
  sensitivity: number | null;
  history_weeks: number | null;
  severity: AlertRule['severity'];
  cooldown_seconds: number;
  scope_city: string | null;
  scope_specialty: string | null;
  /** 0/1 on both dialects (libs/state/src/store.ts). */
  enabled: number;
  source: AlertRule['source'];
  created_at: string;
  updated_at: string;
}

const COLUMNS = `id, name, kind, metric, comparison, threshold, time_window, group_by, sensitivity, history_weeks,
  severity, cooldown_seconds, scope_city, scope_specialty, enabled, source, created_at, updated_at`;

function toAlertRule(row: AlertRuleRow): AlertRule {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    metric: row.metric,
    comparison: row.comparison,
    threshold: row.threshold,
    window: row.time_window,
    group_by: row.group_by,
    sensitivity: row.sensitivity,
    history_weeks: row.history_weeks,
    severity: row.severity,
    cooldown_seconds: row.cooldown_seconds,
    scope: { city: row.scope_city, specialty: row.scope_specialty },
    enabled: row.enabled === 1,
    source: row.source,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** The values of the rule's own columns, in the order of RULE_COLUMNS. */
function ruleValues(input: AlertRuleInput): StateParameter[] {
  return [
    input.name,
    input.kind,
    input.metric,
    input.comparison,
    input.threshold,
    input.window,
    input.group_by,
    input.sensitivity,
    input.history_weeks,
    input.severity,
    input.cooldown_seconds,
    input.scope.city,
    input.scope.specialty,
    input.enabled,
  ];
}

const RULE_COLUMNS = `name, kind, metric, comparison, threshold, time_window, group_by, sensitivity, history_weeks,
  severity, cooldown_seconds, scope_city, scope_specialty, enabled`;

const INSERT = `INSERT INTO alert_rules (id, ${RULE_COLUMNS}, source, edited, created_at, updated_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 0, $17, $17)`;

export interface EnsuredDefaults {
  /** Ids of the default rules created by this call (first start, or a default added since). */
  created: string[];
  /** Ids of unedited default rules whose threshold now follows a changed environment. */
  followed: string[];
}

@Injectable()
export class AlertRulesRepository {
  private readonly logger = new Logger('statistics.alerts');

  constructor(@Inject(STATE_STORE) private readonly store: StateStore) {}

  /** Oldest first. */
  async list(): Promise<AlertRule[]> {
    const rows = await this.store.query<AlertRuleRow>(`SELECT ${COLUMNS} FROM alert_rules WHERE deleted_at IS NULL ORDER BY created_at, id`);
    return rows.map(toAlertRule);
  }

  async get(id: string): Promise<AlertRule | null> {
    return this.find(this.store, id, false);
  }

  async create(input: AlertRuleInput): Promise<AlertRule> {
    const id = randomUUID();
    const now = new Date().toISOString();
    await this.store.execute(INSERT, [id, ...ruleValues(input), 'user', now]);
    return { id, ...input, scope: { ...input.scope }, source: 'user', created_at: now, updated_at: now };
  }

  /**
   * Applies `patch` to the rule and validates the result (AlertRuleValidationError when invalid);
   * null when no rule has this id. A changed default rule no longer follows the environment.
   */
  async update(id: string, patch: AlertRulePatch): Promise<AlertRule | null> {
    return this.store.transaction(async (tx) => {
      const current = await this.find(tx, id, true);
      if (!current) return null;
      if (Object.keys(patch).length === 0) return current;
      const next = applyAlertRulePatch(current, patch);
      const now = new Date().toISOString();
      await tx.execute(
        `UPDATE alert_rules SET (${RULE_COLUMNS}) = ($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15), edited = 1, updated_at = $16
         WHERE id = $1`,
        [id, ...ruleValues(next), now],
      );
      return { ...current, ...next, scope: { ...next.scope }, updated_at: now };
    });
  }

  /** False when no rule has this id (or it was already deleted). */
  async delete(id: string): Promise<boolean> {
    return this.store.transaction(async (tx) => {
      const now = new Date().toISOString();
      const tombstoned = await tx.execute(
        "UPDATE alert_rules SET deleted_at = $2, updated_at = $2 WHERE id = $1 AND source = 'default' AND deleted_at IS NULL",
        [id, now],
      );
      const deleted = await tx.execute("DELETE FROM alert_rules WHERE id = $1 AND source = 'user'", [id]);
      return tombstoned + deleted > 0;
    });
  }

  /**
   * Creates the default rules that were never created (ON CONFLICT DO NOTHING: safe when replicas
   * start together), and moves unedited default threshold rules to the environment's thresholds.
   * Edited defaults keep the user's values; deleted ones stay deleted (their tombstone conflicts).
   */
  async ensureDefaults(thresholds: AlertThresholds): Promise<EnsuredDefaults> {
    const defaults = defaultAlertRules(thresholds);
    const result = await this.store.transaction(async (tx) => {
      const ensured: EnsuredDefaults = { created: [], followed: [] };
      const start = Date.now();
      for (const [index, rule] of defaults.entries()) {
        // One millisecond apart: the defaults list in their declared order.
        const createdAt = new Date(start + index).toISOString();
        const inserted = await tx.execute(`${INSERT} ON CONFLICT (id) DO NOTHING`, [rule.id, ...ruleValues(rule.input), 'default', createdAt]);
        if (inserted > 0) {
          ensured.created.push(rule.id);
        } else if (rule.followsEnvironment) {
          const followed = await tx.execute(
            `UPDATE alert_rules SET threshold = $2, name = $3, updated_at = $4
             WHERE id = $1 AND source = 'default' AND edited = 0 AND deleted_at IS NULL AND (threshold <> $2 OR name <> $3)`,
            [rule.id, rule.input.threshold, rule.input.name, new Date().toISOString()],
          );
          if (followed > 0) ensured.followed.push(rule.id);
        }
      }
      return ensured;
    });
    this.logger.log({ message: 'default alert rules ensured', created: result.created, following_environment: result.followed });
    return result;
  }

  private async find(queries: StateQueries, id: string, forUpdate: boolean): Promise<AlertRule | null> {
    // FOR UPDATE: a concurrent PATCH of the same rule waits rather than being lost. SQLite has no
    // row locks and needs none: its transactions hold the file's write lock from the start.
    const lock = forUpdate && queries.dialect === 'postgres' ? ' FOR UPDATE' : '';
    const rows = await queries.query<AlertRuleRow>(`SELECT ${COLUMNS} FROM alert_rules WHERE id = $1 AND deleted_at IS NULL${lock}`, [id]);
    return rows[0] ? toAlertRule(rows[0]) : null;
  }
}
