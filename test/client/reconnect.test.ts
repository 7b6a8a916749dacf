// Subscriptions across failures of a real `livestate run` server: the process SIGKILLed and restarted
// on the same port and state dir (it resumes from its checkpoint) while events keep being ingested,
// and every connection reset while the process lives on. The subscriber must end with each key's
// value equal to the oracle of acknowledged events, and never see a value go back within an epoch.
import { type ChangeMeta, type LivestateError, createClient } from '@livestate/client'
import { afterEach, describe, expect, test } from 'vitest'
import type shopJob from '../fixtures/client/shop-job.ts'
import { type LivestateProcess, killHard, stopQuietly } from '../support/livestate-process.ts'
import {
  ShopOracle,
  VisitFeeder,
  type Visit,
  eventually,
  makeVisits,
  removeTempDirs,
  runShop,
  tempStateDir,
} from './support/shop.ts'
import { type TcpProxy, startTcpProxy } from './support/tcp-proxy.ts'

const USERS = Array.from({ length: 20 }, (_, i) => `r${i}`)
const KEYS = Array.from({ length: 8 }, (_, i) => `/r/${i}`)
const RECONNECT = { baseDelayMs: 50, maxDelayMs: 400 }

interface Seen extends ChangeMeta {
  key: string
  value: number | undefined
  /** How many times the test had broken the connection when the frame arrived. */
  failures: number
}

/** A subscriber of `page-views` for KEYS that records every frame it is given. */
function subscribeAll(url: string, encoding: 'json' | 'msgpack', failures: () => number) {
  const client = createClient<typeof shopJob>({ url, job: 'shop', encoding, reconnect: RECONNECT })
  const seen: Seen[] = []
  const errors: LivestateError[] = []
  const statuses: string[] = []
  const sub = client
    .state('page-views')
    .subscribe(KEYS, (value, key, meta) => seen.push({ key, value, ...meta, failures: failures() }), {
      onError: (e) => errors.push(e),
      onStatus: (s) => statuses.push(s),
    })
  const latest = () => {
    const m = new Map<string, number | undefined>()
    for (const s of seen) m.set(s.key, s.value)
    return m
  }
  return { client, sub, seen, errors, statuses, latest }
}

function batchesOf(n: number, size: number): Visit[][] {
  const visits = makeVisits(n * size, { users: USERS, pages: KEYS, stepMs: 100 })
  return Array.from({ length: n }, (_, i) => visits.slice(i * size, (i + 1) * size))
}

/** Per key, frames whose (epoch, seq) is not strictly newer than the previous one's. */
function positionRegressions(seen: readonly Seen[]): string[] {
  const out: string[] = []
  const last = new Map<string, Seen>()
  for (const s of seen) {
    const p = last.get(s.key)
    last.set(s.key, s)
    if (p !== undefined && !(s.epoch > p.epoch || (s.epoch === p.epoch && s.seq > p.seq))) {
      out.push(`${s.key}: (${s.epoch}, ${s.seq}) after (${p.epoch}, ${p.seq})`)
    }
  }
  return out
}

/** Per key, counts that went down within one epoch (a count only grows between restores). */
function valueRegressions(seen: readonly Seen[]): string[] {
  const out: string[] = []
  const last = new Map<string, Seen>()
  for (const s of seen) {
    const p = last.get(s.key)
    last.set(s.key, s)
    if (p !== undefined && s.epoch === p.epoch && (s.value ?? 0) < (p.value ?? 0)) {
      out.push(`${s.key}: ${s.value} after ${p.value} within epoch ${s.epoch} (seq ${p.seq} → ${s.seq})`)
    }
  }
  return out
}

function describeRun(seen: readonly Seen[], oracle: ShopOracle): string {
  const byKey = KEYS.map((k) => {
    const mine = seen.filter((s) => s.key === k)
    const trail = mine
      .slice(-4)
      .map((s) => `${s.type[0]}${s.value}@${s.epoch}.${s.seq}#${s.failures}`)
      .join(' ')
    return `${k}: oracle ${oracle.pageViews.get(k)}, ${mine.length} frames … ${trail}`
  })
  return byKey.join('\n')
}

let processes: LivestateProcess[] = []
let proxy: TcpProxy | undefined
afterEach(async () => {
  for (const p of processes) await stopQuietly(p)
  processes = []
  await proxy?.close()
  proxy = undefined
  removeTempDirs()
})

