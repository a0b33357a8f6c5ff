// Every statement the statistics, the legacy endpoints, the alert metrics and the raw export rows
// send to ClickHouse, for every filter shape that changes their SQL, rendered into checked-in files
// under clickhouse/queries/ (immich's SQL snapshots). The statements are formatted by ClickHouse
// itself (formatQuery), so a change of layout in the TypeScript that builds them shows no diff and a
// change of meaning does. `UPDATE_SQL_SNAPSHOTS=1 npx vitest run test/medium/sql-snapshots.test.ts`
// rewrites the files; otherwise the test fails while they differ from what the code sends.
//
// The same recording checks the table lists that decide cache invalidation and live pushes
// (cache/cache-key.ts): each endpoint's list must name every replicated table its SQL reads, through
// the signed logs and the daily aggregates the catalogue derives from them.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouse } from '../../libs/clickhouse/src/clickhouse.js';
import { fromRoot } from '../../libs/config/src/paths.js';
import { AGGREGATES } from '../../libs/metrics/src/catalogue/aggregates.js';
import { ALERT_METRICS, type AlertMetric, type AlertScope, type AnomalyGroup } from '../../libs/metrics/src/alerts.js';
import { SECTIONS, type StatisticsQuery } from '../../libs/metrics/src/types.js';
import { periodQuery } from '../../libs/metrics/src/windows.js';
import { dataStart, measure } from '../../apps/api/src/alerts/queries/alert-metrics.js';
import { STATISTICS_SOURCE_TABLES } from '../../apps/api/src/cache/cache-key.js';
import { rawTables } from '../../apps/api/src/exports/raw-rows.js';
import { computeGlobalStatistics, computeKpis, computeRealTimeStats, computeSection } from '../../apps/api/src/statistics/compute.js';
import { computeLegacyStatistics } from '../../apps/api/src/statistics/project-statistics.js';
import { REPLICATED_TABLE_NAMES } from '../../libs/ingest-feed/src/tables.js';
import { RecordingClickHouse } from '../factories/clickhouse-wrappers.js';
import { createTestClickHouse, type TestClickHouse } from '../factories/databases.js';

const SNAPSHOT_DIR = fromRoot('clickhouse', 'queries');
const UPDATE = process.env.UPDATE_SQL_SNAPSHOTS === '1';
const NOW = new Date('2026-06-15T10:30:00.000Z');

/** The filter shapes that select different SQL (scope, bounded or open window, all time). */
const SHAPES: Record<string, StatisticsQuery> = {
  all: periodQuery('all', NOW),
  '24h': periodQuery('24h', NOW),
  '7d': periodQuery('7d', NOW),
  '30d': periodQuery('30d', NOW),
  'from-to': { ...periodQuery('all', NOW), period: 'custom', from: new Date('2026-05-03T08:00:00Z'), to: new Date('2026-06-01T17:45:00Z') },
  'from-to same day': { ...periodQuery('all', NOW), period: 'custom', from: new Date('2026-06-01T08:00:00Z'), to: new Date('2026-06-01T17:45:00Z') },
  city: { ...periodQuery('all', NOW), city: 'Bamako' },
  specialty: { ...periodQuery('all', NOW), specialty: 'plumbing' },
  '30d city specialty': { ...periodQuery('30d', NOW), city: 'Bamako', specialty: 'plumbing' },
};

const ALERT_OPTIONS: Array<{ label: string; groupBy: AnomalyGroup | null; scope: AlertScope }> = [
  { label: 'unscoped', groupBy: null, scope: { city: null, specialty: null } },
  { label: 'by city', groupBy: 'city', scope: { city: null, specialty: null } },
  { label: 'by specialty', groupBy: 'specialty', scope: { city: null, specialty: null } },
  { label: 'city scope', groupBy: null, scope: { city: 'Bamako', specialty: null } },
  { label: 'specialty scope', groupBy: null, scope: { city: null, specialty: 'plumbing' } },
];

