// Runs inside a fresh process (child-main.ts): the keyed count job on a MiniCluster, and the
// hand-written loop it is compared with. Each reports wall time, CPU time and the work it did.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MiniCluster } from '../src/cluster/mini-cluster.ts'
import { createIndexedRandom } from '../src/runtime/sources/generator-source.ts'
import type { Workload } from './child.ts'
import { collectSourceMaps } from './cpu-profile.ts'
import {
  type CountEvent,
  type EngineVariant,
  SEED,
  countJob,
  generate,
  keySelector,
  reduce,
  reduceCallCount,
} from './engine-job.ts'

export interface ThroughputResult {
  events: number
  wallMs: number
  cpuMs: number
  eventsPerSecond: number
  reduceCalls: number
  maxRssMb: number
  /** process.hrtime µs around the measured part (the clock of --cpu-prof profiles). */
  fromUs: number
  toUs: number
}

const ROOT = fileURLToPath(new URL('..', import.meta.url))

async function measure(events: number, body: () => Promise<void> | void): Promise<ThroughputResult> {
  globalThis.gc?.()
  const cpu0 = process.cpuUsage()
  const fromUs = Number(process.hrtime.bigint() / 1000n)
  const t0 = performance.now()
  await body()
  const wallMs = performance.now() - t0
  const toUs = Number(process.hrtime.bigint() / 1000n)
  const cpu = process.cpuUsage(cpu0)
  return {
    events,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    eventsPerSecond: (events * 1000) / wallMs,
    reduceCalls: reduceCallCount(),
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    fromUs,
    toUs,
  }
}

export const workloads: Record<string, Workload> = {
  /** The baseline: same events, same reduce, state in a Map, no engine. */
  async loop(args: { events: number }) {
    const state = new Map<string, CountEvent>()
    const result = await measure(args.events, () => {
      const rng = createIndexedRandom(SEED)
      for (let i = 0; i < args.events; i++) {
        rng.reset(i)
        const e = generate(i, rng.random)
        const k = keySelector(e)
        const prev = state.get(k)
        state.set(k, prev === undefined ? e : reduce(prev, e))
      }
    })
    return { ...result, distinctKeys: state.size }
  },

  /** The job on a MiniCluster with the heap backend; with `profileDir`, also saves source maps there. */
  async job(args: { events: number; parallelism: number; variant: EngineVariant; profileDir?: string }) {
    const job = countJob(args.variant, args.events)
    const cluster = new MiniCluster()
    const result = await measure(args.events, async () => {
      await cluster.execute(job, { parallelism: args.parallelism })
    })
    await cluster.close()
    if (args.profileDir) {
      mkdirSync(args.profileDir, { recursive: true })
      writeFileSync(join(args.profileDir, 'sourcemaps.json'), JSON.stringify(collectSourceMaps(ROOT)))
    }
    return result
  },
}
