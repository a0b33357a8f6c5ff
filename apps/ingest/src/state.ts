// The ingest's bookkeeping in ClickHouse (_ingest_state): whether the snapshot finished, and the
// last transaction applied. Kept beside the data it describes, so wiping ClickHouse forces a new snapshot.
import type { ClickHouse } from '../../../libs/clickhouse/src/clickhouse.js';

export interface SnapshotState {
  status: 'running' | 'done';
  startedAt: string;
  finishedAt?: string;
  consistentPoint?: string;
  rows?: Record<string, number>;
}

/** consistent = the signed logs and aggregates match the current-state tables (clean stop). */
export interface DerivedState {
  consistent: boolean;
}

export interface Checkpoint {
  lsn: string;
  commitTime: string;
}

export class IngestStateStore {
  constructor(private readonly clickhouse: ClickHouse) {}

  snapshot(): Promise<SnapshotState | null> {
    return this.read<SnapshotState>('snapshot');
  }

  checkpoint(): Promise<Checkpoint | null> {
    return this.read<Checkpoint>('checkpoint');
  }

  derived(): Promise<DerivedState | null> {
    return this.read<DerivedState>('derived');
  }

  saveDerived(state: DerivedState): Promise<void> {
    return this.write('derived', state);
  }

  saveSnapshot(state: SnapshotState): Promise<void> {
    return this.write('snapshot', state);
  }

  saveCheckpoint(checkpoint: Checkpoint): Promise<void> {
    return this.write('checkpoint', checkpoint);
  }

  private async read<T>(key: string): Promise<T | null> {
    const rows = await this.clickhouse.query<{ value: string }>(
      'SELECT value FROM _ingest_state FINAL WHERE key = {key:String}',
      { key },
    );
    return rows[0] ? (JSON.parse(rows[0].value) as T) : null;
  }

  private async write(key: string, value: object): Promise<void> {
    await this.clickhouse.command(
      'INSERT INTO _ingest_state (key, value, updated_at) VALUES ({key:String}, {value:String}, now64(6))',
      { key, value: JSON.stringify(value) },
    );
  }
}
