import { describe, expect, it } from 'vitest';
import { assertApiConfig, ConfigError, loadConfig } from '../../libs/config/src/config.js';
import { fromRoot } from '../../libs/config/src/paths.js';

describe('cache configuration', () => {
  it('defaults to a one-hour TTL, cache on, no REDIS_URL', () => {
    const config = loadConfig({});
    expect(config.statisticsCacheTtlSeconds).toBe(3600);
    expect(config.cacheEnabled).toBe(true);
    expect(config.redisUrl).toBeUndefined();
  });

  it('reads CACHE_ENABLED as true/false/1/0, any case', () => {
    expect(loadConfig({ CACHE_ENABLED: 'false' }).cacheEnabled).toBe(false);
    expect(loadConfig({ CACHE_ENABLED: '0' }).cacheEnabled).toBe(false);
    expect(loadConfig({ CACHE_ENABLED: 'TRUE' }).cacheEnabled).toBe(true);
    expect(loadConfig({ CACHE_ENABLED: '1' }).cacheEnabled).toBe(true);
  });

  it('rejects a bad CACHE_ENABLED, TTL or REDIS_URL naming the variable', () => {
    expect(() => loadConfig({ CACHE_ENABLED: 'yes' })).toThrow(ConfigError);
    expect(() => loadConfig({ CACHE_ENABLED: 'yes' })).toThrow(/CACHE_ENABLED/);
    expect(() => loadConfig({ STATISTICS_CACHE_TTL_SECONDS: '0' })).toThrow(/STATISTICS_CACHE_TTL_SECONDS/);
    expect(() => loadConfig({ STATISTICS_CACHE_TTL_SECONDS: '1h' })).toThrow(/STATISTICS_CACHE_TTL_SECONDS/);
    expect(() => loadConfig({ REDIS_URL: 'http://127.0.0.1:6379' })).toThrow(/REDIS_URL/);
    expect(loadConfig({ STATISTICS_CACHE_TTL_SECONDS: '90' }).statisticsCacheTtlSeconds).toBe(90);
  });

  it('reads the staleness bound and the engine admission settings, naming a bad one', () => {
    expect(loadConfig({}).statisticsMaxStalenessSeconds).toBe(0);
    expect(loadConfig({ STATISTICS_MAX_STALENESS_SECONDS: '30' }).statisticsMaxStalenessSeconds).toBe(30);
    expect(() => loadConfig({ STATISTICS_MAX_STALENESS_SECONDS: '3601' })).toThrow(/STATISTICS_MAX_STALENESS_SECONDS/);
    expect(loadConfig({}).engine).toEqual({ concurrency: 1, maxQueued: 200, queueTimeoutSeconds: 10 });
    expect(loadConfig({ CLICKHOUSE_URL: 'http://ch:8123' }).engine.concurrency).toBe(8);
    expect(() => loadConfig({ ENGINE_CONCURRENCY: '0' })).toThrow(/ENGINE_CONCURRENCY/);
    expect(() => loadConfig({ ENGINE_MAX_QUEUED: 'lots' })).toThrow(/ENGINE_MAX_QUEUED/);
    expect(() => loadConfig({ ENGINE_QUEUE_TIMEOUT_SECONDS: '0' })).toThrow(/ENGINE_QUEUE_TIMEOUT_SECONDS/);
  });
});

describe('state store configuration', () => {
  it('defaults to SQLite at data/state.sqlite under the project root', () => {
    const config = loadConfig({});
    expect(config.stateDatabaseUrl).toBeUndefined();
    expect(config.stateSqlitePath).toBe(fromRoot('data', 'state.sqlite'));
  });

  it('reads STATE_SQLITE_PATH and a postgres STATE_DATABASE_URL', () => {
    expect(loadConfig({ STATE_SQLITE_PATH: '/var/lib/stats/state.db' }).stateSqlitePath).toBe('/var/lib/stats/state.db');
    expect(loadConfig({ STATE_DATABASE_URL: 'postgres://u@h:5432/state' }).stateDatabaseUrl).toBe('postgres://u@h:5432/state');
    expect(() => loadConfig({ STATE_DATABASE_URL: 'mysql://u@h/state' })).toThrow(/STATE_DATABASE_URL/);
  });
});