let ch: TestClickHouse;
let recorder: RecordingClickHouse;
/** surface → formatted statement → shapes that send it. */
const recorded = new Map<string, Map<string, string[]>>();

async function format(sql: string): Promise<string> {
  const [row] = await ch.clickhouse.query<{ statement: string }>('SELECT formatQuery({sql:String}) AS statement', { sql });
  return row!.statement;
}

/** Runs `work` and files every statement it sent under `surface`, for `shape`. */
async function record(surface: string, shape: string, work: (engine: ClickHouse) => Promise<unknown>): Promise<void> {
  recorder.statements.length = 0;
  await work(recorder);
  const byStatement = recorded.get(surface) ?? new Map<string, string[]>();
  recorded.set(surface, byStatement);
  for (const sql of new Set(recorder.statements)) {
    const formatted = await format(sql);
    const shapes = byStatement.get(formatted) ?? [];
    if (!shapes.includes(shape)) shapes.push(shape);
    byStatement.set(formatted, shapes);
  }
}

/** A surface's file: statements in the order of the first shape that sends them, then by text. */
function render(surface: string, byStatement: Map<string, string[]>, shapeOrder: string[]): string {
  const entries = [...byStatement.entries()].sort(([a, shapesA], [b, shapesB]) => {
    const first = shapeOrder.indexOf(shapesA[0]!) - shapeOrder.indexOf(shapesB[0]!);
    return first !== 0 ? first : a < b ? -1 : a > b ? 1 : 0;
  });
  const header = [
    `-- Every statement ${surface} sends to ClickHouse, as ClickHouse formats it, with the filter shapes`,
    '-- that send it. Generated by test/medium/sql-snapshots.test.ts (UPDATE_SQL_SNAPSHOTS=1 rewrites it);',
    '-- the test fails while this file differs from what the code sends. Do not edit by hand.',
  ];
  const body = entries.map(([statement, shapes]) => `-- ${shapes.sort((a, b) => shapeOrder.indexOf(a) - shapeOrder.indexOf(b)).join(', ')}\n${statement};`);
  return `${header.join('\n')}\n\n${body.join('\n\n')}\n`;
}

const STATISTICS_SHAPES = Object.keys(SHAPES);
const ALERT_SHAPES = ALERT_METRICS.flatMap((metric) => [`${metric} data start`, ...ALERT_OPTIONS.map((option) => `${metric} ${option.label}`)]);

beforeAll(async () => {
  ch = await createTestClickHouse();
  recorder = new RecordingClickHouse(ch.clickhouse);
  for (const [shape, query] of Object.entries(SHAPES)) {
    await record('global_statistics', shape, (engine) => computeGlobalStatistics(engine, query));
    for (const section of SECTIONS) await record(`section ${section}`, shape, (engine) => computeSection(engine, section, query));
    await record('kpis', shape, (engine) => computeKpis(engine, query, { acquisitionSpendXof: null }));
    await record('export raw rows', shape, async (engine) => {
      for (const table of rawTables(engine, query)) {
        await table.count();
        for await (const page of table.pages()) void page;
      }
    });
  }
  await record('real_time_stats', 'all', (engine) => computeRealTimeStats(engine, NOW));
  await record('project_statistics', 'all', (engine) => computeLegacyStatistics(engine, NOW));
  const ranges = [
    { start: new Date('2026-06-15T09:00:00Z'), end: new Date('2026-06-15T10:00:00Z') },
    { start: new Date('2026-06-08T09:00:00Z'), end: new Date('2026-06-08T10:00:00Z') },
  ];
  for (const metric of ALERT_METRICS) {
    await record('alert metrics', `${metric} data start`, (engine) => dataStart(engine, metric));
    for (const option of ALERT_OPTIONS) {
      if (metric === 'failed_logins' && (option.groupBy === 'specialty' || option.scope.specialty !== null)) continue;
      await record('alert metrics', `${metric} ${option.label}`, (engine) => measure(engine, metric as AlertMetric, ranges, option));
    }
  }
}, 300_000);

