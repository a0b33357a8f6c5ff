// Creates the operational (Django-shaped) tables from the shared contract file, so that the
// demo and the medium tests run against exactly the schema the statistics read.
import { readFile } from 'node:fs/promises';
import type pg from 'pg';
import { fromRoot } from '../../../libs/config/src/paths.js';
import { REPLICATED_TABLE_NAMES, type ReplicatedTable } from '../../../libs/ingest-feed/src/tables.js';

/** The operational tables that statistics read (and that CDC replicates), parents first: the replicated list itself. */
export const OPERATIONAL_TABLES = REPLICATED_TABLE_NAMES;

export type OperationalTable = ReplicatedTable;

export function operationalSchemaPath(): string {
  return fromRoot('apps', 'demo', 'sql', 'operational-schema.sql');
}

/**
 * Runs the contract DDL in one transaction on an empty database (it has plain CREATE TABLE
 * statements, so a second run fails on the existing tables rather than silently diverging).
 */
export async function createOperationalSchema(client: pg.ClientBase | pg.Pool): Promise<void> {
  const ddl = await readFile(operationalSchemaPath(), 'utf8');
  // Sent as one simple-protocol query: Postgres runs a multi-statement string as a single
  // implicit transaction, so a failure leaves no half-created schema behind.
  await client.query(ddl);
}
