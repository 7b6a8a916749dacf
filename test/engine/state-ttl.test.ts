// State TTL on a real MiniCluster, with real waits: a KeyedProcessFunction replays a script of
// writes, reads and sleeps and reports the wall-clock time of every state access. The oracle replays
// that observed timeline with Flink's rule (an entry written — or, with onReadAndWrite, read — at t is
// visible while now - t < ttl), so a loaded machine that stretches the sleeps cannot make the test
// wrong; within ±2 ms of the TTL either answer is accepted (the engine reads its own clock a moment
// after the function does). The scripts' margins make both outcomes occur.
import { describe, expect, it } from 'vitest'
import type { Collector } from '../../src/api/functions.ts'
import { defineJob } from '../../src/api/job.ts'
import { KeyedProcessFunction, type OpenContext, type ProcessContext } from '../../src/api/process-function.ts'
import { collectSink } from '../../src/api/sinks.ts'
import {
  ListStateDescriptor,
  MapStateDescriptor,
  type StateTtlConfig,
  ValueStateDescriptor,
} from '../../src/api/state-descriptors.ts'
import type { ListState, MapState, ValueState } from '../../src/api/state.ts'
import { runJob } from '../support/mini-cluster-run.ts'

const TTL = 400
const CLOCK_SLACK = 2

type Step =
  | { key: string; op: 'put'; value: number }
  | { key: string; op: 'get' }
  | { key: string; op: 'add'; value: number }
  | { key: string; op: 'list' }
  | { key: string; op: 'mapPut'; mapKey: string; value: number }
  | { key: string; op: 'mapGet'; mapKey: string }
  | { key: string; op: 'sleep'; ms: number }
/** What the function did and when: every step, with the value a read returned. */
type Observed = { step: Step; at: number; value?: unknown }

class TtlScript extends KeyedProcessFunction<string, Step, Observed> {
  private value!: ValueState<number>
  private list!: ListState<number>
  private map!: MapState<string, number>
  constructor(private readonly ttl: StateTtlConfig) {
    super()
  }
  override open(ctx: OpenContext) {
    this.value = ctx.getState(new ValueStateDescriptor<number>('value', { ttl: this.ttl }))
    this.list = ctx.getListState(new ListStateDescriptor<number>('list', { ttl: this.ttl }))
    this.map = ctx.getMapState(new MapStateDescriptor<string, number>('map', { ttl: this.ttl }))
  }
  override async processElement(step: Step, _ctx: ProcessContext<string>, out: Collector<Observed>) {
    if (step.op === 'sleep') await new Promise((resolve) => setTimeout(resolve, step.ms))
    const at = Date.now()
    switch (step.op) {
      case 'put':
        this.value.update(step.value)
        return out.collect({ step, at })
      case 'get':
        return out.collect({ step, at, value: this.value.value() })
      case 'add':
        this.list.add(step.value)
        return out.collect({ step, at })
      case 'list':
        return out.collect({ step, at, value: this.list.get() })
      case 'mapPut':
        this.map.put(step.mapKey, step.value)
        return out.collect({ step, at })
      case 'mapGet':
        return out.collect({ step, at, value: this.map.get(step.mapKey) })
      case 'sleep':
        return out.collect({ step, at })
    }
  }
}

type Entry = { v: number; at: number }

/**
 * Replays the observed timeline and returns the reads that disagree with Flink's TTL rule, plus how
 * many reads found state fresh, expired, and fresh only because an earlier read refreshed it.
 */
function checkTimeline(observed: readonly Observed[], ttl: StateTtlConfig) {
  const refresh = ttl.update === 'onReadAndWrite'
  const values = new Map<string, Entry & { writtenAt: number }>()
  const lists = new Map<string, (Entry & { writtenAt: number })[]>()
  const maps = new Map<string, Entry & { writtenAt: number }>()
  const mismatches: string[] = []
  const outcome = { fresh: 0, expired: 0, keptByRead: 0 }
  /** Whether `e` is visible at `now`; in the slack band, what the engine answered decides. */
  const isFresh = (e: Entry | undefined, now: number, answeredPresent: boolean) => {
    if (e === undefined) return false
    const age = now - e.at
    if (Math.abs(age - ttl.ttl) <= CLOCK_SLACK) return answeredPresent
    return age < ttl.ttl
  }
  const read = (o: Observed, e: (Entry & { writtenAt: number }) | undefined, store: () => void) => {
    const fresh = isFresh(e, o.at, o.value !== undefined)
    const expected = fresh ? e!.v : undefined
    if (o.value !== expected)
      mismatches.push(`${JSON.stringify(o.step)} at +${o.at - t0}: got ${o.value}, expected ${expected}`)
    if (fresh) {
      outcome.fresh++
      if (o.at - e!.writtenAt >= ttl.ttl) outcome.keptByRead++
      if (refresh) e!.at = o.at
    } else if (e !== undefined) {
      outcome.expired++
      store()
    }
  }
  const t0 = observed[0]?.at ?? 0
  for (const o of observed) {
    const s = o.step
    switch (s.op) {
      case 'put':
        values.set(s.key, { v: s.value, at: o.at, writtenAt: o.at })
        break
      case 'get':
        read(o, values.get(s.key), () => values.delete(s.key))
        break
      case 'mapPut':
        maps.set(`${s.key}/${s.mapKey}`, { v: s.value, at: o.at, writtenAt: o.at })
        break
      case 'mapGet':
        read(o, maps.get(`${s.key}/${s.mapKey}`), () => maps.delete(`${s.key}/${s.mapKey}`))
        break
      case 'add':
        lists.set(s.key, [...(lists.get(s.key) ?? []), { v: s.value, at: o.at, writtenAt: o.at }])
        break
      case 'list': {
        const got = o.value as number[]
        const live = (lists.get(s.key) ?? []).filter((e) => isFresh(e, o.at, got.includes(e.v)))
        const expected = live.map((e) => e.v)
        if (JSON.stringify(got) !== JSON.stringify(expected))
          mismatches.push(`${JSON.stringify(s)}: got ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`)
        outcome.fresh += live.length
        outcome.expired += (lists.get(s.key) ?? []).length - live.length
        for (const e of live) {
          if (o.at - e.writtenAt >= ttl.ttl) outcome.keptByRead++
          if (refresh) e.at = o.at
        }
        lists.set(s.key, live)
        break
      }
      case 'sleep':
        break
    }
  }
  return { mismatches, outcome }
}

