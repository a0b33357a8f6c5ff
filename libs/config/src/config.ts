// Typed configuration, read and validated once at boot: a bad setting fails fast with a message
// naming the variable. Names are shared with other tools (see DEVELOPERS.md); keep them.
import { fromRoot } from './paths.js';

export interface AppConfig {
  /** Operational Postgres. Undefined = start the embedded demo database. */
  databaseUrl: string | undefined;
  /** ClickHouse server URL. Undefined = embedded chdb engine. */
  clickhouseUrl: string | undefined;
  clickhouseDatabase: string;
  clickhouseDataDir: string;
  /** Redis for the statistics cache. Undefined = probe redis://127.0.0.1:6379 at boot, else in-memory. */
  redisUrl: string | undefined;
  /** Lifetime of a cached statistics response (seconds). */
  statisticsCacheTtlSeconds: number;
  /** CACHE_ENABLED=false: every response is computed, nothing is stored. */
  cacheEnabled: boolean;
  /** Default staleness bound of cached statistics (seconds; 0 = fresh only); a request's Cache-Control: max-stale overrides it. */
  statisticsMaxStalenessSeconds: number;
  /** The service's own state (alert rules...) in Postgres. Undefined = SQLite at stateSqlitePath. */
  stateDatabaseUrl: string | undefined;
  stateSqlitePath: string;
  /** Thresholds of the default alert rules (followed by a default rule until it is edited through the API). */
  alertThresholds: AlertThresholds;
  /** Those of alertThresholds the environment sets; the embedded demo scales the others to its data. */
  alertThresholdsSet: Array<keyof AlertThresholds>;
  jwtSecret: string | undefined;
  port: number;
  host: string;
  /** Name of the publication and replication slot the ingest owns in the operational database. */
  replicationSlot: string;
  publication: string;
  /** Largest number of row changes applied to ClickHouse in one write. */
  ingestBatchRows: number;
  /** Longest time a change waits in memory before it is written (ms). */
  ingestBatchDelayMs: number;
  /** Row images the ingest keeps of what it last wrote, to retract them without a lookup. */
  ingestImageCacheRows: number;
  /** How long a user looked up for a token is trusted (s); 0 = look up on every request. */
  authUserCacheSeconds: number;
  /** Live stats: every room is pushed at least this often (seconds; the guide's 30). */
  realTimeRefreshSeconds: number;
  /** Live rooms: at most one change-driven push per room per this many ms. */
  realtimeMinPushMs: number;
  /** A socket that drops for up to this long gets its rooms and missed events back (seconds). */
  realtimeRecoverySeconds: number;
  /** Marketing spend over the last 30 days (XOF) for the acquisition-cost KPI; undefined = not computed. */
  acquisitionSpendXof: number | null;
  /** Embedded demo settings. */
  demo: { dataDir: string; port: number; requests: number; simulatorRate: number };
  /** Limits of the analyst SQL gateway (/clickhouse, embedded engine only). */
  analyst: AnalystLimits;
  /** Admission control in front of the analytical engine (libs/clickhouse/src/admission.ts). */
  engine: EngineSettings;
  /** Alert evaluation and delivery. */
  alerting: AlertingSettings;
  /** Export jobs and their files. */
  exports: ExportSettings;
  /** The browser that renders PDF reports. */
  pdf: PdfSettings;
  /** Outgoing mail of scheduled reports; url undefined = e-mail delivery is not configured. */
  smtp: { url: string | undefined; from: string };
  /** Scheduled reports: their webhook's signature and the retries of a run. */
  reports: ReportSettings;
  /** LOG_LEVEL: the least severe level written (debug adds per-second and per-request detail). */
  logLevel: LogLevel;
  /** LOG_FORMAT: 'text' (one line per record) or 'json' (one JSON object per line). */
  logFormat: LogFormat;
  /** SHUTDOWN_TIMEOUT_SECONDS: a stop that takes longer is forced, and the process exits non-zero. */
  shutdownTimeoutSeconds: number;
  /** HTTP and socket exposure: CORS, security headers, authentication failures, /metrics. */
  security: SecuritySettings;
  /**
   * SERVICE_ROLE: what this process runs. 'all' (default): API and ingest together, the only role
   * for the embedded engine (one process owns its data directory). 'api': the HTTP/socket API,
   * cache, alerts and exports, reading the ingest's feed through Redis. 'ingest': migrations and
   * CDC with a small health server. The split needs CLICKHOUSE_URL, REDIS_URL and DATABASE_URL.
   */
  serviceRole: ServiceRole;
  /** INGEST_STATUS_TTL_SECONDS: an ingest that has not reported for this long shows as stale to the API (split roles). */
  ingestStatusTtlSeconds: number;
  /** Custom dashboards: the refresh given to a dashboard or widget that does not say its own. */
  dashboards: DashboardSettings;
}

