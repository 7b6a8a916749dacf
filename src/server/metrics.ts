// The server's Prometheus metrics, registered in the registry createServer is given (which also
// holds the engine's). Reuses a metric already registered under the same name, so two servers may
// share one registry (tests, restarts in one process).
import { Counter, Gauge, type Registry } from 'prom-client'
import { type CounterSeries, type HistogramSeries, LocalCounter, LocalHistogram, sharedMetric } from './http-metrics.ts'

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

export const HTTP_DURATION_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]

export class ServerMetrics {
  /** Labels method, route, status. */
  readonly httpRequests: LocalCounter
  /** Labels method, route. */
  readonly httpDuration: LocalHistogram
  readonly ingestEvents: Counter<'job' | 'source'>
  readonly wsConnections: Gauge
  readonly wsSubscriptions: Gauge
  readonly wsFrames: Counter<'op'>
  readonly wsConflated: Counter<never>
  readonly wsSlowCloses: Counter<never>

  constructor(registry: Registry) {
    const requests = 'livestate_http_requests_total'
    this.httpRequests = sharedMetric(
      registry,
      requests,
      LocalCounter,
      () => new LocalCounter(requests, 'HTTP requests by route pattern and status'),
    )
    const duration = 'livestate_http_request_duration_seconds'
    this.httpDuration = sharedMetric(
      registry,
      duration,
      LocalHistogram,
      () => new LocalHistogram(duration, 'HTTP request latency by route pattern', HTTP_DURATION_BUCKETS),
    )
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

/**
 * The http metrics' series, bound once per (method, route[, status]) and found through nested Maps
 * keyed by the router's own strings: no label object, key string or hash per request.
 */
export class RouteSeriesCache {
  readonly #byMethod = new Map<string, Map<string, RouteSeries>>()

  constructor(private readonly metrics: ServerMetrics) {}

  of(method: string, route: string): RouteSeries {
    let byRoute = this.#byMethod.get(method)
    if (byRoute === undefined) this.#byMethod.set(method, (byRoute = new Map()))
    let s = byRoute.get(route)
    if (s === undefined) byRoute.set(route, (s = new RouteSeries(this.metrics, method, route)))
    return s
  }
}

/** One (method, route): its latency series and its request counters by status. */
export class RouteSeries {
  readonly #duration: HistogramSeries
  readonly #requests = new Map<number, CounterSeries>()

  constructor(
    private readonly metrics: ServerMetrics,
    private readonly method: string,
    private readonly route: string,
  ) {
    this.#duration = metrics.httpDuration.bind({ method, route })
  }

  record(status: number, seconds: number): void {
    let counter = this.#requests.get(status)
    if (counter === undefined) {
      counter = this.metrics.httpRequests.bind({ method: this.method, route: this.route, status: String(status) })
      this.#requests.set(status, counter)
    }
    counter.value++
    this.#duration.observe(seconds)
  }
}
