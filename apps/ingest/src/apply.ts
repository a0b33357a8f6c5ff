// Applying a batch to ClickHouse: the current-state tables get each row's new image (or a
// tombstone), the signed change logs get the previous image with sign -1 and the new one with
// sign +1 (their materialized views sum them into the daily aggregates), and the checkpoint moves
// only once all of it is written. A change the state already holds (a replay after a reconnect) is
// left out, so nothing is counted twice.
import { Logger } from '@nestjs/common';
import type { ClickHouse } from '../../../libs/clickhouse/src/clickhouse.js';
import type { Batch, RowChange } from './batch.js';
import { signedLine, stateLine, tombstoneLine } from './convert.js';
import { ImageCache, type CachedImage } from './image-cache.js';
import { formatLsn } from './pgoutput.js';
import type { IngestStateStore } from './state.js';
import { REPLICATED_TABLES, tableSpec, type TableSpec } from './tables.js';

export class BatchWriter {
  private readonly logger = new Logger('statistics.ingest');
  private readonly recentImages: ImageCache;
  /** The signed logs and aggregates match the state tables (see IngestFreshness.snapshotDone). */
  private derivedReady = false;

  constructor(
    private readonly clickhouse: ClickHouse,
    private readonly state: IngestStateStore,
    /** How many recently written row images are kept (see ImageCache). */
    imageCapacity = 200_000,
  ) {
    this.recentImages = new ImageCache(imageCapacity);
  }

  /** Whether the signed logs and aggregates may be read (false while they are rebuilt). */
  get ready(): boolean {
    return this.derivedReady;
  }

  /** The derived tables match the state tables as they are (a clean stop left them so). */
  markReady(): void {
    this.derivedReady = true;
  }

  /** After a failed write the state tables may hold part of a batch: no cached image can be trusted. */
  forgetImages(): void {
    this.recentImages.clear();
  }

  /**
   * Rebuilds the signed logs and their aggregates from the current-state tables: after a snapshot,
   * and after an unclean stop (a crash between the signed write and the state write of a batch
   * could otherwise leave them one batch apart).
   */
  async rebuildDerived(): Promise<void> {
    const started = Date.now();
    // Truncated, then refilled: nothing may read them in between.
    this.derivedReady = false;
    for (const spec of REPLICATED_TABLES) {
      if (!spec.derived) continue;
      for (const table of [spec.derived.signed, ...spec.derived.aggregates]) await this.clickhouse.command(`TRUNCATE TABLE ${table}`);
      const columns = spec.columns.map((column) => column.name).join(', ');
      await this.clickhouse.command(
        `INSERT INTO ${spec.derived.signed} (${columns}, _version, sign) SELECT ${columns}, _version, 1 FROM ${spec.name} FINAL`,
      );
    }
    this.derivedReady = true;
    this.logger.log({ message: 'signed logs and aggregates rebuilt from the current state', ms: Date.now() - started });
  }

  /** Rows whose latest image is held in memory (bounded by INGEST_IMAGE_CACHE_ROWS). */
  get cachedImageRows(): number {
    return this.recentImages.rows;
  }

  /** Writes `batch` and then its checkpoint; returns the commit time it stands for. */
  async write(batch: Batch): Promise<Date> {
    for (const name of batch.truncated) {
      const spec = tableSpec(name)!;
      this.recentImages.clearTable(name);
      for (const table of [name, ...(spec.derived ? [spec.derived.signed, ...spec.derived.aggregates] : [])]) {
        await this.clickhouse.command(`TRUNCATE TABLE ${table}`);
      }
    }
    await allEnded([...batch.rows].map(([name, rows]) => this.writeTable(tableSpec(name)!, rows)));
    const commitTime = batch.commitTime ?? new Date();
    await this.state.saveCheckpoint({ lsn: formatLsn(batch.endLsn), commitTime: commitTime.toISOString() });
    return commitTime;
  }

