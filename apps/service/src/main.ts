// `npm start` (the process entry, which composes the API, the ingest service and the demo): API +
// ingest in one process (SERVICE_ROLE=all, the default), or one of them with SERVICE_ROLE=api /
// SERVICE_ROLE=ingest (a ClickHouse server and Redis between them). Without DATABASE_URL it runs
// the embedded demo (Postgres with a live simulator, embedded ClickHouse; apps/demo) and prints a
// ready admin token once the statistics are live. `--reset` starts the demo over from a fresh data set.
// Ctrl-C / SIGTERM stop everything in order within SHUTDOWN_TIMEOUT_SECONDS (exit 0); past that
// deadline, or on a second Ctrl-C, the stop is forced and the exit status is non-zero.
import 'reflect-metadata';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { loadConfig } from '../../../libs/config/src/config.js';
import { nestLogLevels } from '../../../libs/config/src/log-levels.js';
import { demoCredentialsDir, writeDemoToken } from '../../demo/src/demo-credentials.js';
import { startApiRuntime, type ApiRuntime } from '../../api/src/runtime.js';
import { startRuntime } from './runtime.js';
import { startIngestService } from '../../ingest/src/service.js';
import { startDemo } from './demo-runtime.js';
import { errorMessage } from '../../../libs/errors/src/error-message.js';

// Nest's own start-up lines (one per module and route, some seventy) are detail: DEBUG.
const NEST_START_UP = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'WebSocketsController', 'NestApplication']);

class StatisticsLogger extends ConsoleLogger {
  override log(message: unknown, ...optionalParams: unknown[]): void {
    const context = optionalParams.at(-1);
    if (typeof context === 'string' && NEST_START_UP.has(context)) return this.debug(message, ...optionalParams);
    super.log(message, ...optionalParams);
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = new StatisticsLogger({
    json: config.logFormat === 'json',
    colors: process.stdout.isTTY === true, // undefined (a file, a pipe) would mean Nest's default: colours
    logLevels: nestLogLevels(config.logLevel),
    // One line per record (objects inline): a record is one line to read, grep or count.
    compact: true,
  });
  // Also for what logs before the Nest application exists (embedded Postgres, seeding, migrations).
  Logger.overrideLogger(logger);
  const log = (message: string): void => logger.log(message, 'statistics.runtime');

  // What the signal handlers need, whichever role runs.
  let runtime: Pick<ApiRuntime, 'close' | 'closingStep' | 'embeddedEngineOpen' | 'forceStop'> | null = null;
  let stopping = false;
  // Past the deadline or on a second signal: the embedded Postgres is told to stop at once, and the
  // process exits 1. While the embedded engine is still open its exit handlers may wait on a query
  // in flight (seen once: a hang until SIGKILL), so then the process kills itself instead.
  const force = (reason: string): void => {
    process.stderr.write(`forced exit: ${reason}\n`);
    runtime?.forceStop();
    if (runtime?.embeddedEngineOpen()) process.kill(process.pid, 'SIGKILL');
    process.exit(1);
  };
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return force(`second ${signal} while stopping${runtime?.closingStep() ? ` (was stopping: ${runtime.closingStep()})` : ''}`);
    stopping = true;
    if (!runtime) {
      // Still starting: nothing serves yet; the embedded Postgres is stopped by its exit hook.
      process.stderr.write(`${signal} during start-up: exiting\n`);
      process.exit(130);
    }
    log(`${signal} received, stopping (at most ${config.shutdownTimeoutSeconds} s; Ctrl-C again to force)`);
    const started = Date.now();
    const deadline = setTimeout(
      () => force(`shutdown did not finish within ${config.shutdownTimeoutSeconds} s (SHUTDOWN_TIMEOUT_SECONDS); still stopping: ${runtime?.closingStep() ?? 'unknown'}`),
      config.shutdownTimeoutSeconds * 1000,
    );
    runtime.close().then(
      () => {
        clearTimeout(deadline);
        log(`stopped in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        process.exit(0);
      },
      (error: unknown) => {
        clearTimeout(deadline);
        logger.error(`shutdown failed: ${errorMessage(error)}`, 'statistics.runtime');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  if (config.serviceRole === 'ingest') {
    const service = await startIngestService(config);
    runtime = service;
    if (stopping) return;
    log(`ingest service: health on ${service.url}/health/ready; copying or streaming the operational data into ClickHouse`);
    service.ready.then(
      () => {
        if (!stopping) log('ingest streaming: the API processes (SERVICE_ROLE=api) see every batch through Redis');
      },
      (error: unknown) => {
        if (stopping) return;
        process.stderr.write(`ingest failed to start: ${errorMessage(error)}\n`);
        stopping = true;
        service.close().finally(() => process.exit(1));
      },
    );
    return;
  }
  const reset = process.argv.includes('--reset');
  const started: ApiRuntime & { adminToken?: string | null } =
    config.serviceRole === 'api'
      ? await startApiRuntime(config, { logger })
      : config.databaseUrl
        ? await startRuntime(config, { reset, logger })
        : await startDemo(config, { reset, logger });
  runtime = started;
  if (stopping) return; // a signal arrived as the start finished: close() is under way
  const lines = [
    '',
    'DepanneTeliman statistics is running',
    `  Web      ${started.url}/  (the dashboard: paste the token below${started.adminToken ? ', or click « Connexion démo »' : ''})`,
    `  API      ${started.url}/depannage/api/statistics/global_statistics/`,
    `  Docs     ${started.url}/docs`,
    `  Health   ${started.url}/health/ready  (details for admins: /health/details)`,
    `  Live     ${started.url}/statistics  (Socket.IO namespace; rooms realtime, section:<name>, alerts; docs/realtime.md)`,
  ];
  if (started.adminToken) {
    const tokenFile = await writeDemoToken(demoCredentialsDir(config.demo.dataDir), started.adminToken);
    lines.push(
      `  Admin bearer token (demo, valid 7 days; also in ${tokenFile}):`,
      `    ${started.adminToken}`,
      `  Try: curl -H "Authorization: Bearer $(cat ${tokenFile})" '${started.url}/depannage/api/statistics/global_statistics/?period=7d'`,
    );
  }
  // The snapshot of a first start (or --reset) takes a while: say so, once, rather than stay silent.
  const notice = setTimeout(() => {
    const snapshot = started.feed.status().snapshot;
    const rows = snapshot.rowsTotal > 0 ? ` (${snapshot.rowsDone} of ${snapshot.rowsTotal} rows so far)` : '';
    log(`copying the operational data into ClickHouse${rows}; the addresses and token follow when the statistics are live`);
  }, 1000);
  started.ready.then(
    () => {
      clearTimeout(notice);
      if (stopping) return;
      log('ingest streaming: statistics are live');
      process.stdout.write(lines.join('\n') + '\n\n');
    },
    (error: unknown) => {
      clearTimeout(notice);
      if (stopping) return; // a stop during the snapshot ends it; close() reports its own outcome
      process.stderr.write(`ingest failed to start: ${errorMessage(error)}\n`);
      stopping = true;
      started.close().then(
        () => process.exit(1),
        (closeError: unknown) => {
          process.stderr.write(`and the shutdown after it failed: ${errorMessage(closeError)}\n`);
          process.exit(1);
        },
      );
    },
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`startup failed: ${errorMessage(error)}\n`);
  process.exit(1);
});
