// `generate`: the data generator alone, to size it (e.g. --requests 10M) without the CDC or stats
// runs; the database is dropped at the end.
import { generatedDatabase } from './dataset.js';
import { writeResult, type Cleanups } from './report.js';
import type { BenchArgs } from './args.js';

export async function runGenerateBench(args: BenchArgs, cleanups: Cleanups): Promise<void> {
  const { db, data } = await generatedDatabase(args, cleanups);
  const { rows } = await db.pool.query<{ bytes: string }>(
    `SELECT sum(pg_total_relation_size(c.oid)) AS bytes FROM pg_class c WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace`,
  );
  const databaseBytes = Number(rows[0]!.bytes);
  console.log(`\ndatabase size (tables + indexes): ${(databaseBytes / 2 ** 30).toFixed(2)} GiB`);
  const path = writeResult('generate', { benchmark: 'generate', requests: args.requests, databaseBytes, generator: data });
  console.log(`results: ${path}`);
}
