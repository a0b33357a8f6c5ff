export * from './clickhouse.js';
export * from './embedded.js';
export * from './server.js';
export * from './open.js';
export * from './migrations.js';
