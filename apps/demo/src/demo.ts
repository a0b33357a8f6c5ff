// The embedded demo's database (`npm start` without DATABASE_URL): a private Postgres with the
// operational schema and a seeded marketplace, the simulator writing to it, and what the service
// needs to run against it like against any operational database: its URL, the alert thresholds at
// its scale and a signing secret. The service itself is started by the caller (apps/service).
import { Logger } from '@nestjs/common';
import pg from 'pg';
import { signAccessToken } from '../../../libs/access-token/src/sign.js';
import type { AppConfig } from '../../../libs/config/src/config.js';
import { StopSequence } from '../../../libs/lifecycle/src/stop-sequence.js';
import { demoAlertScale } from './alert-scale.js';
import { demoCredentialsDir, loadOrCreateDemoSecret } from './demo-credentials.js';
import { startEmbeddedPostgres, type RunningPostgres } from './embedded-postgres.js';
import { createOperationalSchema } from './operational-schema.js';
import { Rhythm } from './rhythm.js';
import { seedDemoData } from './seed.js';
import { Simulator } from './simulator.js';

/** The banner's admin token lasts a week. */
const ADMIN_TOKEN_SECONDS = 7 * 24 * 3600;

export interface DemoDatabaseOptions {
  /** Start over: a fresh demo database and signing secret. */
  reset?: boolean;
  /** Run the simulator (at DEMO_SIMULATOR_RATE; 0 there turns it off too). Default true. */
  simulate?: boolean;
}

export interface DemoDatabase {
  /** `config` for a service on this database: DATABASE_URL, JWT secret and alert thresholds set. */
  serviceConfig: AppConfig;
  simulator: Simulator | null;
  /** A ready admin token (valid 7 days) signed with the demo's secret; null if the data has no admin. */
  adminToken(): Promise<string | null>;
  /** Stops the simulator, then the database (each step logged on failure; all are run). */
  close(): Promise<void>;
  /** The step close() is waiting on; null when idle or done. */
  closingStep(): string | null;
  /** For a forced exit: stops the embedded Postgres at once (the next start runs its crash recovery). */
  kill(): void;
}

/** Starts (creating and seeding on the first start) the demo database and its simulator. */
export async function openDemoDatabase(config: AppConfig, options: DemoDatabaseOptions = {}): Promise<DemoDatabase> {
  const logger = new Logger('statistics.demo');
  // Stopped in reverse order: simulator, pool, Postgres.
  const stops = new StopSequence(logger);
  let embedded: RunningPostgres | null = null;
  try {
    const postgres = await startEmbeddedPostgres({ dataDir: config.demo.dataDir, port: config.demo.port, reset: options.reset ?? false, log: logger });
    embedded = postgres;
    stops.add('embedded Postgres', () => postgres.stop());
    const pool = new pg.Pool({ connectionString: postgres.url, max: 2, options: '-c TimeZone=UTC' });
    pool.on('error', (error) => logger.error({ message: 'demo database pool error', error: error.message }));
    stops.add('demo database pool', () => pool.end());

    // Schema and data unless the database has them (a start that died between initdb and the end of
    // seeding is completed on the next start).
    const { rows } = await pool.query<{ present: boolean }>("SELECT to_regclass('public.users_user') IS NOT NULL AS present");
    if (!rows[0]?.present) await createOperationalSchema(pool);
    const users = await pool.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM users_user) AS any');
    if (!users.rows[0]?.any) {
      logger.log({ message: 'seeding the demo database', requests: config.demo.requests });
      const summary = await seedDemoData(pool, { requests: config.demo.requests });
      logger.log({ message: 'demo database seeded', counts: summary.counts, ms: summary.durationMs });
    }

    // Thresholds the environment leaves unset follow the demo's own scale (alert-scale.ts).
    let alertThresholds = config.alertThresholds;
    const scale = await demoAlertScale(pool, new Date());
    if (scale) {
      const unset = (key: keyof AppConfig['alertThresholds']): boolean => !config.alertThresholdsSet.includes(key);
      alertThresholds = {
        ...alertThresholds,
        ...(unset('requests') ? { requests: scale.requests } : {}),
        ...(unset('revenueXof') ? { revenueXof: scale.revenueXof } : {}),
      };
      logger.log({ message: 'demo alert thresholds scaled to its busiest day', thresholds: alertThresholds, busiest_24h: scale.busiest });
    }
    // The demo signs its own tokens unless a secret is configured; kept beside its data across
    // restarts, so earlier tokens keep working (a reset renews it: other users behind the same ids).
    const jwtSecret =
      config.jwtSecret ?? (await loadOrCreateDemoSecret(demoCredentialsDir(config.demo.dataDir), { renew: options.reset === true }));

    let simulator: Simulator | null = null;
    if (options.simulate !== false && config.demo.simulatorRate > 0) {
      const running = new Simulator(pool, {
        ratePerSecond: config.demo.simulatorRate,
        // Its events follow the data's hourly and weekly rhythm: the demo's normal is the history's.
        rhythm: await Rhythm.measure(pool, new Date()),
        log: (message) => logger.log(message),
        warn: (message) => logger.warn(message),
      });
      running.start();
      simulator = running;
      stops.add('simulator', () => running.stop());
    }

    return {
      serviceConfig: { ...config, databaseUrl: postgres.url, jwtSecret, alertThresholds },
      simulator,
      async adminToken() {
        const admin = await pool.query<{ id: string }>("SELECT id FROM users_user WHERE user_type = 'admin' AND is_active ORDER BY id LIMIT 1");
        return admin.rows[0] ? signAccessToken(Number(admin.rows[0].id), jwtSecret, ADMIN_TOKEN_SECONDS) : null;
      },
      close: () => stops.close(),
      closingStep: () => stops.currentStep(),
      kill: () => embedded?.kill(),
    };
  } catch (error) {
    await stops.closeAfterFailedStart();
    throw error;
  }
}
