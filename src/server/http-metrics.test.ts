import { Counter, Histogram, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { LocalCounter, LocalHistogram, sharedMetric } from './http-metrics.ts'
import { HTTP_DURATION_BUCKETS } from './metrics.ts'

const ROUTES = ['/v1/jobs/:job/states/:state/keys/:key', '/v1/health', '*']
const STATUSES = [200, 404, 400]
const SECONDS = [0, 0.0001, 0.0005, 0.00051, 0.003, 0.2, 1, 9.9, 10, 11, 0.0004]

/** The same requests recorded into prom-client's own metrics and into ours. */
async function render(defaultLabels?: Record<string, string>) {
  const theirs = new Registry()
  const ours = new Registry()
  if (defaultLabels) {
    theirs.setDefaultLabels(defaultLabels)
    ours.setDefaultLabels(defaultLabels)
  }
  const counter = new Counter({
    name: 'x_requests_total',
    help: 'h "1"',
    labelNames: ['method', 'route', 'status'],
    registers: [theirs],
  })
  const histogram = new Histogram({
    name: 'x_seconds',
    help: 'latency',
    labelNames: ['method', 'route'],
    buckets: [...HTTP_DURATION_BUCKETS],
    registers: [theirs],
  })
  const localCounter = new LocalCounter('x_requests_total', 'h "1"')
  const localHistogram = new LocalHistogram('x_seconds', 'latency', HTTP_DURATION_BUCKETS)
  ours.registerMetric(localCounter as never)
  ours.registerMetric(localHistogram as never)
  let n = 0
  for (const method of ['GET', 'POST']) {
    for (const route of ROUTES) {
      const duration = localHistogram.bind({ method, route })
      for (const status of STATUSES) {
        const requests = localCounter.bind({ method, route, status: String(status) })
        for (const s of SECONDS.slice(0, 1 + (n++ % SECONDS.length))) {
          counter.labels({ method, route, status: String(status) }).inc()
          histogram.labels({ method, route }).observe(s)
          requests.value++
          duration.observe(s)
        }
      }
    }
  }
  return { theirs, ours }
}

describe('LocalCounter and LocalHistogram', () => {
  it('render /metrics exactly as prom-client renders the same observations', async () => {
    const { theirs, ours } = await render()
    const text = await ours.metrics()
    expect(text).toBe(await theirs.metrics())
    expect(text).toContain('x_seconds_bucket{le="0.0005",method="GET",route="/v1/health"}')
  })

  it('render the same with default labels and in OpenMetrics', async () => {
    const { theirs, ours } = await render({ instance: 'a' })
    expect(await ours.metrics()).toBe(await theirs.metrics())
    theirs.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never)
    ours.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never)
    expect(await ours.metrics()).toBe(await theirs.metrics())
  })

  it('give getMetricsAsJSON the same values and labels as prom-client', async () => {
    const { theirs, ours } = await render()
    const strip = (metrics: { values: { value: number; labels: object; metricName?: string }[] }[]) =>
      metrics.map((m) => m.values.map(({ value, labels, metricName }) => ({ value, labels, metricName })))
    expect(strip((await ours.getMetricsAsJSON()) as never)).toEqual(strip((await theirs.getMetricsAsJSON()) as never))
  })

  it('are shared by two servers on one registry, and reset to zero without losing bound series', async () => {
    const registry = new Registry()
    const make = () => new LocalCounter('y_total', 'y')
    const a = sharedMetric(registry, 'y_total', LocalCounter, make)
    const b = sharedMetric(registry, 'y_total', LocalCounter, make)
    expect(b).toBe(a)
    const s = a.bind({ route: '/' })
    s.value += 2
    expect(b.bind({ route: '/' }).value).toBe(2)
    registry.resetMetrics()
    s.value++
    expect(await registry.metrics()).toContain('y_total{route="/"} 1')
  })
})