afterAll(async () => {
  await ch?.destroy();
});

function fileName(surface: string): string {
  return `${surface.replace(/\s+/g, '_')}.sql`;
}

describe('SQL snapshots (clickhouse/queries/)', () => {
  it('every statement each surface sends is the one checked in', () => {
    const expected = new Map<string, string>();
    for (const [surface, byStatement] of recorded) {
      const shapeOrder = surface === 'alert metrics' ? ALERT_SHAPES : STATISTICS_SHAPES;
      expected.set(fileName(surface), render(surface, byStatement, shapeOrder));
    }
    if (UPDATE) {
      mkdirSync(SNAPSHOT_DIR, { recursive: true });
      for (const [name, text] of expected) writeFileSync(join(SNAPSHOT_DIR, name), text);
    }
    const onDisk = existsSync(SNAPSHOT_DIR) ? readdirSync(SNAPSHOT_DIR).filter((name) => name.endsWith('.sql')) : [];
    // A snapshot no surface produces any more is stale: it says the code sends SQL it does not.
    expect(onDisk.sort(), 'snapshot files (UPDATE_SQL_SNAPSHOTS=1 to regenerate)').toEqual([...expected.keys()].sort());
    for (const [name, text] of expected) {
      expect(readFileSync(join(SNAPSHOT_DIR, name), 'utf8'), `clickhouse/queries/${name} differs from what the code sends (UPDATE_SQL_SNAPSHOTS=1 to regenerate, then review the diff)`).toBe(text);
    }
  });

  it('records statements that can fail: a snapshot holds real SQL of the tables it names', () => {
    const global = [...recorded.get('global_statistics')!.keys()].join('\n');
    expect(global).toMatch(/FROM agg_requests_daily/);
    expect(global).toMatch(/depannage_repairrequest_signed/);
    expect(recorded.get('section security')!.size).toBeGreaterThan(1);
  });
});

/** Replicated table each derived table is fed from: `<t>_signed` from `<t>`, each aggregate from its catalogue source. */
function derivedSources(): Map<string, string> {
  const sources = new Map<string, string>();
  for (const table of REPLICATED_TABLE_NAMES) sources.set(`${table}_signed`, table);
  // The catalogue's sources are the migrations' (test/medium/catalogue.test.ts holds the views to it).
  for (const aggregate of AGGREGATES) sources.set(aggregate.table, aggregate.source);
  return sources;
}

describe('the table lists of cache invalidation and live pushes', () => {
  it("name every replicated table each endpoint's SQL reads", () => {
    const sources = derivedSources();
    const known = [...new Set([...REPLICATED_TABLE_NAMES, ...sources.keys()])].sort((a, b) => b.length - a.length);
    const surfaces: Record<keyof typeof STATISTICS_SOURCE_TABLES, string> = {
      global_statistics: 'global_statistics',
      ...(Object.fromEntries(SECTIONS.map((section) => [section, `section ${section}`])) as Record<(typeof SECTIONS)[number], string>),
    };
    const missing: string[] = [];
    for (const [endpoint, surface] of Object.entries(surfaces) as Array<[keyof typeof STATISTICS_SOURCE_TABLES, string]>) {
      const sql = [...recorded.get(surface)!.keys()].join('\n');
      const read = new Set<string>();
      for (const table of known) {
        if (new RegExp(`\\b${table}\\b`).test(sql)) read.add(sources.get(table) ?? table);
      }
      const listed = new Set<string>(STATISTICS_SOURCE_TABLES[endpoint]);
      for (const table of read) if (!listed.has(table)) missing.push(`${endpoint} reads ${table}`);
    }
    expect(missing).toEqual([]);
  });
});
