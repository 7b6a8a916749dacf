// Event-time windows on a real MiniCluster against an oracle written from Flink's rules (see
// test/support/window-oracle.ts): tumbling and sliding windows over out-of-order input with late
// events, allowed lateness re-firing, and session windows with bridging merges. Watermarks are emitted
// per element (interval 0) by a source of parallelism 1, so the run is deterministic.
import { describe, expect, it } from 'vitest'
import type { AggregateFunction } from '../../src/api/functions.ts'
import { defineJob } from '../../src/api/job.ts'
import { collectSink } from '../../src/api/sinks.ts'
import { EventTimeSessionWindows, SlidingEventTimeWindows, TumblingEventTimeWindows } from '../../src/api/windows.ts'
import type { WindowAssigner, WindowResult } from '../../src/api/windows.ts'
import type { Task } from '../../src/runtime/task.ts'
import { runJob, tasksNamed } from '../support/mini-cluster-run.ts'
import { randomInt, seededRandom } from '../support/seeded-random.ts'
import {
  eventTimeWindowOracle,
  firingsByWindow,
  sessionWindowOracle,
  sliding,
  type TimedEvent,
  tumbling,
} from '../support/window-oracle.ts'

type Event = TimedEvent<string>
type Stats = { count: number; sum: number }

const KEYS = ['a', 'b', 'c', 'd', 'e']

/**
 * Out-of-order events: mostly within `maxOutOfOrderness` of the newest (never behind the watermark),
 * plus a share that arrive up to `lateBy` ms behind the watermark.
 */
function outOfOrderEvents(
  seed: number,
  n: number,
  maxOutOfOrderness: number,
  lateRatio: number,
  lateBy: number,
): Event[] {
  const random = seededRandom(seed)
  const events: Event[] = []
  let maxTs = Number.NEGATIVE_INFINITY
  for (let i = 0; i < n; i++) {
    const key = KEYS[randomInt(random, 0, KEYS.length - 1)]!
    const ts =
      i > 20 && random() < lateRatio
        ? maxTs - maxOutOfOrderness - randomInt(random, 1, lateBy)
        : 1000 + i * 7 - randomInt(random, 0, maxOutOfOrderness)
    maxTs = Math.max(maxTs, ts)
    events.push({ key, ts, value: randomInt(random, 1, 100) })
  }
  return events
}

const stats: AggregateFunction<Event, Stats, Stats> = {
  createAccumulator: () => ({ count: 0, sum: 0 }),
  add: (e, acc) => ({ count: acc.count + 1, sum: acc.sum + e.value }),
  getResult: (acc) => acc,
  merge: (a, b) => ({ count: a.count + b.count, sum: a.sum + b.sum }),
}
const statsOf = (values: readonly number[]): Stats => ({ count: values.length, sum: values.reduce((s, v) => s + v, 0) })

function lateRecordsDropped(tasks: readonly Task[]): number {
  return tasksNamed(tasks, 'Window(').reduce((n, t) => n + t.metrics.lateRecordsDropped, 0)
}

async function runAggregateWindows(
  events: readonly Event[],
  assigner: WindowAssigner,
  options: { maxOutOfOrderness: number; allowedLateness: number; windowParallelism: number },
) {
  const sink = collectSink<WindowResult<string, Stats>>()
  const job = defineJob({ name: 'windows' }, (env) => {
    env
      .fromCollection(events, 'events')
      .assignTimestamps((e) => e.ts, { maxOutOfOrderness: options.maxOutOfOrderness, interval: 0 })
      .keyBy((e) => e.key)
      .window(assigner)
      .allowedLateness(options.allowedLateness)
      .aggregate(stats)
      .setParallelism(options.windowParallelism)
      .sinkTo(sink)
  })
  const { tasks } = await runJob(job)
  return { results: sink.results, dropped: lateRecordsDropped(tasks) }
}

