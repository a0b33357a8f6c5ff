// Public surface of the demo: private Postgres, operational schema, bulk seed, live simulator and
// its rhythm, the alert thresholds at the demo's scale.
export { DEMO_DATABASE, startEmbeddedPostgres, type EmbeddedPostgresOptions, type RunningPostgres } from './embedded-postgres.js';
export { OPERATIONAL_TABLES, createOperationalSchema, operationalSchemaPath, type OperationalTable } from './operational-schema.js';
export { seedDemoData, type SeedOptions, type SeedSummary } from './seed.js';
export {
  MarketplaceActions, Simulator, type CompleteOptions, type CreateRequestOptions, type SimulatorAction,
  type SimulatorActionKind, type SimulatorOptions,
} from './simulator.js';
export { Random } from './random.js';
export { Rhythm, RHYTHM_EVENTS, type RhythmEvent } from './rhythm.js';
export { demoAlertScale, type DemoAlertScale } from './alert-scale.js';
export { DEMO_PASSWORD } from './vocabulary.js';
