// The latest image the ingest wrote for recently changed rows. A request typically changes several
// times in its first hours (assigned, started, completed, paid); retracting its previous image from
// here saves a ClickHouse lookup per change. It only ever holds what this process wrote to the
// current-state tables, and is cleared whenever that may no longer be true (failed write, truncate).

export interface CachedImage {
  image: string;
  version: bigint;
}

export class ImageCache {
  private readonly tables = new Map<string, Map<string, CachedImage>>();
  private size = 0;

  constructor(private readonly capacity: number) {}

  /** Rows held, all tables together. */
  get rows(): number {
    return this.size;
  }

  get(table: string, id: string): CachedImage | undefined {
    return this.tables.get(table)?.get(id);
  }

  set(table: string, id: string, entry: CachedImage): void {
    let rows = this.tables.get(table);
    if (!rows) {
      rows = new Map();
      this.tables.set(table, rows);
    }
    // Re-inserting moves the row to the young end of the map's insertion order.
    if (rows.delete(id)) this.size -= 1;
    rows.set(id, entry);
    this.size += 1;
    while (this.size > this.capacity) this.evictOldest();
  }

  delete(table: string, id: string): void {
    if (this.tables.get(table)?.delete(id)) this.size -= 1;
  }

  clearTable(table: string): void {
    this.size -= this.tables.get(table)?.size ?? 0;
    this.tables.delete(table);
  }

  clear(): void {
    this.tables.clear();
    this.size = 0;
  }

  private evictOldest(): void {
    // Evict from the largest table: its oldest entries are the least likely to change again.
    let largest: Map<string, CachedImage> | undefined;
    for (const rows of this.tables.values()) if (!largest || rows.size > largest.size) largest = rows;
    const oldest = largest?.keys().next();
    if (!largest || !oldest || oldest.done) return;
    largest.delete(oldest.value);
    this.size -= 1;
  }
}
