// Suite "http": point lookups against a running job with 100k keys, served by livestate
// (startEmbedded) and by a bare Hono route over a Map with the same JSON shape — each server in its
// own process, the load (autocannon, 64 connections) from this one. Then WebSocket `get` with 64 in
// flight on one connection against the livestate HTTP figure.
import { type WorkloadProcess, startWorkload } from './child.ts'
import { profileSection, profileTarget, profilingRequested } from './fanout-profile.ts'
import { keyPath } from './http-job.ts'
import { type LoadOptions, type LoadResult, httpLoad, loadProblems } from './http-load.ts'
import { scaled } from './scale.ts'
import type { BenchRow, Suite, SuiteReport } from './suite.ts'
import { formatNumber } from './table.ts'
import { wsLoad } from './ws-load.ts'

const WORKLOADS = new URL('./http.workloads.ts', import.meta.url)
const CONNECTIONS = 64
const WS_IN_FLIGHT = 64
const SERVER_TIMEOUT_MS = 180_000

interface Ready {
  type: 'ready'
  url: string
  [info: string]: unknown
}

export const httpSuite: Suite = {
  name: 'http',
  title: 'Serve the state: point lookups',
  async run(): Promise<SuiteReport> {
    const keys = scaled(100_000, 1_000)
    const load = { keys, connections: CONNECTIONS, warmupSeconds: scaled(2, 1), seconds: scaled(10, 3) }
    const backend = readBackend()

    log(`baseline: Hono + Map, ${formatNumber(keys)} keys, ${load.seconds} s at c=${CONNECTIONS}`)
    const baseline = await withServer(
      startWorkload<Record<string, unknown>>(WORKLOADS, 'hono', { keys }, { timeoutMs: SERVER_TIMEOUT_MS }),
      (ready, server) => measureHttp(ready, server, load),
    )

    log(
      `livestate: ${backend} backend, ${formatNumber(keys)} keys, ${load.seconds} s at c=${CONNECTIONS}, then WebSocket`,
    )
    const profile = profilingRequested() ? profileTarget() : undefined
    const server = startWorkload<Record<string, unknown>>(
      WORKLOADS,
      'livestate',
      { keys, backend, ...(profile ? { profileDir: profile.dir } : {}) },
      { timeoutMs: SERVER_TIMEOUT_MS, ...(profile ? { nodeArgs: profile.nodeArgs } : {}) },
    )
    const livestate = await withServer(server, async (ready, server) => {
      return {
        ...(await measureHttp(ready, server, load)),
        ws: await wsLoad(ready.url, {
          keys,
          inFlight: WS_IN_FLIGHT,
          warmupSeconds: load.warmupSeconds,
          seconds: load.seconds,
        }),
      }
    })

    const httpProblems = [...loadProblems(livestate.http, 'livestate'), ...loadProblems(baseline.http, 'baseline')]
    if (livestate.shape !== baseline.shape) {
      httpProblems.push(`the answers differ in shape: livestate ${livestate.shape}, baseline ${baseline.shape}`)
    }
    const rows: BenchRow[] = [
      {
        name: `GET …/keys/:key, c=${CONNECTIONS}: requests/s`,
        unit: 'req/s',
        livestate: livestate.http.perSecond,
        baseline: baseline.http.perSecond,
        target: { op: '>=', value: 0.6 },
        problems: httpProblems,
      },
      {
        name: `GET …/keys/:key, c=${CONNECTIONS}: p99 latency`,
        unit: 'ms',
        livestate: livestate.http.p99Ms,
        baseline: baseline.http.p99Ms,
        target: { op: '<=', value: 2 },
        problems: httpProblems,
      },
      {
        name: `WS get, ${WS_IN_FLIGHT} in flight, 1 connection: lookups/s (baseline = livestate HTTP)`,
        unit: 'lookups/s',
        livestate: livestate.ws.perSecond,
        baseline: livestate.http.perSecond,
        target: { op: '>=', value: 2 },
        problems: [...loadProblems(livestate.ws, 'WebSocket'), ...loadProblems(livestate.http, 'livestate HTTP')],
      },
    ]
    const notes = [
      `${formatNumber(keys)} keys, random existing key per request; ${load.warmupSeconds} s warm-up, then ${load.seconds} s measured per row.`,
      `livestate: ${String(livestate.ready.mode)}, ${backend} backend, keys loaded in ${Number(livestate.ready.loadMs).toFixed(0)} ms. ` +
        `Latency p50/p99 ms: HTTP ${fmtLatency(livestate.http)}, baseline ${fmtLatency(baseline.http)}, WebSocket ${fmtLatency(livestate.ws)}.`,
      cpuNote(livestate, baseline),
    ]
    const sections = profile
      ? [
          {
            title: 'livestate server CPU profile during the measured HTTP load (BENCH_CPU_PROFILE=1)',
            markdown: profileSection(profile, 'http-server', livestate.cpu.start!.atUs, livestate.cpu.end!.atUs),
          },
        ]
      : []
    return { rows, notes, sections, details: { keys, load, backend, baseline, livestate } }
  },
}

