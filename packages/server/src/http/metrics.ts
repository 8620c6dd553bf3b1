import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The server's Prometheus metrics, in their own registry (so tests can build many apps). */
export interface Metrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly decisions: Counter<'level' | 'outcome'>;
  readonly duplicates: Counter;
  readonly commitDuration: Histogram;
  readonly commitBatchSize: Histogram;
  readonly ingestQueueDepth: Gauge;
}

/**
 * Creates the metrics. `queueDepth` is read when Prometheus scrapes.
 * @example const metrics = createMetrics({ queueDepth: () => ingest.depth() });
 */
export function createMetrics(
  opts: { readonly queueDepth?: () => number; readonly defaults?: boolean } = {},
): Metrics {
  const registry = new Registry();
  if (opts.defaults !== false) collectDefaultMetrics({ register: registry, prefix: 'vigil_' });
  const queueDepth = opts.queueDepth;
  return {
    registry,
    httpRequests: new Counter({
      name: 'vigil_http_requests_total',
      help: 'HTTP requests by method, route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'vigil_http_request_duration_seconds',
      help: 'HTTP request latency by method and route',
      labelNames: ['method', 'route'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    decisions: new Counter({
      name: 'vigil_decisions_total',
      help: 'Decisions committed, by risk level and outcome',
      labelNames: ['level', 'outcome'],
      registers: [registry],
    }),
    duplicates: new Counter({
      name: 'vigil_duplicate_events_total',
      help: 'Events re-sent with an id already decided (answered from the log)',
      registers: [registry],
    }),
    commitDuration: new Histogram({
      name: 'vigil_group_commit_duration_seconds',
      help: 'Time to write one group commit (events, decisions, signals, profiles)',
      buckets: [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    commitBatchSize: new Histogram({
      name: 'vigil_group_commit_events',
      help: 'Events per group commit',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      registers: [registry],
    }),
    ingestQueueDepth: new Gauge({
      name: 'vigil_ingest_queue_depth',
      help: 'Events waiting for the next group commit',
      registers: [registry],
      collect() {
        if (queueDepth !== undefined) this.set(queueDepth());
      },
    }),
  };
}
