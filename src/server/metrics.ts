// The server's Prometheus metrics, registered in the registry createServer is given (which also
// holds the engine's). Reuses a metric already registered under the same name, so two servers may
// share one registry (tests, restarts in one process).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

function counter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
): Counter<L> {
  return (
    (registry.getSingleMetric(name) as Counter<L> | undefined) ??
    new Counter({ name, help, labelNames, registers: [registry] })
  )
}

function gauge(registry: Registry, name: string, help: string): Gauge {
  return (registry.getSingleMetric(name) as Gauge | undefined) ?? new Gauge({ name, help, registers: [registry] })
}

export class ServerMetrics {
  readonly httpRequests: Counter<'method' | 'route' | 'status'>
  readonly httpDuration: Histogram<'method' | 'route'>
  readonly ingestEvents: Counter<'job' | 'source'>
  readonly wsConnections: Gauge
  readonly wsSubscriptions: Gauge
  readonly wsFrames: Counter<'op'>
  readonly wsConflated: Counter<never>
  readonly wsSlowCloses: Counter<never>

  constructor(registry: Registry) {
    this.httpRequests = counter(
      registry,
      'livestate_http_requests_total',
      'HTTP requests by route pattern and status',
      ['method', 'route', 'status'],
    )
    const durationName = 'livestate_http_request_duration_seconds'
    this.httpDuration =
      (registry.getSingleMetric(durationName) as Histogram<'method' | 'route'> | undefined) ??
      new Histogram({
        name: durationName,
        help: 'HTTP request latency by route pattern',
        labelNames: ['method', 'route'],
        buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [registry],
      })
    this.ingestEvents = counter(registry, 'livestate_ingest_events_total', 'Events accepted by HTTP ingest', [
      'job',
      'source',
    ])
    this.wsConnections = gauge(registry, 'livestate_ws_connections', 'Open WebSocket connections')
    this.wsSubscriptions = gauge(registry, 'livestate_ws_subscriptions', 'Open WebSocket subscriptions')
    this.wsFrames = counter(
      registry,
      'livestate_ws_frames_total',
      'WebSocket client frames by op (invalid = rejected)',
      ['op'],
    )
    this.wsConflated = counter(
      registry,
      'livestate_ws_conflated_updates_total',
      'Subscription updates replaced by a newer value for a slow consumer',
      [],
    )
    this.wsSlowCloses = counter(
      registry,
      'livestate_ws_slow_consumer_closes_total',
      'Connections closed with 4008 consumer too slow',
      [],
    )
  }
}
