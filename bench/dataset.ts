// A throwaway operational database filled by the generator, dropped (with its replication slots)
// by the caller's cleanups, and the generator's own figures as a table.
import pg from 'pg';
import { ADMIN_URL, createTestDatabase, type TestDatabase } from '../test/factories/databases.js';
import { generateOperationalData, type GenerateSummary } from './generate.js';
import { printTable, type Cleanups, type TableRow } from './report.js';

export interface GeneratedDatabase {
  db: TestDatabase;
  data: GenerateSummary;
}

export async function generatedDatabase(
  options: { requests: number; parallelism: number; now?: Date },
  cleanups: Cleanups,
): Promise<GeneratedDatabase> {
  const db = await createTestDatabase();
  cleanups.add(`drop database ${db.name}`, () => db.drop());
  console.log(`database ${db.name}: generating ${options.requests.toLocaleString('en')} repair requests...`);
  const data = await generateOperationalData(db.pool, {
    requests: options.requests,
    parallelism: options.parallelism,
    ...(options.now ? { now: options.now } : {}),
    log: (message) => console.log(`  [generate] ${message}`),
  });
  printGenerateSummary(data);
  return { db, data };
}

/**
 * The database to measure on: `options.database` when given (an earlier generated one, kept; its
 * figures are measured as of now), else a freshly generated one (dropped by the cleanups).
 */
export async function benchDatabase(
  options: { requests: number; parallelism: number; database: string | null },
  cleanups: Cleanups,
): Promise<{ db: TestDatabase; now: Date }> {
  if (options.database === null) {
    const { db, data } = await generatedDatabase(options, cleanups);
    return { db, now: data.now };
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${options.database}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
  cleanups.add(`close the pool of ${options.database}`, () => pool.end());
  const { rows } = await pool.query<{ requests: string }>('SELECT count(*) AS requests FROM depannage_repairrequest');
  console.log(`database ${options.database} (kept): ${Number(rows[0]!.requests).toLocaleString('en')} repair requests`);
  return { db: { name: options.database, url: url.toString(), pool, drop: async () => undefined }, now: new Date() };
}

export function printGenerateSummary(data: GenerateSummary): void {
  printTable(
    `generated data set (${data.requests.toLocaleString('en')} requests, ending ${data.now.toISOString()})`,
    Object.entries(data.counts).map(([table, rows]): TableRow => ({ table, rows })),
  );
  printTable('generator speed', [
    ...data.phases.map((phase): TableRow => ({
      phase: phase.name,
      seconds: phase.seconds.toFixed(1),
      rows: phase.rows || null,
      'rows/s': phase.rows ? Math.round(phase.rows / phase.seconds) : null,
    })),
    { phase: 'total', seconds: data.seconds.toFixed(1), rows: data.totalRows, 'rows/s': data.rowsPerSecond },
  ]);
}