describe('tumbling event-time windows', () => {
  const B = 60
  const events = outOfOrderEvents(11, 2500, B, 0.05, 400)
  const oracle = eventTimeWindowOracle(events, {
    windowsOf: tumbling(100),
    maxOutOfOrderness: B,
    allowedLateness: 0,
    result: statsOf,
  })

  it('the input has late events the oracle drops', () => {
    expect(oracle.dropped).toBeGreaterThan(20)
    expect(oracle.fired.length).toBeGreaterThan(500)
  })

  it('scripted boundaries: a window fires when the watermark reaches end-1, not one ms earlier or later', async () => {
    // watermark = maxTs - 61; window [0,100) fires at watermark 99, i.e. once maxTs reaches 160
    const scripted: Event[] = [
      { key: 'a', ts: 0, value: 1 },
      { key: 'a', ts: 99, value: 2 }, // the window's last millisecond
      { key: 'a', ts: 100, value: 4 }, // the next window's first
      { key: 'b', ts: 159, value: 8 }, // watermark 98: [0,100) still open
      { key: 'a', ts: 50, value: 16 }, // accepted into [0,100)
      { key: 'b', ts: 160, value: 32 }, // watermark 99: [0,100) fires
      { key: 'a', ts: 99, value: 64 }, // late: dropped
      { key: 'a', ts: 100, value: 128 }, // [100,200) is open until watermark 199
    ]
    const expected = eventTimeWindowOracle(scripted, {
      windowsOf: tumbling(100),
      maxOutOfOrderness: B,
      allowedLateness: 0,
      result: statsOf,
    })
    expect(expected.dropped).toBe(1)
    const { results, dropped } = await runAggregateWindows(scripted, TumblingEventTimeWindows.of(100), {
      maxOutOfOrderness: B,
      allowedLateness: 0,
      windowParallelism: 2,
    })
    expect(firingsByWindow(results)).toEqual(firingsByWindow(expected.fired))
    expect(dropped).toBe(expected.dropped)
  })

  for (const windowParallelism of [1, 2]) {
    it(`window parallelism ${windowParallelism}: fired windows equal the oracle and late events are dropped and counted`, async () => {
      const { results, dropped } = await runAggregateWindows(events, TumblingEventTimeWindows.of(100), {
        maxOutOfOrderness: B,
        allowedLateness: 0,
        windowParallelism,
      })
      expect(results).toHaveLength(oracle.fired.length)
      expect(firingsByWindow(results)).toEqual(firingsByWindow(oracle.fired))
      expect(dropped).toBe(oracle.dropped)
    })
  }

  it('allowed lateness keeps windows and re-fires them with every late element; later ones are dropped', async () => {
    const lateness = 150
    const lateOracle = eventTimeWindowOracle(events, {
      windowsOf: tumbling(100),
      maxOutOfOrderness: B,
      allowedLateness: lateness,
      result: statsOf,
    })
    expect(lateOracle.lateFirings).toBeGreaterThan(20)
    expect(lateOracle.dropped).toBeGreaterThan(5)
    expect(lateOracle.dropped).toBeLessThan(oracle.dropped)
    const { results, dropped } = await runAggregateWindows(events, TumblingEventTimeWindows.of(100), {
      maxOutOfOrderness: B,
      allowedLateness: lateness,
      windowParallelism: 2,
    })
    expect(results).toHaveLength(lateOracle.fired.length)
    expect(firingsByWindow(results)).toEqual(firingsByWindow(lateOracle.fired))
    expect(dropped).toBe(lateOracle.dropped)
  })
})

describe('sliding event-time windows', () => {
  const B = 40
  const events = outOfOrderEvents(23, 1500, B, 0.05, 500)
  type Reduced = { key: string; sum: number; max: number }

  it('reduce over windows of 300 every 100 ms equals the oracle, late events dropped and counted', async () => {
    const oracle = eventTimeWindowOracle(events, {
      windowsOf: sliding(300, 100),
      maxOutOfOrderness: B,
      allowedLateness: 0,
      result: (values, key): Reduced => ({ key, sum: values.reduce((s, v) => s + v, 0), max: Math.max(...values) }),
    })
    expect(oracle.dropped).toBeGreaterThan(10)
    const sink = collectSink<WindowResult<string, Reduced>>()
    const job = defineJob({ name: 'sliding', parallelism: 2 }, (env) => {
      env
        .fromCollection(events, 'events')
        .assignTimestamps((e) => e.ts, { maxOutOfOrderness: B, interval: 0 })
        .setParallelism(1)
        .map((e): Reduced => ({ key: e.key, sum: e.value, max: e.value }))
        .setParallelism(1)
        .keyBy((r) => r.key)
        .window(SlidingEventTimeWindows.of(300, 100))
        .reduce((a, b) => ({ key: a.key, sum: a.sum + b.sum, max: Math.max(a.max, b.max) }))
        .sinkTo(sink)
    })
    const { tasks } = await runJob(job)
    expect(sink.results).toHaveLength(oracle.fired.length)
    expect(firingsByWindow(sink.results)).toEqual(firingsByWindow(oracle.fired))
    expect(lateRecordsDropped(tasks)).toBe(oracle.dropped)
  })
})