export interface DashboardSettings {
  /** DASHBOARD_REFRESH_SECONDS: a dashboard's automatic refresh (the guide's 300). */
  refreshSeconds: number;
  /** WIDGET_REFRESH_SECONDS: a widget's own refresh (the guide's 60). */
  widgetRefreshSeconds: number;
}

export interface SecuritySettings {
  /** CORS_ORIGINS: origins allowed to call the API from a browser; '*' = any (no credentials are used: Bearer tokens). */
  corsOrigins: '*' | string[];
  /** AUTH_FAILURE_LIMIT: refused credentials per minute from one IP before it gets 429 for the rest of the minute. */
  authFailureLimit: number;
  /** METRICS_TOKEN: a Bearer token for Prometheus scrapers on /metrics; undefined = administrators' tokens only. */
  metricsToken: string | undefined;
  /** Strict-Transport-Security is sent only when the service is published over https (EXPORT_PUBLIC_URL). */
  hsts: boolean;
}

export interface ReportSettings {
  /** Signs report webhooks (REPORT_WEBHOOK_SECRET, else ALERT_WEBHOOK_SECRET); undefined = unsigned. */
  webhookSecret: string | undefined;
  /** Attempts of a run (render, then delivery) before it is recorded failed. */
  maxAttempts: number;
  /** Delay before the first retry of a run (seconds); doubles at each attempt. */
  retryBaseSeconds: number;
}

export interface ExportSettings {
  /** Where finished files live (EXPORT_DIR). */
  dir: string;
  /** Lifetime of a signed download link (seconds). */
  linkSeconds: number;
  /** Jobs and files older than this are deleted (hours). */
  retentionHours: number;
  /** Jobs running at once; more wait in order. */
  concurrency: number;
  /** Above this size a scheduled report is mailed as a link rather than attached (MiB). */
  maxAttachmentMb: number;
  /** How long export_statistics waits for its job before answering pending/running (seconds). */
  waitSeconds: number;
  /** Base of download links (EXPORT_PUBLIC_URL); undefined = the request's own host (mails: http://HOST:PORT). */
  publicUrl: string | undefined;
  /** A running job's lease: a runner that stops renewing it for this long is presumed dead (seconds). */
  jobLeaseSeconds: number;
}

export interface PdfSettings {
  /** PUPPETEER_EXECUTABLE_PATH; undefined = Debian's /usr/bin/chromium, else Puppeteer's own cache. */
  executablePath: string | undefined;
  /** Pages kept open in the one browser (PDF_POOL_PAGES): renders at once. */
  pages: number;
  /** A render taking longer fails (PDF_RENDER_TIMEOUT_SECONDS). */
  renderTimeoutSeconds: number;
}

export interface AlertingSettings {
  /** Every rule is evaluated this often (seconds); threshold rules also after each ingest batch. */
  evaluationSeconds: number;
  webhookUrl: string | undefined;
  /** Signs each webhook body (HMAC-SHA256) when set. */
  webhookSecret: string | undefined;
  webhookMaxAttempts: number;
}

export interface EngineSettings {
  /** Reads handed to the engine at once (ENGINE_CONCURRENCY; 1 for the embedded engine, 8 for a server). */
  concurrency: number;
  /** Reads waiting at most (ENGINE_MAX_QUEUED); beyond, the least urgent is refused (503, Retry-After). */
  maxQueued: number;
  /** Longest an HTTP request's query waits for its turn (ENGINE_QUEUE_TIMEOUT_SECONDS) before a 503. */
  queueTimeoutSeconds: number;
}

export interface AnalystLimits {
  /** max_result_rows with result_overflow_mode='throw': a larger result is an error, never a silent cut. */
  maxResultRows: number;
  maxResultBytes: number;
  maxMemoryBytes: number;
  maxExecutionSeconds: number;
  /** The embedded engine runs one query at a time, so this bounds how long the ingest can be kept waiting. */
  maxConcurrentQueries: number;
  /** Queries one user may start per minute (ANALYST_RATE_LIMIT); more is a 429 with Retry-After. */
  ratePerMinute: number;
}

