// Runs inside fresh processes (child-main.ts) for the fanout suite:
// - `livestate`: startEmbedded over the fanout job (LevelDB, default checkpointing), sampling its own
//   RSS every second, so the figures are the server's alone;
// - `bare`: the reference — a plain node:http ingest route and a `ws` server that sends each update
//   to the subscribers of its key as it is POSTed (no log, no engine, no state backend, no conflation);
// - `subscribers`: 1,000 real `ws` connections, each subscribing to keys among the 100, measuring
//   for every update frame the time from the producer's timestamp in the value to its arrival.
//
//   server ── ready { url } ──► parent ◄── cmd 'mark' { name } / reply { atMs } ──► … cmd 'stop' → result
//   subscribers ── ready { connectMs } ──► parent; cmd 'mark' starts the measured window; 'stop' → result
import { mkdirSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { type IncomingMessage, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { Duplex } from 'node:stream'
import { fileURLToPath } from 'node:url'
import WebSocket, { WebSocketServer } from 'ws'
import { startEmbedded } from '../src/main.ts'
import type { Workload, WorkloadIO } from './child.ts'
import { collectSourceMaps } from './cpu-profile.ts'
import { FANOUT_JOB, FANOUT_STATE, type Update, fanoutJob, fanoutKey, updatesPath, wallMs } from './fanout-job.ts'

const HOST = '127.0.0.1'
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const SAMPLE_EVERY_MS = 1_000

export interface RssSample {
  atMs: number
  rssMb: number
  heapUsedMb: number
  externalMb: number
}

export interface ServerResult {
  samples: RssSample[]
  marks: Record<string, number>
  /** process.hrtime µs of the marks (the clock of --cpu-prof profiles). */
  marksUs: Record<string, number>
  /** Process CPU between the 'start' and 'end' marks. */
  cpuMs: number
  eventLoopDelay: { p99Ms: number; maxMs: number }
  metrics: Record<string, number>
}

type Cmd = { type: 'cmd'; cmd: 'mark'; name: string } | { type: 'cmd'; cmd: 'stop' }

/** Samples RSS every second and answers marks until 'stop'; the loop delay is watched between 'start' and 'end'. */
async function serveUntilStopped(
  io: WorkloadIO,
  info: Record<string, unknown>,
  metrics: () => Promise<Record<string, number>>,
): Promise<ServerResult> {
  const samples: RssSample[] = []
  const sample = () => {
    const m = process.memoryUsage()
    samples.push({
      atMs: performance.now(),
      rssMb: m.rss / 2 ** 20,
      heapUsedMb: m.heapUsed / 2 ** 20,
      externalMb: m.external / 2 ** 20,
    })
  }
  sample()
  const sampler = setInterval(sample, SAMPLE_EVERY_MS)
  const delay = monitorEventLoopDelay({ resolution: 5 })
  const marks: Record<string, number> = {}
  const marksUs: Record<string, number> = {}
  const cpu: Record<string, number> = {}
  try {
    io.send({ type: 'ready', ...info })
    for (;;) {
      const m = (await io.next('cmd')) as unknown as Cmd
      if (m.cmd === 'stop') break
      marks[m.name] = performance.now()
      marksUs[m.name] = Number(process.hrtime.bigint() / 1000n)
      const u = process.cpuUsage()
      cpu[m.name] = (u.user + u.system) / 1000
      if (m.name === 'start') delay.enable()
      if (m.name === 'end') delay.disable()
      io.send({ type: 'reply', atMs: marks[m.name] })
    }
  } finally {
    clearInterval(sampler)
    delay.disable()
  }
  if (typeof info.profileDir === 'string') {
    mkdirSync(info.profileDir, { recursive: true })
    writeFileSync(join(info.profileDir, 'sourcemaps.json'), JSON.stringify(collectSourceMaps(ROOT)))
  }
  return {
    samples,
    marks,
    marksUs,
    cpuMs: (cpu.end ?? 0) - (cpu.start ?? 0),
    eventLoopDelay: { p99Ms: delay.percentile(99) / 1e6, maxMs: delay.max / 1e6 },
    metrics: await metrics(),
  }
}

export const workloads: Record<string, Workload> = {
  async livestate(args: { profileDir?: string }, io) {
    const stateDir = await mkdtemp(join(tmpdir(), 'livestate-bench-fanout-'))
    try {
      const h = await startEmbedded({ job: fanoutJob, port: 0, host: HOST, stateBackend: 'leveldb', stateDir })
      try {
        const counter = async (name: string) => {
          const metric = h.registry.getSingleMetric(name)
          if (!metric) return Number.NaN
          return (await metric.get()).values.reduce((n, v) => n + v.value, 0)
        }
        return await serveUntilStopped(io, { url: h.url, profileDir: args.profileDir }, async () => ({
          conflatedUpdates: await counter('livestate_ws_conflated_updates_total'),
          slowConsumerCloses: await counter('livestate_ws_slow_consumer_closes_total'),
          checkpoints: h.master.coordinator?.completedCount ?? 0,
        }))
      } finally {
        await h.close()
      }
    } finally {
      await rm(stateDir, { recursive: true, force: true })
    }
  },

  async bare(_args: Record<string, never>, io) {
    type Subscriber = { ws: WebSocket; sub: string }
    const byKey = new Map<string, Set<Subscriber>>()
    let seq = 0
    const publish = (u: Update) => {
      seq++
      for (const s of byKey.get(u.k) ?? []) {
        s.ws.send(JSON.stringify({ sub: s.sub, type: 'update', key: u.k, value: u, epoch: 1, seq }))
      }
    }
    const server = createServer((req, res) => {
      if (req.method !== 'POST' || req.url !== updatesPath()) {
        res.writeHead(404).end()
        return
      }
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const lines = Buffer.concat(chunks).toString('utf8').split('\n')
        let n = 0
        for (const line of lines) {
          if (line.length === 0) continue
          publish(JSON.parse(line) as Update)
          n++
        }
        res
          .writeHead(202, { 'content-type': 'application/json' })
          .end(JSON.stringify({ accepted: n, position: String(seq) }))
      })
    })
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false })
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (req.url !== '/v1/ws') return socket.destroy()
      wss.handleUpgrade(req, socket, head, (ws) => {
        let next = 0
        const mine: { key: string; s: Subscriber }[] = []
        ws.on('message', (data) => {
          const f = JSON.parse(data.toString()) as { id: number; op: string; keys?: string[] }
          if (f.op !== 'subscribe' || !f.keys) {
            ws.send(
              JSON.stringify({
                id: f.id,
                ok: false,
                error: { code: 'BAD_REQUEST', message: 'subscribe only', retryable: false },
              }),
            )
            return
          }
          const s: Subscriber = { ws, sub: `s${++next}` }
          ws.send(JSON.stringify({ id: f.id, ok: true, sub: s.sub }))
          for (const key of f.keys) {
            let set = byKey.get(key)
            if (!set) byKey.set(key, (set = new Set()))
            set.add(s)
            mine.push({ key, s })
          }
        })
        ws.on('close', () => {
          for (const { key, s } of mine) byKey.get(key)?.delete(s)
        })
      })
    })
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve))
    const { port } = server.address() as AddressInfo
    try {
      return await serveUntilStopped(io, { url: `http://${HOST}:${port}` }, async () => ({}))
    } finally {
      for (const ws of wss.clients) ws.terminate()
      wss.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  },

  subscribers: runSubscribers,
}

