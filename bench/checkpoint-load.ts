// HTTP ingest load for the checkpoint suite (runs in the bench process; the server in its child):
// NDJSON batches POSTed to `POST /v1/jobs/:job/sources/:source/events`, each answered 202 only after
// a synced LevelDB write. A 429 (the job is too far behind the ingest log) is waited out and retried,
// so every event counted as accepted is in the log.
import { CHECKPOINT_JOB, CHECKPOINT_SOURCE, stateKey } from './checkpoint-job.ts'

export interface IngestStats {
  accepted: number
  requests: number
  /** 429 RATE_LIMITED answers (retried). */
  rateLimited: number
  /** Connection errors and answers other than 202/429 (the batch is dropped). */
  failures: string[]
  seconds: number
  /** Highest `position` a 202 answered: the ingest log's end offset after the last accepted batch. */
  maxPosition: number
}

const RETRY_AFTER_429_MS = 50
const MAX_FAILURES_KEPT = 5

export function eventsUrl(base: string): string {
  return `${base}/v1/jobs/${CHECKPOINT_JOB}/sources/${CHECKPOINT_SOURCE}/events`
}

function ndjson(keys: Iterable<number>): string {
  let body = ''
  for (const k of keys) body += `{"key":"${stateKey(k)}","n":1}\n`
  return body
}

function newStats(): IngestStats {
  return { accepted: 0, requests: 0, rateLimited: 0, failures: [], seconds: 0, maxPosition: 0 }
}

/** Posts one batch until it is accepted (or fails for another reason than 429). */
async function post(url: string, body: string, count: number, stats: IngestStats, deadline: number): Promise<void> {
  for (;;) {
    stats.requests++
    let status: number
    let text = ''
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body })
      status = res.status
      text = await res.text()
    } catch (e) {
      if (stats.failures.length < MAX_FAILURES_KEPT) stats.failures.push(`connection error: ${(e as Error).message}`)
      return
    }
    if (status === 202) {
      stats.accepted += count
      stats.maxPosition = Math.max(stats.maxPosition, Number((JSON.parse(text) as { position: string }).position))
      return
    }
    if (status === 429 && Date.now() < deadline) {
      stats.rateLimited++
      await new Promise((resolve) => setTimeout(resolve, RETRY_AFTER_429_MS))
      continue
    }
    if (stats.failures.length < MAX_FAILURES_KEPT) stats.failures.push(`${status} ${text.slice(0, 200)}`)
    return
  }
}

/** One batch of `count` random keys (e.g. a tail of events after the last checkpoint). */
export async function postRandom(base: string, o: { keys: number; count: number }): Promise<IngestStats> {
  const stats = newStats()
  await post(eventsUrl(base), ndjson(randomKeys(o.count, o.keys)), o.count, stats, Date.now() + 10_000)
  return stats
}

function* range(from: number, to: number): Iterable<number> {
  for (let i = from; i < to; i++) yield i
}

function* randomKeys(count: number, keys: number): Iterable<number> {
  for (let i = 0; i < count; i++) yield Math.floor(Math.random() * keys)
}

/** Keys 0 … n−1 once each, `batch` per request, `inFlight` requests at a time. */
export async function loadDistinctKeys(
  base: string,
  o: { keys: number; batch: number; inFlight: number; timeoutMs: number },
): Promise<IngestStats> {
  const url = eventsUrl(base)
  const stats = newStats()
  const t0 = performance.now()
  const deadline = Date.now() + o.timeoutMs
  let next = 0
  const worker = async () => {
    while (next < o.keys && Date.now() < deadline) {
      const from = next
      next = Math.min(o.keys, next + o.batch)
      await post(url, ndjson(range(from, next)), next - from, stats, deadline)
    }
  }
  await Promise.all(Array.from({ length: o.inFlight }, worker))
  stats.seconds = (performance.now() - t0) / 1000
  return stats
}

/**
 * A steady stream: every `tickMs`, the events due since the start (rate × elapsed) go out as one
 * batch of random keys, whether or not earlier batches were answered yet (open loop, as from many
 * producers: a slow answer does not hold the next batch back, up to `inFlight` unanswered; beyond
 * that the next batch waits and grows). Runs for `seconds`, then on until `done()` says so (asked
 * once a second) or `maxSeconds` passed.
 */
export async function steadyUpdates(
  base: string,
  o: {
    keys: number
    ratePerSecond: number
    seconds: number
    maxSeconds: number
    tickMs: number
    inFlight: number
    done: () => Promise<boolean>
  },
): Promise<IngestStats> {
  const url = eventsUrl(base)
  const stats = newStats()
  const t0 = performance.now()
  const minEnd = t0 + o.seconds * 1000
  const maxEnd = t0 + o.maxSeconds * 1000
  let sent = 0
  let asked = t0
  let asking = false
  let finished = false
  const inflight = new Set<Promise<void>>()
  for (let now = t0; now < maxEnd && !finished; now = performance.now()) {
    if (now >= minEnd && now - asked >= 1000 && !asking) {
      asked = now
      asking = true
      // asked in the background, so the stream stays steady while the answer comes
      void o.done().then(
        (d) => {
          finished ||= d
          asking = false
        },
        () => {
          finished = true
        },
      )
    }
    const due = Math.floor(((now - t0) * o.ratePerSecond) / 1000) - sent
    if (due > 0 && inflight.size < o.inFlight) {
      sent += due
      const p: Promise<void> = post(url, ndjson(randomKeys(due, o.keys)), due, stats, Date.now() + 10_000).then(() => {
        inflight.delete(p)
      })
      inflight.add(p)
    }
    const wait = o.tickMs - (performance.now() - now)
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
  }
  await Promise.all(inflight)
  stats.seconds = (performance.now() - t0) / 1000
  return stats
}

/** As fast as the server takes them: `inFlight` requests of `batch` random keys, for `seconds`. */
export async function closedLoop(
  base: string,
  o: { keys: number; batch: number; inFlight: number; seconds: number },
): Promise<IngestStats> {
  const url = eventsUrl(base)
  const stats = newStats()
  const t0 = performance.now()
  const end = t0 + o.seconds * 1000
  const worker = async () => {
    while (performance.now() < end)
      await post(url, ndjson(randomKeys(o.batch, o.keys)), o.batch, stats, Date.now() + 10_000)
  }
  await Promise.all(Array.from({ length: o.inFlight }, worker))
  stats.seconds = (performance.now() - t0) / 1000
  return stats
}
