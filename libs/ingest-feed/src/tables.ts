// The operational tables the ingest replicates, by name: what a batch may touch, hence what the
// API's cache versions and live rooms are keyed on. The ingest's column lists for each
// (apps/ingest/src/tables.ts) are typed against this list, so neither can name a table the other lacks.
// Parents first: the demo and the bench generator create, fill and truncate them in this order.
export const REPLICATED_TABLE_NAMES = [
  'users_user',
  'users_auditlog',
  'users_securitynotification',
  'depannage_client',
  'depannage_technician',
  'depannage_repairrequest',
  'depannage_review',
  'depannage_payment',
] as const;

export type ReplicatedTable = (typeof REPLICATED_TABLE_NAMES)[number];