// ---- subscribers

export interface SubscriberArgs {
  url: string
  connections: number
  keys: number
  keysPerConnection: number
  /** Connections opened at once while connecting. */
  connectConcurrency: number
  timeoutMs: number
}

/**
 * Latency histogram: 0.1 ms buckets up to 10 s, then 10 ms buckets up to 5 min (an overloaded run
 * falls that far behind), then one overflow bucket.
 */
const FINE_BUCKETS = 100_000
const COARSE_BUCKETS = 29_000
const HIST_SIZE = FINE_BUCKETS + COARSE_BUCKETS + 1

function bucketOf(ms: number): number {
  if (ms < 10_000) return Math.max(0, Math.floor(ms * 10))
  return Math.min(HIST_SIZE - 1, FINE_BUCKETS + Math.floor((ms - 10_000) / 10))
}

/** Upper edge of a bucket in ms. */
function edgeOf(bucket: number): number {
  if (bucket < FINE_BUCKETS) return (bucket + 1) / 10
  if (bucket < HIST_SIZE - 1) return 10_000 + (bucket - FINE_BUCKETS + 1) * 10
  return Number.POSITIVE_INFINITY
}

export interface SubscriberResult {
  connectMs: number
  measuredMs: number
  /** Update frames in the measured window, and their latency. */
  frames: number
  snapshots: number
  p50Ms: number
  p99Ms: number
  p999Ms: number
  maxMs: number
  /** Update frames whose value skipped updates of its key (the server conflated for a slow consumer). */
  conflatedFrames: number
  skippedUpdates: number
  /** Update frames older than one the connection already had for that key. */
  outOfOrder: number
  errorFrames: string[]
  closes: Record<string, number>
  openAtEnd: number
  /** Connections that got no update frame in the measured window. */
  silentConnections: number
  perSecond: { frames: number; p99Ms: number; maxMs: number }[]
  cpuMs: number
}

function quantile(hist: Uint32Array, total: number, q: number): number {
  if (total === 0) return Number.NaN
  const rank = Math.ceil(q * total)
  let seen = 0
  for (let i = 0; i < hist.length; i++) {
    seen += hist[i]!
    if (seen >= rank) return edgeOf(i)
  }
  return Number.POSITIVE_INFINITY
}

