// The two per-request metrics (requests by method, route and status; latency by method and route)
// as registry metrics of our own: prom-client checks and hashes the label set on every inc/observe
// even through a bound child, which cost more than a point lookup's read. Here a series is found
// once per (method, route[, status]) and recorded with plain arithmetic; the registry reads these
// metrics through the same get()/getForPromString() shapes as prom-client's Counter and Histogram,
// so /metrics says exactly what it said (http-metrics.test.ts renders both side by side).
import type { Registry } from 'prom-client'

type Labels = Record<string, string>

interface ExportedValue {
  value: number
  labels: Labels | { le: number | string }
  sharedLabels?: Labels
  metricName?: string
  exemplar?: null
}

/** A registry metric: what Registry.metrics()/getMetricsAsJSON()/resetMetrics() call. */
abstract class LocalMetric<S> {
  readonly aggregator = 'sum'
  abstract readonly type: 'counter' | 'histogram'
  protected readonly series = new Map<string, S>()

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  /** Zeroes every series in place (bound series stay valid; prom-client would drop them until used). */
  reset(): void {
    for (const s of this.series.values()) this.zero(s)
  }

  protected abstract zero(series: S): void

  protected seriesOf(labels: Labels, make: () => S): S {
    const key = JSON.stringify(labels)
    let s = this.series.get(key)
    if (s === undefined) this.series.set(key, (s = make()))
    return s
  }
}

export class CounterSeries {
  value = 0
  constructor(readonly labels: Labels) {}
}

export class LocalCounter extends LocalMetric<CounterSeries> {
  readonly type = 'counter'

  /** The series of one label set; bind it once and call `value++`. */
  bind(labels: Labels): CounterSeries {
    return this.seriesOf(labels, () => new CounterSeries(labels))
  }

  protected zero(s: CounterSeries): void {
    s.value = 0
  }

  async get() {
    const values: ExportedValue[] = []
    for (const s of this.series.values()) values.push({ value: s.value, labels: s.labels })
    return { help: this.help, name: this.name, type: this.type, values, aggregator: this.aggregator }
  }
}

export class HistogramSeries {
  /** Observations per bucket, not cumulative; the last slot counts those above every bound. */
  readonly counts: number[]
  sum = 0
  count = 0

  constructor(
    readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Array<number>(bounds.length + 1).fill(0)
  }

  observe(value: number): void {
    const bounds = this.bounds
    let i = 0
    while (i < bounds.length && value > bounds[i]!) i++
    this.counts[i]!++
    this.sum += value
    this.count++
  }
}

export class LocalHistogram extends LocalMetric<HistogramSeries> {
  readonly type = 'histogram'

  constructor(
    name: string,
    help: string,
    readonly bounds: readonly number[],
  ) {
    super(name, help)
  }

  bind(labels: Labels): HistogramSeries {
    return this.seriesOf(labels, () => new HistogramSeries(labels, this.bounds))
  }

  protected zero(s: HistogramSeries): void {
    s.counts.fill(0)
    s.sum = 0
    s.count = 0
  }

  /** prom-client's layout: per series the cumulative buckets (`le` first), +Inf, _sum, _count. */
  async getForPromString() {
    const values: ExportedValue[] = []
    const bucket = `${this.name}_bucket`
    for (const s of this.series.values()) {
      let acc = 0
      this.bounds.forEach((le, i) => {
        acc += s.counts[i]!
        values.push({ labels: { le }, sharedLabels: s.labels, value: acc, metricName: bucket, exemplar: null })
      })
      values.push({
        labels: { le: '+Inf' },
        sharedLabels: s.labels,
        value: s.count,
        metricName: bucket,
        exemplar: null,
      })
      values.push({ labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum` })
      values.push({ labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count` })
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator }
  }

  /** getMetricsAsJSON's layout: the shared labels folded into each value's labels. */
  async get() {
    const data = await this.getForPromString()
    return {
      ...data,
      values: data.values.map(({ sharedLabels, labels, ...rest }) => ({
        ...rest,
        labels: { ...labels, ...sharedLabels },
      })),
    }
  }
}

/** The metric registered under `name`, or `create()` registered there (two servers may share a registry). */
export function sharedMetric<M extends LocalMetric<unknown>>(
  registry: Registry,
  name: string,
  kind: abstract new (...args: never[]) => M,
  create: () => M,
): M {
  const existing = registry.getSingleMetric(name) as unknown
  if (existing instanceof kind) return existing
  const metric = create()
  registry.registerMetric(metric as never)
  return metric
}