async function runScript(steps: readonly Step[], ttl: StateTtlConfig): Promise<Observed[]> {
  const sink = collectSink<Observed>()
  const job = defineJob({ name: 'ttl' }, (env) => {
    env
      .fromCollection(steps, 'script')
      .keyBy((s) => s.key)
      .process(new TtlScript(ttl))
      .sinkTo(sink)
  })
  await runJob(job)
  expect(sink.results.map((o) => o.step)).toEqual(steps)
  return sink.results
}

describe('state TTL', () => {
  it('onCreateAndWrite: a value, list element or map entry is readable before its TTL and undefined after it', async () => {
    const ttl: StateTtlConfig = { ttl: TTL }
    const steps: Step[] = [
      { key: 'a', op: 'put', value: 1 },
      { key: 'a', op: 'add', value: 10 },
      { key: 'a', op: 'mapPut', mapKey: 'x', value: 100 },
      { key: 'b', op: 'put', value: 2 },
      { key: 'a', op: 'sleep', ms: 60 },
      { key: 'a', op: 'get' },
      { key: 'a', op: 'list' },
      { key: 'a', op: 'mapGet', mapKey: 'x' },
      { key: 'a', op: 'sleep', ms: 170 },
      { key: 'a', op: 'add', value: 11 },
      { key: 'a', op: 'mapPut', mapKey: 'y', value: 101 },
      { key: 'b', op: 'put', value: 3 },
      { key: 'a', op: 'sleep', ms: 250 }, // ≥ 480 ms after the first writes, ~250 ms after the second
      { key: 'a', op: 'get' },
      { key: 'b', op: 'get' },
      { key: 'a', op: 'list' },
      { key: 'a', op: 'mapGet', mapKey: 'x' },
      { key: 'a', op: 'mapGet', mapKey: 'y' },
    ]
    const { mismatches, outcome } = checkTimeline(await runScript(steps, ttl), ttl)
    expect(mismatches).toEqual([])
    expect(outcome.fresh).toBeGreaterThanOrEqual(3) // the reads 60 ms after the writes
    expect(outcome.expired).toBeGreaterThanOrEqual(3) // value a, list element 10 and map entry x, 480 ms after their write
    expect(outcome.keptByRead).toBe(0)
  })

  it('onReadAndWrite: every read restarts the TTL (value, map entry, list elements), so state read often outlives it', async () => {
    const ttl: StateTtlConfig = { ttl: TTL, update: 'onReadAndWrite', visibility: 'neverReturnExpired' }
    const steps: Step[] = [
      { key: 'r', op: 'put', value: 7 },
      { key: 'r', op: 'mapPut', mapKey: 'm', value: 70 },
      { key: 'r', op: 'add', value: 700 },
      { key: 'r', op: 'sleep', ms: 230 },
      { key: 'r', op: 'get' },
      { key: 'r', op: 'mapGet', mapKey: 'm' },
      { key: 'r', op: 'list' },
      { key: 'r', op: 'sleep', ms: 230 }, // ≥ 460 ms after the write, ~230 ms after the read
      { key: 'r', op: 'get' },
      { key: 'r', op: 'mapGet', mapKey: 'm' },
      { key: 'r', op: 'list' },
      { key: 'r', op: 'sleep', ms: 480 },
      { key: 'r', op: 'get' },
      { key: 'r', op: 'mapGet', mapKey: 'm' },
      { key: 'r', op: 'list' },
    ]
    const { mismatches, outcome } = checkTimeline(await runScript(steps, ttl), ttl)
    expect(mismatches).toEqual([])
    expect(outcome.keptByRead).toBeGreaterThanOrEqual(1) // designed: the 3 second reads, older than the TTL but read since
    expect(outcome.expired).toBeGreaterThanOrEqual(3) // the last reads, 480 ms after the previous ones
  })
})
