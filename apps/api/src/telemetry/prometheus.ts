// The Prometheus view of the service (GET /metrics, prom-client text format): the HTTP latency
// histogram observed by ApiTelemetry on every answered request, Node's process metrics, and gauges
// and counters read from the components at scrape time (ingest lag, cache, sockets, alert rounds,
// export jobs, refused credentials, the engine's admission queue). Read at scrape time, never
// pushed from the hot path: a scrape costs what it reads, a request costs one histogram observe.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export const METRICS_PREFIX = 'statistics_';

/** One registry per API process (tests run several in one Node process, so never the global one). */
export class PrometheusMetrics {
  readonly registry = new Registry();
  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new Histogram({
      name: `${METRICS_PREFIX}http_request_duration_seconds`,
      help: 'Time from the arrival of an HTTP request to the end of its response, by matched route and status',
      labelNames: ['method', 'route', 'status'],
      // From a cached answer (~1 ms) to an analyst query at its limit (10 s and more).
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [this.registry],
    });
  }

  /** `route` is the matched pattern (never the raw path: ids would explode the label set). */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.httpDuration.observe({ method, route, status: String(status) }, seconds);
  }

  /** A gauge whose value is read when Prometheus scrapes; `read` returning null leaves it without a sample. */
  gauge(name: string, help: string, read: () => number | null | Promise<number | null>): void {
    new Gauge({
      name: `${METRICS_PREFIX}${name}`,
      help,
      registers: [this.registry],
      async collect() {
        this.reset();
        const value = await read();
        if (value !== null) this.set(value);
      },
    });
  }

  /** A gauge with one label, read at scrape time as a record label value → number. */
  labelledGauge(name: string, help: string, label: string, read: () => Record<string, number> | null | Promise<Record<string, number> | null>): void {
    new Gauge({
      name: `${METRICS_PREFIX}${name}`,
      help,
      labelNames: [label],
      registers: [this.registry],
      async collect() {
        this.reset();
        const values = await read();
        for (const [value, count] of Object.entries(values ?? {})) this.set({ [label]: value }, count);
      },
    });
  }

  /** A counter kept by a component (monotonic in its process), copied at scrape time; optionally by one label. */
  counter(name: string, help: string, read: () => number | Record<string, number>, label = 'kind'): void {
    const initial = read();
    new Counter({
      name: `${METRICS_PREFIX}${name}`,
      help,
      labelNames: typeof initial === 'number' ? [] : [label],
      registers: [this.registry],
      collect() {
        this.reset();
        const value = read();
        if (typeof value === 'number') this.inc(value);
        else for (const [key, count] of Object.entries(value)) this.inc({ [label]: key }, count);
      },
    });
  }
}

/** What the engine's admission queue tells /metrics (AdmissionControl.status() has this shape). */
export interface EngineMetricsSource {
  status(): {
    running: number;
    queued: Record<string, number>;
    admitted: number;
    refused: Record<string, number>;
    refused_by_priority: Record<string, number>;
    wait_ms: { p50: number; p99: number; max: number };
    busy_ms: Record<string, number>;
  };
}

/** The engine admission queue's depth, admissions, refusals and waits. */
export function registerEngineMetrics(metrics: PrometheusMetrics, source: EngineMetricsSource): void {
  metrics.labelledGauge('engine_queue_depth', 'Engine queries waiting for a turn, by priority', 'priority', () => source.status().queued);
  metrics.gauge('engine_running_queries', 'Engine queries running now', () => source.status().running);
  metrics.counter('engine_admitted_total', 'Engine queries let in', () => source.status().admitted);
  metrics.counter('engine_refused_total', 'Engine queries refused (503), by reason', () => source.status().refused, 'reason');
  metrics.counter('engine_refused_by_priority_total', 'Engine queries refused (503), by priority', () => source.status().refused_by_priority, 'priority');
  metrics.counter('engine_busy_seconds_total', 'Engine time taken by the API\'s queries, by priority (live, interactive, export, analyst, background)', () => {
    const busy = source.status().busy_ms;
    return Object.fromEntries(Object.entries(busy).map(([priority, ms]) => [priority, ms / 1000]));
  }, 'priority');
  metrics.labelledGauge('engine_wait_seconds', 'Wait for a turn over the last 1 000 admitted queries', 'quantile', () => {
    const { p50, p99, max } = source.status().wait_ms;
    return { '0.5': p50 / 1000, '0.99': p99 / 1000, '1': max / 1000 };
  });
}
