// What the ingest replicates: for each operational table, the columns copied into ClickHouse and
// how each is converted. Columns not listed here (added upstream or personal data) are ignored, so
// a new upstream column never stops ingestion. Must match clickhouse/migrations.

import { REPLICATED_TABLE_NAMES, type ReplicatedTable } from '../../../libs/ingest-feed/src/tables.js';

export type ColumnKind = 'int' | 'float' | 'numeric' | 'text' | 'bool' | 'timestamp' | 'inet';

export interface ColumnSpec {
  name: string;
  kind: ColumnKind;
  nullable: boolean;
}

export interface TableSpec {
  /** Name in Postgres (schema public) and in ClickHouse. */
  name: ReplicatedTable;
  columns: ColumnSpec[];
  /**
   * The signed change log fed alongside the current-state table, and the aggregate tables its
   * materialized views maintain (rebuilt together from the current state when needed).
   */
  derived?: { signed: string; aggregates: string[] };
}

function col(name: string, kind: ColumnKind, nullable = false): ColumnSpec {
  return { name, kind, nullable };
}

export const REPLICATED_TABLES: readonly TableSpec[] = [
  {
    name: 'users_user',
    derived: { signed: 'users_user_signed', aggregates: ['agg_users_daily'] },
    columns: [
      col('id', 'int'),
      col('username', 'text'),
      col('first_name', 'text'),
      col('last_name', 'text'),
      col('is_staff', 'bool'),
      col('is_active', 'bool'),
      col('is_superuser', 'bool'),
      col('user_type', 'text'),
      col('last_login', 'timestamp', true),
      col('date_joined', 'timestamp'),
      col('created_at', 'timestamp'),
    ],
  },
  {
    name: 'users_auditlog',
    derived: { signed: 'users_auditlog_signed', aggregates: ['agg_audit_daily'] },
    columns: [
      col('id', 'int'),
      col('ip_address', 'inet'),
      col('event_type', 'text'),
      col('status', 'text'),
      col('timestamp', 'timestamp'),
      col('geo_country', 'text'),
      col('geo_city', 'text'),
      col('risk_score', 'int'),
      col('user_id', 'int', true),
    ],
  },
  {
    name: 'users_securitynotification',
    derived: { signed: 'users_securitynotification_signed', aggregates: ['agg_security_daily'] },
    columns: [col('id', 'int'), col('sent_at', 'timestamp'), col('event_type', 'text', true), col('user_id', 'int')],
  },
  {
    name: 'depannage_client',
    columns: [col('id', 'int'), col('user_id', 'int'), col('is_active', 'bool'), col('created_at', 'timestamp')],
  },
  {
    name: 'depannage_technician',
    columns: [
      col('id', 'int'),
      col('user_id', 'int'),
      col('specialty', 'text'),
      col('is_available', 'bool'),
      col('is_verified', 'bool'),
      col('created_at', 'timestamp'),
    ],
  },
  {
    name: 'depannage_repairrequest',
    derived: {
      signed: 'depannage_repairrequest_signed',
      aggregates: ['agg_requests_daily', 'agg_request_completions_daily', 'agg_technician_jobs_daily', 'agg_technician_jobs_all'],
    },
    columns: [
      col('id', 'int'),
      col('created_at', 'timestamp'),
      col('status', 'text'),
      col('specialty_needed', 'text'),
      col('priority', 'text'),
      col('urgency_level', 'text'),
      col('is_urgent', 'bool'),
      col('city', 'text'),
      col('latitude', 'float', true),
      col('longitude', 'float', true),
      col('assigned_at', 'timestamp', true),
      col('started_at', 'timestamp', true),
      col('completed_at', 'timestamp', true),
      col('estimated_price', 'numeric', true),
      col('final_price', 'numeric', true),
      col('client_id', 'int'),
      col('technician_id', 'int', true),
    ],
  },
  {
    name: 'depannage_review',
    derived: {
      signed: 'depannage_review_signed',
      aggregates: ['agg_reviews_daily', 'agg_technician_ratings_daily', 'agg_technician_ratings_all'],
    },
    columns: [
      col('id', 'int'),
      col('created_at', 'timestamp'),
      col('rating', 'int'),
      col('would_recommend', 'bool'),
      col('is_visible', 'bool'),
      col('moderation_status', 'text'),
      col('client_id', 'int'),
      col('request_id', 'int'),
      col('technician_id', 'int'),
    ],
  },
  {
    name: 'depannage_payment',
    derived: { signed: 'depannage_payment_signed', aggregates: ['agg_payments_daily'] },
    columns: [
      col('id', 'int'),
      col('created_at', 'timestamp'),
      col('amount', 'numeric'),
      col('status', 'text'),
      col('method', 'text'),
      col('payment_type', 'text'),
      col('fees', 'numeric'),
      col('processed_at', 'timestamp', true),
      col('payer_id', 'int'),
      col('recipient_id', 'int'),
      col('request_id', 'int'),
    ],
  },
];

// Every replicated table has its spec, once: a table added to one list and not the other fails here.
const specified = REPLICATED_TABLES.map((table) => table.name).sort();
if (specified.join() !== [...REPLICATED_TABLE_NAMES].sort().join()) {
  throw new Error(`replicated tables: specs for ${specified.join(', ')}, names ${REPLICATED_TABLE_NAMES.join(', ')}`);
}

export function tableSpec(name: string): TableSpec | undefined {
  return REPLICATED_TABLES.find((table) => table.name === name);
}