  private async writeTable(spec: TableSpec, rows: Map<string, RowChange>): Promise<void> {
    const name = spec.name;
    // The retractions need the state before this batch: read it before writing the new state.
    const signed = spec.derived ? await this.signedChanges(spec, rows) : null;
    // A replayed change the state already holds is not written again; above all it must not
    // put its older image back in the cache, where the replay of the next change would retract
    // that image a second time (the signed log and the aggregates would count that change twice).
    const changed = signed ? [...rows].filter(([id]) => signed.applied.has(id)) : [...rows];
    const lines = changed.map(([id, change]) => (change.image === null ? tombstoneLine(id, change.version) : stateLine(change.image, change.version)));
    await allEnded([
      lines.length > 0 ? this.clickhouse.insert({ table: name, format: 'JSONEachRow', values: Buffer.from(lines.join('\n')) }) : undefined,
      spec.derived && signed && signed.lines.length > 0
        ? this.clickhouse.insert({ table: spec.derived.signed, format: 'JSONEachRow', values: Buffer.from(signed.lines.join('\n')) })
        : undefined,
    ]);
    if (spec.derived) {
      for (const [id, change] of changed) {
        if (change.image === null) this.recentImages.delete(name, id);
        else this.recentImages.set(name, id, { image: change.image, version: change.version });
      }
    }
  }

  /**
   * For each changed row: the previous image with sign -1 (read from the current-state table) and
   * the new one with sign +1. A change whose version the state table already holds (or a later one,
   * a deletion's tombstone included) was applied before the stream restarted and is left out, so a
   * replay adds nothing; `applied` names the rows that were not left out.
   */
  private async signedChanges(spec: TableSpec, rows: Map<string, RowChange>): Promise<{ lines: string[]; applied: Set<string> }> {
    const columns = spec.columns.map((column) => column.name);
    // The cache is read once, before the lookup: the batch's other tables are written meanwhile, and
    // caching their images can evict this table's. An image read here and evicted during the lookup
    // would otherwise be neither cached nor looked up, and its row's new image added with nothing
    // retracted (counted twice: a 60-minute soak saw it once the cache had filled up).
    const cachedById = new Map<string, CachedImage>();
    for (const id of rows.keys()) {
      const cached = this.recentImages.get(spec.name, id);
      if (cached) cachedById.set(id, cached);
    }
    const uncached = [...rows.keys()].filter((id) => !cachedById.has(id));
    // The latest version of each row, tombstones included (FINAL would hide a deleted row, and a
    // replayed older change of it would then look new). The keys are written into the statement as
    // checked integers (nothing else can get in).
    const previous =
      uncached.length === 0
        ? []
        : await this.clickhouse.query<Record<string, unknown> & { id: number | string; _version: string; _deleted: number }>(
            `SELECT ${columns.join(', ')}, _version, _deleted FROM ${spec.name} WHERE id IN (${uncached.map(integerId).join(', ')})
             ORDER BY id, _version DESC LIMIT 1 BY id
             SETTINGS output_format_json_quote_decimals = 1, output_format_json_quote_64bit_integers = 1`,
          );
    const previousById = new Map(previous.map((row) => [String(row.id), row]));
    const lines: string[] = [];
    const applied = new Set<string>();
    for (const [id, change] of rows) {
      const cached = cachedById.get(id);
      const stored = previousById.get(id);
      const beforeVersion = cached ? cached.version : stored ? BigInt(stored._version) : null;
      if (beforeVersion !== null && beforeVersion >= change.version) continue;
      applied.add(id);
      if (cached) lines.push(signedLine(cached.image, cached.version, -1));
      else if (stored && stored._deleted === 0) {
        const { _deleted, ...image } = stored;
        lines.push(JSON.stringify({ ...image, sign: -1 }));
      }
      if (change.image !== null) lines.push(signedLine(change.image, change.version, 1));
    }
    return { lines, applied };
  }
}

/**
 * Waits for every write to end, then fails with the first failure. Promise.all would fail at the
 * first one with the others still on their way: the ingest would then rebuild the derived tables
 * while a write of the failed batch was still to land, and that write's +1 would be counted on top
 * of a rebuild that already held it (a 60-minute soak saw one request counted twice that way).
 */
async function allEnded(writes: ReadonlyArray<Promise<unknown> | undefined>): Promise<void> {
  const ended = await Promise.allSettled(writes);
  const failure = ended.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failure) throw failure.reason;
}

/** A row key as an integer literal: keys beyond 2^53 would not survive the conversion. */
function integerId(id: string): number {
  const value = Number(id);
  if (!Number.isSafeInteger(value)) throw new Error(`row key "${id}" is not an integer below 2^53`);
  return value;
}