export interface AlertThresholds {
  /** Repair requests over 24 h above which the default rule raises. */
  requests: number;
  /** Revenue over 24 h (XOF, at most 2 decimals). */
  revenueXof: number;
  /** Failure rate over 24 h (percent, 0..100). */
  failureRatePercent: number;
}

export const SERVICE_ROLES = ['all', 'api', 'ingest'] as const;
export type ServiceRole = (typeof SERVICE_ROLES)[number];

export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`configuration ${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** One of `choices` (in any case), `fallback` when unset; anything else is a ConfigError naming the choices. */
function choice<T extends string>(env: Env, name: string, choices: readonly T[], fallback: T): T {
  const raw = optional(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  const chosen = choices.find((candidate) => candidate === raw);
  if (!chosen) throw new ConfigError(name, `expected one of ${choices.join(', ')}, got "${raw}"`);
  return chosen;
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `expected ${min}..${max}, got ${value}`);
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  const value = raw.toLowerCase();
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new ConfigError(name, `expected true, false, 1 or 0, got "${raw}"`);
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = optional(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, 'not a valid URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `expected a ${protocols.join(' or ')} URL, got ${parsed.protocol}`);
  }
  return raw;
}

function money(env: Env, name: string): number | null {
  const raw = optional(env, name);
  if (raw === undefined) return null;
  if (!/^\d{1,15}(\.\d{1,2})?$/.test(raw)) throw new ConfigError(name, `expected an amount in XOF such as 2500000 or 2500000.50, got "${raw}"`);
  return Number(raw);
}

function percent(env: Env, name: string, fallback: number): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d{1,3}(\.\d{1,2})?$/.test(raw) || value > 100) throw new ConfigError(name, `expected a percentage 0..100 such as 10 or 12.5, got "${raw}"`);
  return value;
}

/** '*' or a comma-separated list of origins (scheme://host[:port], nothing after). */
function origins(env: Env, name: string): '*' | string[] {
  const raw = optional(env, name);
  if (raw === undefined || raw === '*') return '*';
  const list = raw.split(',').map((item) => item.trim()).filter((item) => item !== '');
  if (list.length === 0) throw new ConfigError(name, 'expected * or a comma-separated list of origins');
  return list.map((item) => {
    let parsed: URL;
    try {
      parsed = new URL(item);
    } catch {
      throw new ConfigError(name, `"${item}" is not an origin such as https://dashboard.example.ml`);
    }
    if (!['http:', 'https:'].includes(parsed.protocol) || parsed.origin !== item.replace(/\/$/, '').toLowerCase()) {
      throw new ConfigError(name, `"${item}" is not an origin such as https://dashboard.example.ml (scheme, host, optional port, no path)`);
    }
    return parsed.origin;
  });
}

function secret(env: Env, name: string, minLength: number): string | undefined {
  const value = optional(env, name);
  if (value !== undefined && value.length < minLength) throw new ConfigError(name, `expected at least ${minLength} characters`);
  return value;
}

function identifier(env: Env, name: string, fallback: string): string {
  const value = optional(env, name) ?? fallback;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(value)) {
    throw new ConfigError(name, `expected a lower-case SQL identifier, got "${value}"`);
  }
  return value;
}

/** SERVICE_ROLE, and what running apart requires (named in the error). */
function serviceRole(env: Env): ServiceRole {
  const role = choice(env, 'SERVICE_ROLE', SERVICE_ROLES, 'all');
  if (role === 'all') return role;
  if (!optional(env, 'CLICKHOUSE_URL')) {
    throw new ConfigError(
      'SERVICE_ROLE',
      `${role} runs apart from the ${role === 'api' ? 'ingest' : 'API'} and needs a ClickHouse server both reach: set CLICKHOUSE_URL (the embedded engine belongs to one process; without a server use SERVICE_ROLE=all)`,
    );
  }
  if (!optional(env, 'REDIS_URL')) throw new ConfigError('SERVICE_ROLE', `${role} needs REDIS_URL: the ingest tells the API about new data through Redis`);
  if (!optional(env, 'DATABASE_URL')) throw new ConfigError('SERVICE_ROLE', `${role} needs DATABASE_URL: the embedded demo database runs only with SERVICE_ROLE=all`);
  return role;
}

/**
 * What serving the API needs beyond loadConfig (the ingest alone checks no tokens): JWT_SECRET, the
 * Django SECRET_KEY that signs access tokens, wherever the API serves a real operational database
 * (DATABASE_URL); the embedded demo makes and keeps its own.
 */
export function assertApiConfig(config: AppConfig): void {
  if (config.databaseUrl && !config.jwtSecret) {
    throw new ConfigError('JWT_SECRET', 'required with DATABASE_URL: the Django SECRET_KEY that signs access tokens');
  }
}

