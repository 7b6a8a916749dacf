// Suite "fanout" (issue "Serve the state"): 1,000 real WebSocket connections, each subscribed to keys
// among 100, while the job applies 10k updates/s to those keys. Three processes: the server (its RSS
// is its own), the subscribers, and this one producing the updates over HTTP ingest.
//
//   producer (here) ── POST NDJSON {k, ts, n} every 10 ms ──► server: ingest log → job → state `latest`
//   subscribers ◄── update frames (value = the update, ts inside) ── server's WebSocket fan-out
//
// Latency = the subscriber's clock on arrival − the producer's ts in the value (same machine, same
// clock), so it spans ingest (a synced LevelDB write), the job, the state change feed and the
// WebSocket send. The same load then runs, shorter, against a bare `ws` server for reference.
import { type WorkloadProcess, startWorkload } from './child.ts'
import { type ProfileTarget, profileSection, profileTarget, profilingRequested } from './fanout-profile.ts'
import { Producer, type ProducerStats } from './fanout-producer.ts'
import type { RssSample, ServerResult, SubscriberArgs, SubscriberResult } from './fanout.workloads.ts'
import type { BenchMessage } from './inbox.ts'
import { scaled } from './scale.ts'
import type { BenchRow, Suite, SuiteReport } from './suite.ts'
import { formatNumber, markdownTable } from './table.ts'

const WORKLOADS = new URL('./fanout.workloads.ts', import.meta.url)
const CONNECTIONS = 1_000
const KEYS = 100
/**
 * One key per connection: 10 connections per key, so 10k updates/s become 100k frames/s. More keys
 * per connection multiply that (5 → 500k frames/s), beyond what one 2-core machine can carry for the
 * server and the subscribers together.
 */
const KEYS_PER_CONNECTION = 1
const RATE = 10_000
const TICK_MS = 10
const LATENCY_BUDGET_MS = 100
const RSS_GROWTH_RATIO = 1.1
const RSS_WINDOW_SECONDS = 10
const CONNECT_CONCURRENCY = 50
const TIMELINE_STEP = 5
/** A process with less CPU than this share of the measured time was starved by other processes. */
const BUSY_CPU_SHARE = 0.8

interface Ready extends BenchMessage {
  type: 'ready'
}

interface Run {
  server: ServerResult
  subscribers: SubscriberResult
  producer: ProducerStats
  connectMs: number
  seconds: number
}

export const fanoutSuite: Suite = {
  name: 'fanout',
  title: 'Serve the state: 1,000 WebSocket subscribers, 10k updates/s',
  async run(): Promise<SuiteReport> {
    const seconds = scaled(60, 15)
    const warmup = scaled(5, 2)
    const bareSeconds = scaled(20, 8)
    log(
      `livestate: ${CONNECTIONS} connections × ${KEYS_PER_CONNECTION} key, ${formatNumber(RATE)} updates/s over ${KEYS} keys, ${warmup} s warm-up + ${seconds} s`,
    )
    const profile = profilingRequested() ? profileTarget() : undefined
    const livestate = await measure('livestate', { seconds, warmup, profile })
    log(`bare ws server: the same load, ${warmup} s warm-up + ${bareSeconds} s`)
    const bare = await measure('bare', { seconds: bareSeconds, warmup })
    const result = report(livestate, bare)
    if (profile) {
      const { start, end } = livestate.server.marksUs
      result.sections.push({
        title: 'livestate server CPU profile (BENCH_CPU_PROFILE=1): top functions by self time',
        markdown: profileSection(profile, 'fanout-server', start!, end!),
      })
    }
    return result
  },
}

/** The child's message of `type`; if the child fails first, its own error (not "exited before it answered"). */
async function answer<T extends BenchMessage>(p: WorkloadProcess<unknown>, type: string): Promise<T> {
  try {
    return await p.next<T>(type)
  } catch (e) {
    await p.result // rejects with the child's error when it reported one
    throw e
  }
}