describe('event-time session windows', () => {
  const GAP = 40
  const B = 80

  /**
   * A scripted run (watermark = maxTs - 81):
   * k@1000, k@1070 are two sessions, k@1035 bridges them into [1000,1110);
   * t@1200 and t@1240 touch ([1200,1240) and [1240,1280)), which Flink merges;
   * p@1150 is late (its session would end at 1189 < watermark 1219) and must leave no trace, so that
   * p@1185 opens its own session [1185,1225); q@2030 still extends q's session because the watermark
   * (2038) is one millisecond short of its end-1.
   */
  const scripted: Event[] = [
    { key: 'k', ts: 1000, value: 1 },
    { key: 'k', ts: 1070, value: 2 },
    { key: 'k', ts: 1035, value: 4 },
    { key: 't', ts: 1200, value: 8 },
    { key: 't', ts: 1240, value: 16 },
    { key: 'x', ts: 1300, value: 32 },
    { key: 'p', ts: 1150, value: 64 },
    { key: 'p', ts: 1185, value: 128 },
    { key: 'q', ts: 2000, value: 256 }, // session [2000,2040) fires at watermark 2039
    { key: 'x', ts: 2119, value: 512 }, // watermark 2038: still open
    { key: 'q', ts: 2030, value: 1024 }, // extends it to [2000,2070)
  ]

  /** Bursts per key (events 15..40 ms apart), bursts 41..150 ms apart, delivered up to B ms out of order, plus late stragglers. */
  function sessionEvents(seed: number): Event[] {
    const random = seededRandom(seed)
    const timed: { e: Event; order: number }[] = []
    for (const key of KEYS) {
      let t = 1000 + randomInt(random, 0, 50)
      for (let burst = 0; burst < 25; burst++) {
        const size = randomInt(random, 1, 6)
        for (let j = 0; j < size; j++) {
          timed.push({ e: { key, ts: t, value: randomInt(random, 1, 9) }, order: t + randomInt(random, 0, B) })
          t += randomInt(random, 15, GAP)
        }
        t += randomInt(random, GAP + 1, 150)
      }
    }
    timed.sort((a, b) => a.order - b.order)
    const events = timed.map((x) => x.e)
    // stragglers far behind the newest event: late unless they reach into a still-open session
    let maxTs = Number.NEGATIVE_INFINITY
    const out: Event[] = []
    for (const e of events) {
      maxTs = Math.max(maxTs, e.ts)
      out.push(e)
      if (random() < 0.04)
        out.push({
          key: KEYS[randomInt(random, 0, KEYS.length - 1)]!,
          ts: maxTs - B - randomInt(random, 1, 120),
          value: 100,
        })
    }
    return out
  }

  async function runSessions(events: readonly Event[]) {
    const sink = collectSink<WindowResult<string, Stats>>()
    const job = defineJob({ name: 'sessions', parallelism: 2 }, (env) => {
      env
        .fromCollection(events, 'events')
        .assignTimestamps((e) => e.ts, { maxOutOfOrderness: B, interval: 0 })
        .setParallelism(1)
        .keyBy((e) => e.key)
        .window(EventTimeSessionWindows.withGap(GAP))
        .aggregate(stats)
        .sinkTo(sink)
    })
    const { tasks } = await runJob(job)
    return { results: sink.results, dropped: lateRecordsDropped(tasks) }
  }

  it('scripted: a bridging event merges two sessions, touching sessions merge, a late event leaves no session behind', async () => {
    const oracle = sessionWindowOracle(scripted, { gap: GAP, maxOutOfOrderness: B, result: statsOf })
    expect(oracle.bridges).toBe(1)
    expect(oracle.dropped).toBe(1)
    const { results, dropped } = await runSessions(scripted)
    expect(firingsByWindow(results)).toEqual(firingsByWindow(oracle.fired))
    expect(results).toHaveLength(oracle.fired.length)
    expect(dropped).toBe(oracle.dropped)
  })

  it('seeded bursts delivered out of order: merged sessions equal the oracle', async () => {
    const events = sessionEvents(5)
    const oracle = sessionWindowOracle(events, { gap: GAP, maxOutOfOrderness: B, result: statsOf })
    expect(oracle.bridges).toBeGreaterThan(3)
    expect(oracle.dropped).toBeGreaterThan(3)
    const { results, dropped } = await runSessions(events)
    expect(firingsByWindow(results)).toEqual(firingsByWindow(oracle.fired))
    expect(results).toHaveLength(oracle.fired.length)
    expect(dropped).toBe(oracle.dropped)
  })
})
