// Bulk loads into the operational tables go much faster without their secondary indexes, unique
// and foreign-key constraints. This reads their definitions from the catalog and drops them; the
// caller loads, then recreates them from those definitions (so Postgres re-checks every row).
import type pg from 'pg';

export interface ConstraintDefinition {
  table_name: string;
  name: string;
  definition: string;
  type: 'f' | 'u';
}

export interface IndexDefinition {
  table_name: string;
  name: string;
  definition: string;
}

export interface SecondaryStructures {
  foreignKeys: ConstraintDefinition[];
  uniques: ConstraintDefinition[];
  /** Indexes that back no constraint (the constraints bring their own). */
  indexes: IndexDefinition[];
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export async function dropSecondaryStructures(client: pg.ClientBase, tables: readonly string[]): Promise<SecondaryStructures> {
  const constraints = await client.query<ConstraintDefinition>(
    `SELECT c.conrelid::regclass::text AS table_name, c.conname AS name, pg_get_constraintdef(c.oid) AS definition,
            c.contype AS type
       FROM pg_constraint c
      WHERE c.conrelid = ANY ($1::regclass[]) AND c.contype IN ('f', 'u')
      ORDER BY c.contype, c.conrelid, c.conname`,
    [tables],
  );
  const indexes = await client.query<IndexDefinition>(
    `SELECT i.indrelid::regclass::text AS table_name, i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
       FROM pg_index i
      WHERE i.indrelid = ANY ($1::regclass[])
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)
      ORDER BY i.indexrelid`,
    [tables],
  );
  const structures: SecondaryStructures = {
    foreignKeys: constraints.rows.filter((c) => c.type === 'f'),
    uniques: constraints.rows.filter((c) => c.type === 'u'),
    indexes: indexes.rows,
  };
  for (const fk of structures.foreignKeys) await client.query(`ALTER TABLE ${fk.table_name} DROP CONSTRAINT ${quoteIdent(fk.name)}`);
  for (const unique of structures.uniques) await client.query(`ALTER TABLE ${unique.table_name} DROP CONSTRAINT ${quoteIdent(unique.name)}`);
  for (const index of structures.indexes) await client.query(`DROP INDEX ${index.name}`);
  return structures;
}