function readyOf<T extends BenchMessage>(p: WorkloadProcess<unknown>): Promise<T> {
  return answer<T>(p, 'ready')
}

function call(p: WorkloadProcess<unknown>, cmd: Record<string, unknown>): Promise<BenchMessage> {
  p.send({ type: 'cmd', ...cmd })
  return answer(p, 'reply')
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function measure(
  kind: 'livestate' | 'bare',
  o: { seconds: number; warmup: number; profile?: ProfileTarget | undefined },
): Promise<Run> {
  const timeoutMs = (o.seconds + o.warmup) * 1000 + 180_000
  const server = startWorkload<ServerResult>(WORKLOADS, kind, o.profile ? { profileDir: o.profile.dir } : {}, {
    timeoutMs,
    ...(o.profile ? { nodeArgs: o.profile.nodeArgs } : {}),
  })
  try {
    const { url } = await readyOf<Ready & { url: string }>(server)
    const args: SubscriberArgs = {
      url,
      connections: CONNECTIONS,
      keys: KEYS,
      keysPerConnection: KEYS_PER_CONNECTION,
      connectConcurrency: CONNECT_CONCURRENCY,
      timeoutMs,
    }
    const subs = startWorkload<SubscriberResult>(WORKLOADS, 'subscribers', args, { timeoutMs })
    try {
      const { connectMs } = await readyOf<Ready & { connectMs: number }>(subs)
      const producer = new Producer(url, { keys: KEYS, ratePerSecond: RATE, tickMs: TICK_MS })
      producer.start()
      let producerStats: ProducerStats
      try {
        await sleep(o.warmup * 1000)
        await call(server, { cmd: 'mark', name: 'start' })
        await call(subs, { cmd: 'mark', name: 'start' })
        await sleep(o.seconds * 1000)
        await call(server, { cmd: 'mark', name: 'end' })
        subs.send({ type: 'cmd', cmd: 'stop' })
      } finally {
        producerStats = await producer.stop()
      }
      const subscribers = await subs.result
      server.send({ type: 'cmd', cmd: 'stop' })
      return { server: await server.result, subscribers, producer: producerStats, connectMs, seconds: o.seconds }
    } finally {
      subs.kill()
    }
  } finally {
    server.kill()
  }
}

interface RssAnalysis {
  firstMb: number
  lastMb: number
  /** Least-squares slope over the measured window. */
  slopeMbPerMin: number
  windowSeconds: number
  samples: RssSample[]
}

function analyseRss(r: ServerResult, seconds: number): RssAnalysis {
  const start = r.marks.start!
  const end = r.marks.end!
  const samples = r.samples.filter((s) => s.atMs >= start && s.atMs <= end)
  const windowSeconds = Math.min(RSS_WINDOW_SECONDS, seconds / 3)
  const avg = (xs: RssSample[]) => xs.reduce((n, s) => n + s.rssMb, 0) / xs.length
  const first = avg(samples.filter((s) => s.atMs < start + windowSeconds * 1000))
  const last = avg(samples.filter((s) => s.atMs > end - windowSeconds * 1000))
  const n = samples.length
  const mx = samples.reduce((a, s) => a + s.atMs, 0) / n
  const my = samples.reduce((a, s) => a + s.rssMb, 0) / n
  const sxy = samples.reduce((a, s) => a + (s.atMs - mx) * (s.rssMb - my), 0)
  const sxx = samples.reduce((a, s) => a + (s.atMs - mx) ** 2, 0)
  return { firstMb: first, lastMb: last, slopeMbPerMin: (sxy / sxx) * 60_000, windowSeconds, samples }
}

function runProblems(run: Run, what: string): string[] {
  const s = run.subscribers
  const problems: string[] = []
  if (run.producer.failures.length > 0) problems.push(`${what}: ingest failed (${run.producer.failures[0]})`)
  if (s.errorFrames.length > 0) problems.push(`${what}: error frames (${s.errorFrames[0]})`)
  const closed = Object.entries(s.closes)
  if (closed.length > 0)
    problems.push(`${what}: connections closed during the run: ${closed.map(([c, n]) => `${n}× code ${c}`).join(', ')}`)
  if (s.silentConnections > 0) problems.push(`${what}: ${s.silentConnections} connections got no update`)
  if (s.outOfOrder > 0) problems.push(`${what}: ${s.outOfOrder} update frames older than one already received`)
  if (s.frames === 0) problems.push(`${what}: no update frame arrived`)
  return problems
}

function report(livestate: Run, bare: Run): SuiteReport {
  const rss = analyseRss(livestate.server, livestate.seconds)
  const bareRss = analyseRss(bare.server, bare.seconds)
  const s = livestate.subscribers
  const problems = runProblems(livestate, 'livestate')
  const rssProblems: string[] = []
  if (rss.samples.length < 3) rssProblems.push(`only ${rss.samples.length} RSS samples in the measured window`)
  const rows: BenchRow[] = [
    {
      name: `update → frame p99, ${formatNumber(CONNECTIONS)} connections × ${KEYS_PER_CONNECTION} key, ${formatNumber(RATE)} updates/s on ${KEYS} keys (baseline = ${LATENCY_BUDGET_MS} ms budget)`,
      unit: 'ms',
      livestate: s.p99Ms,
      baseline: LATENCY_BUDGET_MS,
      target: { op: '<=', value: 1 },
      problems,
    },
    {
      name: `server RSS under that load, last ${formatNumber(rss.windowSeconds)} s of ${livestate.seconds} s (baseline = first ${formatNumber(rss.windowSeconds)} s)`,
      unit: 'MB',
      livestate: rss.lastMb,
      baseline: rss.firstMb,
      target: { op: '<=', value: RSS_GROWTH_RATIO },
      problems: rssProblems,
    },
  ]
  const expected = (run: Run) =>
    (CONNECTIONS * KEYS_PER_CONNECTION * run.producer.accepted) / KEYS / run.producer.seconds
  const rate = (run: Run) => run.subscribers.frames / (run.subscribers.measuredMs / 1000)
  const share = (cpuMs: number, run: Run) => `${formatNumber((100 * cpuMs) / (run.seconds * 1000))}%`
  const perFrame = (cpuMs: number, run: Run) => `${formatNumber((1000 * cpuMs) / run.subscribers.frames)} µs`
  const worstSecond = s.perSecond.reduce((m, p) => Math.max(m, p.p99Ms || 0), 0)
  const notes = [
    `Latency p50 / p99 / p99.9 / max: livestate ${fmtMs(s.p50Ms)} / ${fmtMs(s.p99Ms)} / ${fmtMs(s.p999Ms)} / ${fmtMs(s.maxMs)} ` +
      `(worst 1 s p99 ${fmtMs(worstSecond)}); bare ws server ${fmtMs(bare.subscribers.p50Ms)} / ${fmtMs(bare.subscribers.p99Ms)} / ` +
      `${fmtMs(bare.subscribers.p999Ms)} / ${fmtMs(bare.subscribers.maxMs)} over ${bare.seconds} s.`,
    `Frames/s received: livestate ${formatNumber(rate(livestate))} of ${formatNumber(expected(livestate))} produced for the subscribed keys ` +
      `(${formatNumber(s.conflatedFrames)} frames conflated, skipping ${formatNumber(s.skippedUpdates)} updates; server counter ` +
      `${formatNumber(livestate.server.metrics.conflatedUpdates ?? Number.NaN)}, 4008 closes ${formatNumber(livestate.server.metrics.slowConsumerCloses ?? Number.NaN)}); ` +
      `bare ${formatNumber(rate(bare))} of ${formatNumber(expected(bare))}. Producer: ${formatNumber(livestate.producer.accepted / livestate.producer.seconds)} updates/s accepted, ` +
      `slowest POST ${fmtMs(livestate.producer.maxPostMs)}.`,
    `Server RSS: ${formatNumber(rss.firstMb)} → ${formatNumber(rss.lastMb)} MB, slope ${rss.slopeMbPerMin.toFixed(2)} MB/min over ${rss.samples.length} samples ` +
      `(bare: ${formatNumber(bareRss.firstMb)} → ${formatNumber(bareRss.lastMb)} MB). Event-loop delay p99 / max: livestate ` +
      `${fmtMs(livestate.server.eventLoopDelay.p99Ms)} / ${fmtMs(livestate.server.eventLoopDelay.maxMs)}, bare ${fmtMs(bare.server.eventLoopDelay.p99Ms)} / ${fmtMs(bare.server.eventLoopDelay.maxMs)}. ` +
      `${livestate.server.metrics.checkpoints ?? 0} checkpoints completed (default 5 s interval).`,
    `CPU (share of one core over the measured window): livestate server ${share(livestate.server.cpuMs, livestate)}, subscribers ${share(s.cpuMs, livestate)}; ` +
      `bare server ${share(bare.server.cpuMs, bare)}, subscribers ${share(bare.subscribers.cpuMs, bare)}. ` +
      `Server CPU per delivered frame: livestate ${perFrame(livestate.server.cpuMs, livestate)}, bare ${perFrame(bare.server.cpuMs, bare)}; ` +
      `subscribers ${perFrame(s.cpuMs, livestate)} and ${perFrame(bare.subscribers.cpuMs, bare)}. ` +
      `At that cost, ${formatNumber(expected(livestate))} frames/s need ${formatNumber(((livestate.server.cpuMs / s.frames) * expected(livestate)) / 1000)} server cores. ` +
      `${formatNumber(CONNECTIONS)} connections subscribed in ${fmtMs(livestate.connectMs)}.`,
  ]
  if (livestate.subscribers.cpuMs / (livestate.seconds * 1000) > BUSY_CPU_SHARE) {
    notes.push(
      'The subscriber process was near a full core: part of the latency may be queueing in the subscribers, not the server.',
    )
  }
  const bareProblems = runProblems(bare, 'bare')
  if (bareProblems.length > 0) notes.push(`Reference run problems: ${bareProblems.join('; ')}.`)
  const timeline = markdownTable(
    ['seconds', 'frames/s', 'worst 1 s p99', 'max', 'server RSS MB'],
    timelineRows(s.perSecond, rss),
  )
  return {
    rows,
    notes,
    sections: [{ title: `livestate over the measured window, per ${TIMELINE_STEP} s`, markdown: timeline }],
    details: {
      connections: CONNECTIONS,
      keys: KEYS,
      keysPerConnection: KEYS_PER_CONNECTION,
      rate: RATE,
      livestate,
      bare,
      rss,
      bareRss,
    },
  }
}

/** Per TIMELINE_STEP seconds: frames/s, the worst per-second p99, the max, the server's RSS at the end of the step. */
function timelineRows(perSecond: SubscriberResult['perSecond'], rss: RssAnalysis): string[][] {
  const rows: string[][] = []
  for (let i = 0; i < perSecond.length; i += TIMELINE_STEP) {
    const step = perSecond.slice(i, i + TIMELINE_STEP)
    const frames = step.reduce((n, p) => n + p.frames, 0) / step.length
    const p99 = step.reduce((m, p) => Math.max(m, p.p99Ms || 0), 0)
    const maxMs = step.reduce((m, p) => Math.max(m, p.maxMs), 0)
    const sample = rss.samples[Math.min(rss.samples.length - 1, i + step.length - 1)]
    rows.push([
      `${i + 1}–${i + step.length}`,
      formatNumber(frames),
      fmtMs(p99),
      fmtMs(maxMs),
      formatNumber(sample?.rssMb ?? Number.NaN),
    ])
  }
  return rows
}

function fmtMs(ms: number): string {
  return `${formatNumber(ms)} ms`
}

function log(message: string): void {
  console.error(`  fanout: ${message}`)
}
