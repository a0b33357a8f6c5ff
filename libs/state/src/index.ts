// The state store: its interface, the two dialects, migrations and leases (see store.ts for the SQL conventions).
export * from './store.js';
export * from './sqlite.js';
export * from './postgres.js';
export * from './migrations.js';
export * from './leases.js';
export * from './open.js';