/** The environment variable of each default alert threshold (the guide's names). */
export const ALERT_THRESHOLD_VARIABLES: Readonly<Record<keyof AlertThresholds, string>> = {
  requests: 'REQUEST_THRESHOLD',
  revenueXof: 'REVENUE_THRESHOLD',
  failureRatePercent: 'FAILURE_RATE_THRESHOLD',
};

export function loadConfig(env: Env = process.env): AppConfig {
  const exportPublicUrl = url(env, 'EXPORT_PUBLIC_URL', ['http:', 'https:'])?.replace(/\/+$/, '');
  return {
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    clickhouseUrl: url(env, 'CLICKHOUSE_URL', ['http:', 'https:']),
    clickhouseDatabase: identifier(env, 'CLICKHOUSE_DATABASE', 'depanneteliman'),
    clickhouseDataDir: optional(env, 'CLICKHOUSE_DATA_DIR') ?? fromRoot('data', 'clickhouse'),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    // A week at most: rolling windows (24h, 7d) move with the clock, so an older figure misleads.
    statisticsCacheTtlSeconds: integer(env, 'STATISTICS_CACHE_TTL_SECONDS', 3600, 1, 7 * 24 * 3600),
    cacheEnabled: boolean(env, 'CACHE_ENABLED', true),
    statisticsMaxStalenessSeconds: integer(env, 'STATISTICS_MAX_STALENESS_SECONDS', 0, 0, 3600),
    stateDatabaseUrl: url(env, 'STATE_DATABASE_URL', ['postgres:', 'postgresql:']),
    stateSqlitePath: optional(env, 'STATE_SQLITE_PATH') ?? fromRoot('data', 'state.sqlite'),
    alertThresholds: {
      requests: integer(env, 'REQUEST_THRESHOLD', 100, 0, Number.MAX_SAFE_INTEGER),
      revenueXof: money(env, 'REVENUE_THRESHOLD') ?? 1_000_000,
      failureRatePercent: percent(env, 'FAILURE_RATE_THRESHOLD', 10),
    },
    alertThresholdsSet: (Object.keys(ALERT_THRESHOLD_VARIABLES) as Array<keyof AlertThresholds>).filter(
      (key) => optional(env, ALERT_THRESHOLD_VARIABLES[key]) !== undefined,
    ),
    jwtSecret: optional(env, 'JWT_SECRET'),
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: optional(env, 'HOST') ?? '127.0.0.1',
    replicationSlot: identifier(env, 'INGEST_SLOT', 'depanneteliman_statistics'),
    publication: identifier(env, 'INGEST_PUBLICATION', 'depanneteliman_statistics'),
    ingestBatchRows: integer(env, 'INGEST_BATCH_ROWS', 50_000, 1, 10_000_000),
    ingestBatchDelayMs: integer(env, 'INGEST_BATCH_DELAY_MS', 100, 0, 60_000),
    ingestImageCacheRows: integer(env, 'INGEST_IMAGE_CACHE_ROWS', 200_000, 0, 10_000_000),
    acquisitionSpendXof: money(env, 'ACQUISITION_SPEND_XOF'),
    realTimeRefreshSeconds: integer(env, 'REAL_TIME_REFRESH_SECONDS', 30, 1, 3600),
    realtimeMinPushMs: integer(env, 'REALTIME_MIN_PUSH_MS', 250, 50, 60_000),
    realtimeRecoverySeconds: integer(env, 'REALTIME_RECOVERY_SECONDS', 120, 0, 3600),
    authUserCacheSeconds: integer(env, 'AUTH_USER_CACHE_SECONDS', 5, 0, 300),
    logLevel: choice(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    logFormat: choice(env, 'LOG_FORMAT', LOG_FORMATS, 'text'),
    shutdownTimeoutSeconds: integer(env, 'SHUTDOWN_TIMEOUT_SECONDS', 20, 1, 3600),
    serviceRole: serviceRole(env),
    ingestStatusTtlSeconds: integer(env, 'INGEST_STATUS_TTL_SECONDS', 10, 2, 3600),
    demo: {
      dataDir: optional(env, 'DEMO_DATA_DIR') ?? fromRoot('data', 'postgres'),
      port: integer(env, 'DEMO_POSTGRES_PORT', 54329, 1, 65535),
      requests: integer(env, 'DEMO_REQUESTS', 50_000, 0, 100_000_000),
      simulatorRate: integer(env, 'DEMO_SIMULATOR_RATE', 5, 0, 100_000),
    },
    analyst: {
      maxResultRows: integer(env, 'ANALYST_MAX_RESULT_ROWS', 100_000, 1, 10_000_000),
      maxResultBytes: integer(env, 'ANALYST_MAX_RESULT_BYTES', 100 * 1024 * 1024, 1024, 4 * 1024 * 1024 * 1024),
      maxMemoryBytes: integer(env, 'ANALYST_MAX_MEMORY_BYTES', 1024 * 1024 * 1024, 16 * 1024 * 1024, 64 * 1024 * 1024 * 1024),
      maxExecutionSeconds: integer(env, 'ANALYST_MAX_EXECUTION_SECONDS', 10, 1, 3600),
      maxConcurrentQueries: integer(env, 'ANALYST_MAX_CONCURRENT_QUERIES', 2, 1, 64),
      ratePerMinute: integer(env, 'ANALYST_RATE_LIMIT', 60, 1, 100_000),
    },
    engine: {
      concurrency: integer(env, 'ENGINE_CONCURRENCY', optional(env, 'CLICKHOUSE_URL') ? 8 : 1, 1, 64),
      maxQueued: integer(env, 'ENGINE_MAX_QUEUED', 200, 1, 100_000),
      queueTimeoutSeconds: integer(env, 'ENGINE_QUEUE_TIMEOUT_SECONDS', 10, 1, 600),
    },
    alerting: {
      evaluationSeconds: integer(env, 'ALERT_EVALUATION_SECONDS', 60, 1, 3600),
      webhookUrl: url(env, 'ALERT_WEBHOOK_URL', ['http:', 'https:']),
      webhookSecret: optional(env, 'ALERT_WEBHOOK_SECRET'),
      webhookMaxAttempts: integer(env, 'ALERT_WEBHOOK_MAX_ATTEMPTS', 5, 1, 20),
    },
    exports: {
      dir: optional(env, 'EXPORT_DIR') ?? fromRoot('data', 'exports'),
      linkSeconds: integer(env, 'EXPORT_LINK_SECONDS', 900, 10, 7 * 24 * 3600),
      retentionHours: integer(env, 'EXPORT_RETENTION_HOURS', 72, 1, 24 * 365),
      concurrency: integer(env, 'EXPORT_CONCURRENCY', 2, 1, 32),
      maxAttachmentMb: integer(env, 'EXPORT_MAX_ATTACHMENT_MB', 10, 1, 100),
      waitSeconds: integer(env, 'EXPORT_WAIT_SECONDS', 30, 0, 300),
      publicUrl: exportPublicUrl,
      jobLeaseSeconds: integer(env, 'EXPORT_JOB_LEASE_SECONDS', 30, 2, 3600),
    },
    pdf: {
      executablePath: optional(env, 'PUPPETEER_EXECUTABLE_PATH'),
      pages: integer(env, 'PDF_POOL_PAGES', 2, 1, 16),
      renderTimeoutSeconds: integer(env, 'PDF_RENDER_TIMEOUT_SECONDS', 60, 1, 600),
    },
    smtp: {
      url: url(env, 'SMTP_URL', ['smtp:', 'smtps:']),
      from: optional(env, 'SMTP_FROM') ?? 'DepanneTeliman Statistiques <statistiques@localhost>',
    },
    reports: {
      webhookSecret: optional(env, 'REPORT_WEBHOOK_SECRET') ?? optional(env, 'ALERT_WEBHOOK_SECRET'),
      maxAttempts: integer(env, 'REPORT_MAX_ATTEMPTS', 4, 1, 10),
      retryBaseSeconds: integer(env, 'REPORT_RETRY_BASE_SECONDS', 60, 1, 3600),
    },
    security: {
      corsOrigins: origins(env, 'CORS_ORIGINS'),
      authFailureLimit: integer(env, 'AUTH_FAILURE_LIMIT', 30, 1, 1_000_000),
      metricsToken: secret(env, 'METRICS_TOKEN', 16),
      hsts: exportPublicUrl?.startsWith('https:') ?? false,
    },
    // 5 s at least, as for a dashboard's own setting (dto/dashboard.ts): faster polling of every
    // widget would only queue behind the live rooms, which push changes anyway.
    dashboards: {
      refreshSeconds: integer(env, 'DASHBOARD_REFRESH_SECONDS', 300, 5, 86_400),
      widgetRefreshSeconds: integer(env, 'WIDGET_REFRESH_SECONDS', 60, 5, 86_400),
    },
  };
}