async function runSubscribers(a: SubscriberArgs, io: WorkloadIO): Promise<SubscriberResult> {
  const wsUrl = `${a.url.replace(/^http/, 'ws')}/v1/ws`
  const sockets: WebSocket[] = []
  const closes: Record<string, number> = {}
  const errorFrames: string[] = []
  let measuring = false
  const hist = new Uint32Array(HIST_SIZE)
  const second = new Uint32Array(HIST_SIZE)
  let secondFrames = 0
  let secondMax = 0
  const perSecond: SubscriberResult['perSecond'] = []
  let frames = 0
  let snapshots = 0
  let maxMs = 0
  let conflatedFrames = 0
  let skippedUpdates = 0
  let outOfOrder = 0
  const framesOf = new Uint32Array(a.connections)

  const open = (index: number) =>
    new Promise<void>((resolve, reject) => {
      // The server's frames are its own JSON; skipping UTF-8 validation keeps the subscribers' CPU for the load.
      const ws = new WebSocket(wsUrl, { perMessageDeflate: false, skipUTF8Validation: true })
      sockets.push(ws)
      const keys = Array.from({ length: a.keysPerConnection }, (_, j) =>
        fanoutKey((index * a.keysPerConnection + j) % a.keys),
      )
      const lastN = new Map<string, number>()
      let subscribed = false
      ws.on('error', (e) => {
        if (errorFrames.length < 5) errorFrames.push(`socket error: ${e.message}`)
        if (!subscribed) reject(e)
      })
      ws.on('open', () =>
        ws.send(JSON.stringify({ id: 1, op: 'subscribe', job: FANOUT_JOB, state: FANOUT_STATE, keys })),
      )
      ws.on('close', (code) => {
        closes[code] = (closes[code] ?? 0) + 1
        if (!subscribed) reject(new Error(`connection ${index} closed (${code}) before it subscribed`))
      })
      ws.on('message', (data) => {
        const now = wallMs()
        const f = JSON.parse(data.toString()) as {
          id?: number
          ok?: boolean
          type?: string
          key?: string
          value?: Update
          error?: unknown
        }
        if (f.type === 'update' || f.type === 'snapshot') {
          const u = f.value!
          const prev = lastN.get(u.k)
          lastN.set(u.k, u.n)
          if (f.type === 'snapshot') {
            if (measuring) snapshots++
            return
          }
          if (!measuring) return
          if (prev !== undefined) {
            if (u.n <= prev) outOfOrder++
            else if (u.n > prev + 1) {
              conflatedFrames++
              skippedUpdates += u.n - prev - 1
            }
          }
          const ms = now - u.ts
          const b = bucketOf(ms)
          hist[b]!++
          second[b]!++
          frames++
          secondFrames++
          framesOf[index]!++
          if (ms > maxMs) maxMs = ms
          if (ms > secondMax) secondMax = ms
          return
        }
        if (f.ok === false) {
          if (errorFrames.length < 5) errorFrames.push(JSON.stringify(f.error))
          if (!subscribed) reject(new Error(`subscribe failed: ${JSON.stringify(f.error)}`))
          return
        }
        if (f.id === 1 && f.ok === true && !subscribed) {
          subscribed = true
          resolve()
        }
      })
    })

  const deadline = setTimeout(() => {
    for (const ws of sockets) ws.terminate()
  }, a.timeoutMs)
  deadline.unref()
  try {
    const t0 = performance.now()
    for (let i = 0; i < a.connections; i += a.connectConcurrency) {
      await Promise.all(
        Array.from({ length: Math.min(a.connectConcurrency, a.connections - i) }, (_, j) => open(i + j)),
      )
    }
    const connectMs = performance.now() - t0
    io.send({ type: 'ready', connectMs })
    await io.next('cmd') // start
    hist.fill(0)
    measuring = true
    const startedAt = performance.now()
    const cpu0 = process.cpuUsage()
    const tick = setInterval(() => {
      perSecond.push({ frames: secondFrames, p99Ms: quantile(second, secondFrames, 0.99), maxMs: secondMax })
      second.fill(0)
      secondFrames = 0
      secondMax = 0
    }, 1_000)
    io.send({ type: 'reply', atMs: startedAt })
    await io.next('cmd') // stop
    measuring = false
    clearInterval(tick)
    const measuredMs = performance.now() - startedAt
    const cpu = process.cpuUsage(cpu0)
    const openAtEnd = sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length
    return {
      connectMs,
      measuredMs,
      frames,
      snapshots,
      p50Ms: quantile(hist, frames, 0.5),
      p99Ms: quantile(hist, frames, 0.99),
      p999Ms: quantile(hist, frames, 0.999),
      maxMs,
      conflatedFrames,
      skippedUpdates,
      outOfOrder,
      errorFrames,
      closes,
      openAtEnd,
      silentConnections: framesOf.filter((n) => n === 0).length,
      perSecond,
      cpuMs: (cpu.user + cpu.system) / 1000,
    }
  } finally {
    clearTimeout(deadline)
    for (const ws of sockets) ws.terminate()
  }
}