describe('alert thresholds', () => {
  it('defaults to 100 requests, 1 000 000 XOF and 10 % over 24 h', () => {
    expect(loadConfig({}).alertThresholds).toEqual({ requests: 100, revenueXof: 1_000_000, failureRatePercent: 10 });
  });

  it('reads REQUEST_THRESHOLD, REVENUE_THRESHOLD and FAILURE_RATE_THRESHOLD', () => {
    const config = loadConfig({ REQUEST_THRESHOLD: '0', REVENUE_THRESHOLD: '2500000.50', FAILURE_RATE_THRESHOLD: '12.5' });
    expect(config.alertThresholds).toEqual({ requests: 0, revenueXof: 2_500_000.5, failureRatePercent: 12.5 });
    expect(loadConfig({ FAILURE_RATE_THRESHOLD: '100' }).alertThresholds.failureRatePercent).toBe(100);
  });

  it('says which thresholds the environment set (the demo scales the others to its data)', () => {
    expect(loadConfig({}).alertThresholdsSet).toEqual([]);
    expect(loadConfig({ REVENUE_THRESHOLD: '5000', FAILURE_RATE_THRESHOLD: ' ' }).alertThresholdsSet).toEqual(['revenueXof']);
    expect(loadConfig({ REQUEST_THRESHOLD: '100', REVENUE_THRESHOLD: '1000000', FAILURE_RATE_THRESHOLD: '10' }).alertThresholdsSet).toEqual(
      ['requests', 'revenueXof', 'failureRatePercent'],
    );
  });

  it.each([
    ['REQUEST_THRESHOLD', '-1'],
    ['REQUEST_THRESHOLD', '10.5'],
    ['REQUEST_THRESHOLD', 'many'],
    ['REVENUE_THRESHOLD', '1000.555'],
    ['REVENUE_THRESHOLD', '-5'],
    ['REVENUE_THRESHOLD', '1e6'],
    ['FAILURE_RATE_THRESHOLD', '100.01'],
    ['FAILURE_RATE_THRESHOLD', '-1'],
    ['FAILURE_RATE_THRESHOLD', '10%'],
    ['FAILURE_RATE_THRESHOLD', '1.234'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });
});

describe('scheduled reports', () => {
  it('defaults to 4 attempts, 60 s before the first retry, no webhook secret', () => {
    expect(loadConfig({}).reports).toEqual({ webhookSecret: undefined, maxAttempts: 4, retryBaseSeconds: 60 });
  });

  it('signs with REPORT_WEBHOOK_SECRET, else with ALERT_WEBHOOK_SECRET', () => {
    expect(loadConfig({ ALERT_WEBHOOK_SECRET: 'alerts' }).reports.webhookSecret).toBe('alerts');
    expect(loadConfig({ ALERT_WEBHOOK_SECRET: 'alerts', REPORT_WEBHOOK_SECRET: 'reports' }).reports.webhookSecret).toBe('reports');
    expect(loadConfig({ REPORT_WEBHOOK_SECRET: 'reports' }).alerting.webhookSecret).toBeUndefined();
  });

  it('reads REPORT_MAX_ATTEMPTS and REPORT_RETRY_BASE_SECONDS', () => {
    expect(loadConfig({ REPORT_MAX_ATTEMPTS: '1', REPORT_RETRY_BASE_SECONDS: '2' }).reports).toMatchObject({ maxAttempts: 1, retryBaseSeconds: 2 });
  });

  it.each([
    ['REPORT_MAX_ATTEMPTS', '0'],
    ['REPORT_MAX_ATTEMPTS', '11'],
    ['REPORT_RETRY_BASE_SECONDS', '0'],
    ['REPORT_RETRY_BASE_SECONDS', '1.5'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });
});

describe('security settings', () => {
  it('defaults to any origin, 30 refused credentials a minute, no metrics token, no HSTS', () => {
    expect(loadConfig({}).security).toEqual({ corsOrigins: '*', authFailureLimit: 30, metricsToken: undefined, hsts: false });
  });

  it('reads CORS_ORIGINS as a list of origins, AUTH_FAILURE_LIMIT, METRICS_TOKEN; HSTS when published over https', () => {
    const config = loadConfig({
      CORS_ORIGINS: 'https://dashboard.example.ml, http://localhost:5173/',
      AUTH_FAILURE_LIMIT: '5',
      METRICS_TOKEN: 'a-scraper-token-of-32-characters',
      EXPORT_PUBLIC_URL: 'https://stats.example.ml/',
    });
    expect(config.security).toEqual({
      corsOrigins: ['https://dashboard.example.ml', 'http://localhost:5173'],
      authFailureLimit: 5,
      metricsToken: 'a-scraper-token-of-32-characters',
      hsts: true,
    });
    expect(loadConfig({ CORS_ORIGINS: '*' }).security.corsOrigins).toBe('*');
    expect(loadConfig({ EXPORT_PUBLIC_URL: 'http://stats.example.ml' }).security.hsts).toBe(false);
  });

  it.each([
    ['CORS_ORIGINS', 'dashboard.example.ml'],
    ['CORS_ORIGINS', 'https://dashboard.example.ml/app'],
    ['CORS_ORIGINS', 'ftp://files.example.ml'],
    ['CORS_ORIGINS', ','],
    ['AUTH_FAILURE_LIMIT', '0'],
    ['AUTH_FAILURE_LIMIT', 'ten'],
    ['METRICS_TOKEN', 'short'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });
});

describe('logging and shutdown', () => {
  it('defaults to LOG_LEVEL=info and a 20 s shutdown deadline', () => {
    const config = loadConfig({});
    expect(config.logLevel).toBe('info');
    expect(config.shutdownTimeoutSeconds).toBe(20);
  });

  it('reads LOG_LEVEL in any case and SHUTDOWN_TIMEOUT_SECONDS', () => {
    const config = loadConfig({ LOG_LEVEL: 'DEBUG', SHUTDOWN_TIMEOUT_SECONDS: '45' });
    expect(config.logLevel).toBe('debug');
    expect(config.shutdownTimeoutSeconds).toBe(45);
    expect(loadConfig({ LOG_LEVEL: 'warn' }).logLevel).toBe('warn');
  });

  it('reads LOG_FORMAT: text by default, json in any case', () => {
    expect(loadConfig({}).logFormat).toBe('text');
    expect(loadConfig({ LOG_FORMAT: 'JSON' }).logFormat).toBe('json');
  });

  it.each([
    ['LOG_LEVEL', 'verbose'],
    ['LOG_LEVEL', 'log'],
    ['LOG_FORMAT', 'yaml'],
    ['SHUTDOWN_TIMEOUT_SECONDS', '0'],
    ['SHUTDOWN_TIMEOUT_SECONDS', 'soon'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });
});

describe('analyst gateway rate limit', () => {
  it('defaults to 60 queries a minute per user and reads ANALYST_RATE_LIMIT', () => {
    expect(loadConfig({}).analyst.ratePerMinute).toBe(60);
    expect(loadConfig({ ANALYST_RATE_LIMIT: '5' }).analyst.ratePerMinute).toBe(5);
  });

  it.each(['0', 'many', '-1'])('rejects ANALYST_RATE_LIMIT=%s naming the variable', (value) => {
    expect(() => loadConfig({ ANALYST_RATE_LIMIT: value })).toThrow(/ANALYST_RATE_LIMIT/);
  });
});

describe('JWT_SECRET', () => {
  it('is required to serve the API with DATABASE_URL; the ingest alone and the embedded demo do without', () => {
    const attempt = (): void => assertApiConfig(loadConfig({ DATABASE_URL: 'postgres://u@db:5432/app' }));
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/^configuration JWT_SECRET: required with DATABASE_URL/);
    expect(() => assertApiConfig(loadConfig({ DATABASE_URL: 'postgres://u@db:5432/app', JWT_SECRET: 's' }))).not.toThrow();
    expect(() => assertApiConfig(loadConfig({}))).not.toThrow();
    // The standalone ingest reads the same configuration without a secret.
    expect(loadConfig({ DATABASE_URL: 'postgres://u@db:5432/app' }).jwtSecret).toBeUndefined();
  });
});

describe('service role (SERVICE_ROLE)', () => {
  const split = { CLICKHOUSE_URL: 'http://clickhouse:8123', REDIS_URL: 'redis://redis:6379', DATABASE_URL: 'postgres://u@db:5432/app', JWT_SECRET: 'django-secret' };

  it('defaults to all (API and ingest in one process), with a 10 s ingest status TTL', () => {
    expect(loadConfig({}).serviceRole).toBe('all');
    expect(loadConfig({ SERVICE_ROLE: 'ALL' }).serviceRole).toBe('all');
    expect(loadConfig({}).ingestStatusTtlSeconds).toBe(10);
    expect(loadConfig({ INGEST_STATUS_TTL_SECONDS: '3' }).ingestStatusTtlSeconds).toBe(3);
    expect(() => loadConfig({ INGEST_STATUS_TTL_SECONDS: '1' })).toThrow(/INGEST_STATUS_TTL_SECONDS/);
  });

  it('accepts api and ingest with a ClickHouse server, Redis and the operational database', () => {
    expect(loadConfig({ ...split, SERVICE_ROLE: 'api' }).serviceRole).toBe('api');
    expect(loadConfig({ ...split, SERVICE_ROLE: 'ingest' }).serviceRole).toBe('ingest');
  });

  it('refuses an unknown role, naming the variable and the choices', () => {
    expect(() => loadConfig({ ...split, SERVICE_ROLE: 'worker' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...split, SERVICE_ROLE: 'worker' })).toThrow('configuration SERVICE_ROLE: expected one of all, api, ingest, got "worker"');
  });

  it('allows only all on the embedded engine: api or ingest without CLICKHOUSE_URL is a ConfigError saying why', () => {
    for (const role of ['api', 'ingest']) {
      const attempt = (): unknown => loadConfig({ ...split, CLICKHOUSE_URL: '', SERVICE_ROLE: role });
      expect(attempt).toThrow(ConfigError);
      expect(attempt).toThrow(/^configuration SERVICE_ROLE: .*CLICKHOUSE_URL.*SERVICE_ROLE=all/);
    }
    expect(loadConfig({ ...split, CLICKHOUSE_URL: '', SERVICE_ROLE: 'all' }).serviceRole).toBe('all');
  });

  it('needs REDIS_URL (the feed between the roles) and DATABASE_URL (no embedded demo database) to split', () => {
    expect(() => loadConfig({ ...split, REDIS_URL: '', SERVICE_ROLE: 'api' })).toThrow(/^configuration SERVICE_ROLE: api needs REDIS_URL/);
    expect(() => loadConfig({ ...split, REDIS_URL: '', SERVICE_ROLE: 'ingest' })).toThrow(/^configuration SERVICE_ROLE: ingest needs REDIS_URL/);
    expect(() => loadConfig({ ...split, DATABASE_URL: '', SERVICE_ROLE: 'api' })).toThrow(/^configuration SERVICE_ROLE: api needs DATABASE_URL/);
  });
});

describe('dashboards', () => {
  it('refresh a dashboard every 300 s and a widget every 60 s unless told, 5 s at least', () => {
    expect(loadConfig({}).dashboards).toEqual({ refreshSeconds: 300, widgetRefreshSeconds: 60 });
    expect(loadConfig({ DASHBOARD_REFRESH_SECONDS: '5', WIDGET_REFRESH_SECONDS: '86400' }).dashboards).toEqual({ refreshSeconds: 5, widgetRefreshSeconds: 86_400 });
  });

  it.each([
    ['DASHBOARD_REFRESH_SECONDS', '4'],
    ['DASHBOARD_REFRESH_SECONDS', '86401'],
    ['DASHBOARD_REFRESH_SECONDS', '30s'],
    ['WIDGET_REFRESH_SECONDS', '0'],
    ['WIDGET_REFRESH_SECONDS', '7.5'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });
});
