// The engine suite's workload: a keyed count over generated events. The job and the hand-written
// baseline loop use this same generate function, key selector and reduce function, so the only
// difference between them is the engine.
import type { DataStream } from '../src/api/data-stream.ts'
import { defineJob } from '../src/api/job.ts'

export const DISTINCT_KEYS = 100_000
export const SEED = 1

export interface CountEvent {
  key: string
  count: number
}

export function generate(_index: number, random: () => number): CountEvent {
  return { key: `user-${Math.floor(random() * DISTINCT_KEYS)}`, count: 1 }
}

export const keySelector = (e: CountEvent): string => e.key

let reduceCalls = 0

/** Count per key; it also counts its own calls, so job and loop can show they did the same work. */
export function reduce(a: CountEvent, b: CountEvent): CountEvent {
  reduceCalls++
  return { key: a.key, count: a.count + b.count }
}

/** Calls of `reduce` in this thread: events − distinct keys seen, when every event reached it. */
export function reduceCallCount(): number {
  return reduceCalls
}

export type EngineVariant = 'reduce' | 'queryable'

/** `fromGenerator → keyBy → reduce`, or `→ asQueryableState(name, { reduce })` for 'queryable'. */
export function countJob(variant: EngineVariant, events: number) {
  return defineJob({ name: 'bench-count' }, (env) => {
    const keyed = env.fromGenerator('events', generate, { count: events, seed: SEED }).keyBy(keySelector)
    const counts: DataStream<CountEvent> =
      variant === 'reduce' ? keyed.reduce(reduce) : keyed.asQueryableState('counts', { reduce })
    return { counts }
  })
}
