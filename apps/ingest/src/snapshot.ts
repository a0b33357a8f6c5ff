// The initial snapshot: the replication slot is created first, and every replicated table is
// copied (COPY … TO STDOUT straight into ClickHouse as TSV) inside a transaction on the slot's
// exported snapshot, so the copy holds exactly the transactions committed before the slot's
// consistent point and streaming resumes right after it.
import type { Logger } from '@nestjs/common';
import type pg from 'pg';
import pgCopyStreams from 'pg-copy-streams';
import type { ClickHouse } from '../../../libs/clickhouse/src/clickhouse.js';
import type { SnapshotProgress } from '../../../libs/ingest-feed/src/feed.js';
import { clickhouseColumns, snapshotSelect } from './convert.js';
import { formatLsn } from './pgoutput.js';
import type { ReplicationConnection } from './replication.js';
import type { SourceDatabase } from './source.js';
import type { IngestStateStore, SnapshotState } from './state.js';
import { REPLICATED_TABLES, type TableSpec } from './tables.js';

export interface SnapshotJob {
  clickhouse: ClickHouse;
  source: SourceDatabase;
  state: IngestStateStore;
  replication: ReplicationConnection;
  slot: string;
  /** A slot left by an unfinished snapshot exists: it is dropped first. */
  slotExists: boolean;
  /** Updated as the copy goes (the ingest's status shows it). */
  progress: SnapshotProgress;
  logger: Logger;
}

/** Takes the snapshot and records it; returns the slot's consistent point and when the snapshot began. */
export async function takeSnapshot(job: SnapshotJob): Promise<{ consistentPoint: bigint; startedAt: Date }> {
  const { clickhouse, source, state, slot, progress, logger } = job;
  const startedAt = new Date();
  await state.saveSnapshot({ status: 'running', startedAt: startedAt.toISOString() });
  if (job.slotExists) {
    // A slot without a finished snapshot (crash mid-snapshot, or ClickHouse data wiped): start over.
    await source.dropSlot(slot);
    logger.warn({ message: 'dropped replication slot left by an unfinished snapshot', slot });
  }
  for (const table of REPLICATED_TABLES) await clickhouse.command(`TRUNCATE TABLE IF EXISTS ${table.name}`);
  // Postgres waits for transactions already running to finish before the slot is ready.
  logger.log({ message: 'creating the replication slot (waits for running transactions)', slot });
  const { consistentPoint, snapshotName } = await job.replication.createSlot(slot);
  logger.log({ message: 'replication slot created', slot, consistentPoint: formatLsn(consistentPoint) });

  Object.assign(progress, { status: 'running', startedAt: startedAt.toISOString(), rowsDone: 0, finishedAt: null });
  const rowsPerTable: Record<string, number> = {};
  await source.with(async (client) => {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`SET TRANSACTION SNAPSHOT '${snapshotName.replace(/'/g, "''")}'`);
    progress.rowsTotal = 0;
    for (const table of REPLICATED_TABLES) {
      const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM public."${table.name}"`);
      progress.rowsTotal += Number(rows[0]!.n);
    }
    const reporter = setInterval(() => reportProgress(progress, startedAt, logger), 2000);
    try {
      for (const table of REPLICATED_TABLES) {
        progress.table = table.name;
        rowsPerTable[table.name] = await copyTable(clickhouse, client, table, progress);
      }
    } finally {
      clearInterval(reporter);
    }
    await client.query('COMMIT');
  });
  const finishedAt = new Date();
  const seconds = (finishedAt.getTime() - startedAt.getTime()) / 1000;
  Object.assign(progress, {
    status: 'done',
    table: null,
    etaSeconds: 0,
    finishedAt: finishedAt.toISOString(),
    rowsPerSecond: Math.round(progress.rowsDone / Math.max(seconds, 0.001)),
  });
  await state.saveSnapshot({
    status: 'done',
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    consistentPoint: formatLsn(consistentPoint),
    rows: rowsPerTable,
  });
  // The snapshot holds every transaction committed before the slot's consistent point.
  await state.saveCheckpoint({ lsn: formatLsn(consistentPoint), commitTime: startedAt.toISOString() });
  logger.log({
    message: 'snapshot finished',
    rows: progress.rowsDone,
    seconds: Number(seconds.toFixed(2)),
    rowsPerSecond: progress.rowsPerSecond,
    perTable: rowsPerTable,
  });
  return { consistentPoint, startedAt };
}

/** The progress of a snapshot finished in an earlier run, as the status shows it. */
export function finishedSnapshotProgress(snapshot: SnapshotState): Partial<SnapshotProgress> {
  const rows = Object.values(snapshot.rows ?? {}).reduce((sum, n) => sum + n, 0);
  return {
    status: 'done',
    rowsDone: rows,
    rowsTotal: rows,
    etaSeconds: 0,
    startedAt: snapshot.startedAt,
    finishedAt: snapshot.finishedAt ?? null,
  };
}

function reportProgress(progress: SnapshotProgress, startedAt: Date, logger: Logger): void {
  const seconds = (Date.now() - startedAt.getTime()) / 1000;
  progress.rowsPerSecond = Math.round(progress.rowsDone / Math.max(seconds, 0.001));
  const left = Math.max(progress.rowsTotal - progress.rowsDone, 0);
  progress.etaSeconds = progress.rowsPerSecond > 0 ? Math.round(left / progress.rowsPerSecond) : null;
  logger.log({
    message: 'snapshot progress',
    table: progress.table,
    rowsDone: progress.rowsDone,
    rowsTotal: progress.rowsTotal,
    rowsPerSecond: progress.rowsPerSecond,
    etaSeconds: progress.etaSeconds,
  });
}

/** COPY one table out of Postgres straight into ClickHouse as TSV; returns the row count. */
async function copyTable(clickhouse: ClickHouse, client: pg.Client, table: TableSpec, progress: SnapshotProgress): Promise<number> {
  const copy = client.query(pgCopyStreams.to(`COPY (${snapshotSelect(table)}) TO STDOUT`));
  let rows = 0;
  async function* counted(): AsyncIterable<Buffer> {
    for await (const chunk of copy as AsyncIterable<Buffer>) {
      let newlines = 0;
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) newlines++;
      rows += newlines;
      progress.rowsDone += newlines;
      yield chunk;
    }
  }
  await clickhouse.insert({ table: table.name, format: 'TabSeparated', values: counted(), columns: clickhouseColumns(table) });
  return rows;
}
