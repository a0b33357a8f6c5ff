// The metric catalogue (libs/metrics/src/catalogue) is the one definition of each aggregate's
// per-row expressions: every materialized view in clickhouse/migrations must be exactly the SELECT
// the catalogue renders (compared as ClickHouse formats them, so layout does not matter and meaning
// does), and every view in the migrations must be in the catalogue.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromRoot } from '../../libs/config/src/paths.js';
import { AGGREGATES } from '../../libs/metrics/src/catalogue/aggregates.js';
import { viewSelect } from '../../libs/metrics/src/catalogue/daily-aggregate.js';
import { createTestClickHouse, type TestClickHouse } from '../factories/databases.js';

let ch: TestClickHouse;

/** view name → its SELECT, from the migration that creates it (comments dropped by formatQuery). */
function migratedViews(): Map<string, string> {
  const views = new Map<string, string>();
  const directory = fromRoot('clickhouse', 'migrations');
  for (const name of readdirSync(directory).sort()) {
    const text = readFileSync(join(directory, name), 'utf8');
    const match = /CREATE MATERIALIZED VIEW IF NOT EXISTS (\w+) TO \w+ AS\s+([^]*)$/.exec(text);
    if (match) views.set(match[1]!, match[2]!);
  }
  return views;
}

async function format(sql: string): Promise<string> {
  const [row] = await ch.clickhouse.query<{ statement: string }>('SELECT formatQuery({sql:String}) AS statement', { sql });
  return row!.statement;
}

beforeAll(async () => {
  ch = await createTestClickHouse();
}, 120_000);

afterAll(async () => {
  await ch?.destroy();
});

describe('the catalogue and the migrations', () => {
  const views = migratedViews();

  it('knows every materialized view of the migrations, and only those', () => {
    expect(AGGREGATES.map((aggregate) => aggregate.view).sort()).toEqual([...views.keys()].sort());
  });

  for (const aggregate of AGGREGATES) {
    it(`${aggregate.view} is the catalogue's ${aggregate.table}`, async () => {
      const migrated = views.get(aggregate.view);
      expect(migrated, `a migration creates ${aggregate.view}`).toBeDefined();
      expect(await format(viewSelect(aggregate))).toBe(await format(migrated!));
    });
  }

  it('would notice a drift: a changed expression formats differently', async () => {
    const aggregate = AGGREGATES[0]!;
    const drifted = { ...aggregate, measures: { ...aggregate.measures, requests: 'toInt64(1)' } };
    expect(await format(viewSelect(drifted))).not.toBe(await format(views.get(aggregate.view)!));
  });
});
