// A batch: decoded pgoutput messages gathered into one batch of whole transactions, keeping
// per row only its latest change (an insert then two updates of one request in a batch write one
// image). Pure: batcher.ts decides when a batch is written.
import type { PgOutputMessage } from './pgoutput.js';
import { rowImageJson } from './convert.js';
import { tableSpec } from './tables.js';

/** The latest change of one row within a batch: its new image, or null when deleted. */
export interface RowChange {
  image: string | null;
  version: bigint;
}

export interface Batch {
  /** Per replicated table, per row key (`id` as text), the row's latest change. */
  rows: Map<string, Map<string, RowChange>>;
  truncated: Set<string>;
  changes: number;
  transactions: number;
  /** End of the last transaction committed into the batch (its acknowledgement position). */
  endLsn: bigint;
  commitTime: Date | null;
}

export function emptyBatch(): Batch {
  return { rows: new Map(), truncated: new Set(), changes: 0, transactions: 0, endLsn: 0n, commitTime: null };
}

/** What a message did to the stream: a transaction began or committed, or nothing the caller must act on. */
export type BatchEvent = 'begin' | 'commit' | null;

/**
 * Adds one message, at WAL position `version`, to `batch`. Changes of tables we do not replicate
 * (or of another schema) are ignored; a change we cannot apply exactly throws.
 */
export function addToBatch(batch: Batch, message: PgOutputMessage, version: bigint): BatchEvent {
  switch (message.tag) {
    case 'begin':
      return 'begin';
    case 'insert':
    case 'update': {
      const table = tableSpec(message.relation.name);
      if (!table || message.relation.schema !== 'public') return null;
      if (message.row.unchanged.some((name) => table.columns.some((column) => column.name === name))) {
        throw new Error(`${table.name}: an update left a replicated column as an unchanged TOAST value; set REPLICA IDENTITY FULL on it`);
      }
      const id = message.row.values.get('id');
      if (id === undefined || id === null) throw new Error(`${table.name}: change without id`);
      rowsOf(batch, table.name).set(id, { image: rowImageJson(table, message.row.values), version });
      batch.changes += 1;
      return null;
    }
    case 'delete': {
      const table = tableSpec(message.relation.name);
      if (!table || message.relation.schema !== 'public') return null;
      const id = message.key.values.get('id');
      if (id === undefined || id === null) throw new Error(`${table.name}: delete without id`);
      rowsOf(batch, table.name).set(id, { image: null, version });
      batch.changes += 1;
      return null;
    }
    case 'truncate':
      for (const relation of message.relations) {
        if (!tableSpec(relation.name) || relation.schema !== 'public') continue;
        batch.rows.delete(relation.name);
        batch.truncated.add(relation.name);
        batch.changes += 1;
      }
      return null;
    case 'commit':
      batch.transactions += 1;
      batch.endLsn = message.endLsn;
      batch.commitTime = message.commitTime;
      return 'commit';
    case 'relation':
    case 'other':
      return null;
  }
}

function rowsOf(batch: Batch, table: string): Map<string, RowChange> {
  let rows = batch.rows.get(table);
  if (!rows) {
    rows = new Map();
    batch.rows.set(table, rows);
  }
  return rows;
}
