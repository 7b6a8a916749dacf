// Suite "client": what @livestate/client costs on the WebSocket hot path. One livestate server (the
// http suite's profiles job, 100k keys, in its own process) answers `get` frames from two clients
// measured in the same run, each in a fresh process with 64 lookups in flight on one connection:
// the SDK (`state.get(key, { transport: 'ws' })`, msgpack) and a raw `ws` + msgpackr client.
// They alternate (raw, sdk, raw, sdk) so a change in machine load hits both.
import type { ClientLoadArgs, ClientLoadResult } from './client.workloads.ts'
import { runWorkload, startWorkload } from './child.ts'
import { scaled } from './scale.ts'
import type { BenchRow, Suite, SuiteReport } from './suite.ts'
import { formatNumber } from './table.ts'

const CLIENT_WORKLOADS = new URL('./client.workloads.ts', import.meta.url)
const SERVER_WORKLOADS = new URL('./http.workloads.ts', import.meta.url)
const IN_FLIGHT = 64
const ROUNDS = 3
const SERVER_TIMEOUT_MS = 300_000
const TARGET_RATIO = 0.9

type Variant = 'raw' | 'sdk'

export const clientSuite: Suite = {
  name: 'client',
  title: 'Client SDK: WebSocket gets through @livestate/client vs raw ws + msgpackr',
  async run(): Promise<SuiteReport> {
    const keys = scaled(100_000, 1_000)
    const warmupSeconds = scaled(2, 1)
    const seconds = scaled(8, 3)
    log(`server: livestate, heap backend, ${formatNumber(keys)} keys`)
    const server = startWorkload<Record<string, unknown>>(
      SERVER_WORKLOADS,
      'livestate',
      { keys, backend: 'heap' },
      { timeoutMs: SERVER_TIMEOUT_MS },
    )
    const runs: Record<Variant, ClientLoadResult[]> = { raw: [], sdk: [] }
    try {
      const ready = await Promise.race([
        server.next<{ type: 'ready'; url: string }>('ready'),
        server.result.then(() => Promise.reject(new Error('server exited before ready'))),
      ])
      const args: ClientLoadArgs = { url: ready.url, keys, inFlight: IN_FLIGHT, warmupSeconds, seconds }
      for (let round = 1; round <= ROUNDS; round++) {
        for (const variant of ['raw', 'sdk'] as const) {
          log(`round ${round}/${ROUNDS}: ${variant}, ${seconds} s at ${IN_FLIGHT} in flight`)
          runs[variant].push(
            await runWorkload<ClientLoadResult>(CLIENT_WORKLOADS, variant, args, {
              timeoutMs: (warmupSeconds + seconds) * 1000 + 60_000,
            }),
          )
        }
      }
      server.send({ type: 'stop' })
      await server.result
    } finally {
      server.kill()
    }

    const raw = combine(runs.raw)
    const sdk = combine(runs.sdk)
    const problems = [...problemsOf('SDK', runs.sdk), ...problemsOf('raw', runs.raw)]
    const rows: BenchRow[] = [
      {
        name: `WS get, ${IN_FLIGHT} in flight, 1 connection: lookups/s (baseline = raw ws + msgpackr)`,
        unit: 'lookups/s',
        livestate: sdk.perSecond,
        baseline: raw.perSecond,
        target: { op: '>=', value: TARGET_RATIO },
        problems,
      },
    ]
    const perRound = runs.sdk.map((s, i) => `${(s.perSecond / runs.raw[i]!.perSecond).toFixed(2)}×`).join(', ')
    const notes = [
      `${formatNumber(keys)} keys, random existing key per lookup, msgpack frames; ${warmupSeconds} s warm-up then ${seconds} s measured per run, ${ROUNDS} rounds (raw, sdk alternating); figures are totals over the rounds. Ratio per round: ${perRound}.`,
      `Client CPU per lookup: SDK ${sdk.cpuUsPerLookup.toFixed(1)} µs, raw ${raw.cpuUsPerLookup.toFixed(1)} µs ` +
        `(${(sdk.cpuUsPerLookup / raw.cpuUsPerLookup).toFixed(2)}×); client CPU share of wall time: SDK ${sdk.cpuShare.toFixed(2)}, raw ${raw.cpuShare.toFixed(2)}. ` +
        'While the server is the bottleneck the throughput ratio hides client cost; CPU per lookup shows it.',
      `Latency p50/p99 ms: SDK ${sdk.p50Ms.toFixed(2)}/${sdk.p99Ms.toFixed(2)}, raw ${raw.p50Ms.toFixed(2)}/${raw.p99Ms.toFixed(2)} (means over rounds).`,
    ]
    return { rows, notes, sections: [], details: { keys, inFlight: IN_FLIGHT, warmupSeconds, seconds, runs } }
  },
}

/** Totals over rounds (lookups/s and CPU per lookup weighted by lookups; latencies averaged). */
function combine(runs: readonly ClientLoadResult[]): ClientLoadResult {
  const total = runs.reduce((n, r) => n + r.total, 0)
  const seconds = runs.reduce((n, r) => n + r.total / r.perSecond, 0)
  const mean = (f: (r: ClientLoadResult) => number) => runs.reduce((n, r) => n + f(r), 0) / runs.length
  return {
    perSecond: total / seconds,
    p50Ms: mean((r) => r.p50Ms),
    p99Ms: mean((r) => r.p99Ms),
    total,
    errors: runs.reduce((n, r) => n + r.errors, 0),
    wrong: runs.reduce((n, r) => n + r.wrong, 0),
    cpuUsPerLookup: runs.reduce((n, r) => n + r.cpuUsPerLookup * r.total, 0) / total,
    cpuShare: mean((r) => r.cpuShare),
  }
}

function problemsOf(label: string, runs: readonly ClientLoadResult[]): string[] {
  const out: string[] = []
  for (const [i, r] of runs.entries()) {
    if (r.errors > 0) out.push(`${label} round ${i + 1}: ${r.errors} failed lookups`)
    if (r.wrong > 0) out.push(`${label} round ${i + 1}: ${r.wrong} answers were not the profile asked for`)
    if (r.total === 0) out.push(`${label} round ${i + 1}: no lookup completed`)
  }
  return out
}

function log(message: string): void {
  console.error(`  client: ${message}`)
}