function readBackend(): 'heap' | 'leveldb' {
  // leveldb, the product default and what the issue measures ("state in LevelDB"); heap on request
  const b = process.env.BENCH_STATE_BACKEND ?? 'leveldb'
  if (b !== 'heap' && b !== 'leveldb')
    throw new TypeError(`BENCH_STATE_BACKEND must be heap or leveldb, got ${JSON.stringify(b)}`)
  return b
}

interface CpuMark {
  type: string
  cpuMs: number
  atUs: number
  [field: string]: unknown
}

/** Samples the server process's CPU time at the start and end of the measured period. */
function cpuMarks(server: WorkloadProcess<Record<string, unknown>>) {
  const marks: Partial<Record<'start' | 'end', CpuMark>> = {}
  const mark = async (phase: 'start' | 'end') => {
    server.send({ type: 'mark' })
    marks[phase] = await server.next<CpuMark>('marked')
  }
  return { marks, mark }
}

/**
 * Requests per server CPU-second: the wall-clock ratio is distorted when other processes take the
 * cores; this one is not (both servers are single-threaded, so CPU time is what a request costs).
 */
function cpuNote(...sides: { http: LoadResult; cpu: Partial<Record<'start' | 'end', CpuMark>> }[]): string {
  const figures = sides.map(({ http, cpu }) => {
    const cpuMs = cpu.end!.cpuMs - cpu.start!.cpuMs
    const wallMs = (cpu.end!.atUs - cpu.start!.atUs) / 1000
    return { perCpuSecond: (http.total * 1000) / cpuMs, share: cpuMs / wallMs }
  })
  const [l, b] = figures as [(typeof figures)[0], (typeof figures)[0]]
  return (
    `Per server CPU-second (HTTP): livestate ${formatNumber(l.perCpuSecond)} req, baseline ${formatNumber(b.perCpuSecond)} req, ` +
    `ratio ${(l.perCpuSecond / b.perCpuSecond).toFixed(2)}×; server CPU share of wall time: livestate ${(100 * l.share).toFixed(0)}%, baseline ${(100 * b.share).toFixed(0)}%.`
  )
}

/** The answer shape and an HTTP load run against `ready.url`, with the server's CPU marked around it. */
async function measureHttp(
  ready: Ready,
  server: WorkloadProcess<Record<string, unknown>>,
  load: Omit<LoadOptions, 'mark'>,
) {
  const cpu = cpuMarks(server)
  return {
    ready,
    shape: await responseShape(ready.url),
    http: await httpLoad(ready.url, { ...load, mark: cpu.mark }),
    cpu: cpu.marks,
  }
}

/** Waits for the server's 'ready', runs `use`, then stops the server and waits for its process to exit. */
async function withServer<T extends object>(
  server: WorkloadProcess<Record<string, unknown>>,
  use: (ready: Ready, server: WorkloadProcess<Record<string, unknown>>) => Promise<T>,
): Promise<T & { ready: Ready }> {
  try {
    const ready = await Promise.race([
      server.next<Ready>('ready'),
      server.result.then(() => Promise.reject(new Error('server exited before ready'))),
    ])
    const value = await use(ready, server)
    server.send({ type: 'stop' })
    const exit = await server.result
    return { ...value, ready: { ...ready, ...exit } }
  } finally {
    server.kill()
  }
}

/** The JSON shape of one answer (field names and value types), to show both servers say the same. */
async function responseShape(url: string): Promise<string> {
  const res = await fetch(url + keyPath(0))
  const shape = (v: unknown): string => {
    if (v === null || typeof v !== 'object') return v === null ? 'null' : typeof v
    if (Array.isArray(v)) return `[${v.map(shape).join(',')}]`
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${k}:${shape((v as Record<string, unknown>)[k])}`)
      .join(',')}}`
  }
  return `${res.status} ${shape(await res.json())}`
}

function fmtLatency(r: LoadResult): string {
  return `${r.p50Ms.toFixed(2)}/${r.p99Ms.toFixed(2)}`
}

function log(message: string): void {
  console.error(`  http: ${message}`)
}
