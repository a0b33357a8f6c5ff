// `npm start`: API + ingest in one process. Without DATABASE_URL it runs the embedded demo
// (Postgres with a live simulator, embedded ClickHouse) and prints a ready admin token.
// `--reset` starts the demo over from a fresh data set.
import 'reflect-metadata';
import { ConsoleLogger } from '@nestjs/common';
import { loadConfig } from '../../../libs/config/src/config.js';
import { startRuntime } from './runtime.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = new ConsoleLogger({ json: process.env.LOG_FORMAT === 'json', colors: process.stdout.isTTY });
  const runtime = await startRuntime(config, { reset: process.argv.includes('--reset'), logger });
  const lines = [
    '',
    'DepanneTeliman statistics is running',
    `  API      ${runtime.url}/depannage/api/statistics/global_statistics/`,
    `  Docs     ${runtime.url}/docs`,
    `  Health   ${runtime.url}/health/ready  (details for admins: /health/details)`,
    `  Live     ${runtime.url}/statistics  (Socket.IO namespace; rooms realtime, section:<name>, alerts; docs/realtime.md)`,
  ];
  if (runtime.adminToken) {
    lines.push(
      '  Admin bearer token (demo, valid 7 days):',
      `    ${runtime.adminToken}`,
      `  Try: curl -H "Authorization: Bearer ${runtime.adminToken}" '${runtime.url}/depannage/api/statistics/global_statistics/?period=7d'`,
    );
  }
  process.stdout.write(lines.join('\n') + '\n\n');
  runtime.ready.then(
    () => logger.log('ingest streaming: statistics are live', 'statistics.runtime'),
    async (error: unknown) => {
      process.stderr.write(`ingest failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
      await runtime.close();
      process.exit(1);
    },
  );
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received, stopping`, 'statistics.runtime');
    runtime.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`shutdown failed: ${String(error)}`, 'statistics.runtime');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`startup failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
