// HTTP point-lookup load with autocannon: `connections` keep-alive connections, each asking for a
// random existing key per request, for a warm-up and then a measured period. Latency percentiles
// come from autocannon's per-response times (fractional ms), not its whole-millisecond histogram.
import autocannon from 'autocannon'
import { keyPath } from './http-job.ts'

export interface LoadResult {
  /** Completed requests (or lookups) per second over the measured period. */
  perSecond: number
  p50Ms: number
  p99Ms: number
  total: number
  errors: number
  non2xx: number
}

export interface LoadOptions {
  keys: number
  connections: number
  warmupSeconds: number
  seconds: number
  /** Called after the warm-up and after the measured period (the suite samples server CPU there). */
  mark?: (phase: 'start' | 'end') => Promise<void>
}

export async function httpLoad(url: string, o: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = []
  const run = (duration: number) =>
    autocannon({
      url,
      connections: o.connections,
      duration,
      requests: [
        {
          setupRequest: (req) => {
            req.path = keyPath(Math.floor(Math.random() * o.keys))
            return req
          },
        },
      ],
    })
  await run(o.warmupSeconds)
  await o.mark?.('start')
  const measured = run(o.seconds).on('response', (_client, status, _bytes, ms) => {
    if (status >= 200 && status < 300) latencies.push(ms)
  })
  const r = await measured
  await o.mark?.('end')
  latencies.sort((a, b) => a - b)
  return {
    perSecond: r.requests.total / r.duration,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    total: r.requests.total,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  }
}

/** The q-quantile (0..1) of ascending values; NaN when there are none. */
export function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
}

/** Problems that make a load result untrustworthy (every request must be a 200 with a value). */
export function loadProblems(r: LoadResult, what: string): string[] {
  const problems: string[] = []
  if (r.errors > 0) problems.push(`${what}: ${r.errors} connection errors or timeouts`)
  if (r.non2xx > 0) problems.push(`${what}: ${r.non2xx} non-2xx answers`)
  if (r.total === 0) problems.push(`${what}: no request completed`)
  return problems
}