describe.each(['json', 'msgpack'] as const)('over %s', (encoding) => {
  test('SIGKILL and restart on the same port and state dir while ingesting: every key reaches the oracle, in a new epoch, never going back', async () => {
    const stateDir = tempStateDir()
    const first = runShop(stateDir)
    processes.push(first)
    const url = await first.url
    const port = Number(new URL(url).port)
    let kills = 0
    const subscriber = subscribeAll(url, encoding, () => kills)
    await subscriber.sub.ready

    const oracle = new ShopOracle()
    // Most of the load before the kill, a short tail after it: the restarted server has published
    // far fewer changes than the first one had when the subscriber reconnects.
    const batches = batchesOf(30, 8)
    for (const b of batches) oracle.add(b)
    const feeder = new VisitFeeder(url, batches, `kill-${encoding}`)
    let second: LivestateProcess | undefined
    const killed = new Promise<void>((resolve) => {
      void feeder
        .run({
          pauseMs: 20,
          retryMs: 50,
          giveUpMs: 30_000,
          onAcked: (i) => {
            if (i === 24) resolve()
          },
        })
        .catch(() => {})
    })
    const feeding = (async () => {
      await killed
      // Mid-subscription, mid-ingest: the process dies with no chance to checkpoint or say goodbye.
      const exit = await killHard(first)
      kills++
      expect(exit.signal).toBe('SIGKILL')
      await new Promise((r) => setTimeout(r, 300)) // the feeder keeps trying against a dead port
      second = runShop(stateDir, port)
      processes.push(second)
      expect(await second.url).toBe(url)
    })()
    await feeding
    await eventually(
      () => feeder.acked.length === batches.length,
      40_000,
      () => `${feeder.acked.length} batches acked`,
    )
    expect(feeder.failures).toBeGreaterThan(0) // some batch really met the dead server

    await eventually(
      () => KEYS.every((k) => subscriber.latest().get(k) === oracle.pageViews.get(k)),
      30_000,
      () => `the subscriber did not reach the oracle:\n${describeRun(subscriber.seen, oracle)}`,
    )
    const run = describeRun(subscriber.seen, oracle)
    expect(
      subscriber.seen.some((s) => s.failures === 1),
      run,
    ).toBe(true) // the restarted server's frames arrived
    expect(subscriber.errors).toEqual([])
    // DESIGN §1 and §5: the epoch is bumped on every restart of the owner and a new epoch starts with
    // a snapshot, so (epoch, seq) keeps increasing per key even across the death of the process.
    const before = Math.max(...subscriber.seen.filter((s) => s.failures === 0).map((s) => s.epoch))
    const after = Math.min(...subscriber.seen.filter((s) => s.failures === 1).map((s) => s.epoch))
    expect(after, `the restarted server reused epoch ${before} of the killed one`).toBeGreaterThan(before)
    expect(valueRegressions(subscriber.seen), run).toEqual([])
    expect(positionRegressions(subscriber.seen), run).toEqual([])
    expect(subscriber.sub.closed).toBe(false)
    await subscriber.client.close()
    expect(subscriber.sub.closed).toBe(true)
  })

  test('every connection reset while the server lives on: the client resubscribes and resumes', async () => {
    const server = runShop(tempStateDir())
    processes.push(server)
    const url = await server.url
    proxy = await startTcpProxy(Number(new URL(url).port))
    const through = proxy
    let drops = 0
    const subscriber = subscribeAll(through.url, encoding, () => drops)
    await subscriber.sub.ready

    const oracle = new ShopOracle()
    const batches = batchesOf(40, 8)
    for (const b of batches) oracle.add(b)
    // Ingest goes straight to the server: only the subscriber's connections are cut.
    const feeder = new VisitFeeder(url, batches, `drop-${encoding}`)
    const feeding = feeder.run({
      pauseMs: 20,
      retryMs: 50,
      giveUpMs: 10_000,
      onAcked: (i) => {
        if (i % 10 === 5) {
          drops++
          through.dropAll(150) // and refuse reconnects for a while, so changes pile up meanwhile
        }
      },
    })
    await feeding
    expect(feeder.failures).toBe(0)

    await eventually(
      () => KEYS.every((k) => subscriber.latest().get(k) === oracle.pageViews.get(k)),
      20_000,
      () => `the subscriber did not reach the oracle:\n${describeRun(subscriber.seen, oracle)}`,
    )
    expect(drops).toBe(4)
    // the client reconnected (two resets may fall within one reconnect backoff, so not one per reset)
    expect(through.accepted).toBeGreaterThanOrEqual(2)
    expect(subscriber.seen.some((s) => s.failures === drops)).toBe(true) // frames after the last reset arrived
    const run = describeRun(subscriber.seen, oracle)
    expect(positionRegressions(subscriber.seen), run).toEqual([])
    expect(valueRegressions(subscriber.seen), run).toEqual([])
    // One process, one epoch: every frame of the run has the epoch of the first.
    expect(new Set(subscriber.seen.map((s) => s.epoch)).size).toBe(1)
    expect(subscriber.errors).toEqual([])
    await subscriber.client.close()
  })
})
