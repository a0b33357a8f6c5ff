// The embedded demo as one runtime: the demo database (apps/demo) and the service started against
// it (apps/api runtime), stopped in that order's reverse: the service first (HTTP, ingest, engine),
// then the simulator and the demo's Postgres.
import type { ConsoleLogger } from '@nestjs/common';
import type { ClickHouse } from '../../../libs/clickhouse/src/clickhouse.js';
import type { AppConfig } from '../../../libs/config/src/config.js';
import { startRuntime, type Runtime } from './runtime.js';
import { openDemoDatabase } from '../../demo/src/demo.js';
import type { Simulator } from '../../demo/src/simulator.js';

export interface DemoRuntimeOptions {
  /** Start over: a fresh demo database, embedded ClickHouse data and signing secret. */
  reset?: boolean;
  /** Run the demo simulator. Default true. */
  simulate?: boolean;
  /** Nest logger; tests pass false to keep output quiet. */
  logger?: ConsoleLogger | false;
  /** An engine opened by the caller; not closed here. */
  clickhouse?: ClickHouse;
}

export interface DemoRuntime extends Runtime {
  /** A ready admin token (valid 7 days); null if the demo data has no active admin. */
  adminToken: string | null;
  simulator: Simulator | null;
}

export async function startDemo(config: AppConfig, options: DemoRuntimeOptions = {}): Promise<DemoRuntime> {
  const demo = await openDemoDatabase(config, { reset: options.reset, simulate: options.simulate });
  let service: Runtime | null = null;
  let adminToken: string | null;
  try {
    service = await startRuntime(demo.serviceConfig, { reset: options.reset, logger: options.logger, clickhouse: options.clickhouse, demoSignIn: true });
    adminToken = await demo.adminToken();
  } catch (error) {
    await service?.close();
    await demo.close();
    throw error;
  }
  const started = service;
  let closing: Promise<void> | null = null;
  let stoppingDemo = false;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      // The demo database stops even when the service's stop failed; the first failure is reported.
      const serviceStop = await started.close().then(
        () => null,
        (error: unknown) => error,
      );
      stoppingDemo = true;
      await demo.close();
      if (serviceStop) throw serviceStop;
    })());
  return {
    ...started,
    adminToken,
    simulator: demo.simulator,
    close,
    closingStep: () => (stoppingDemo ? demo.closingStep() : started.closingStep()),
    forceStop: () => {
      started.forceStop();
      demo.kill();
    },
  };
}
