// Credit-based backpressure on a real MiniCluster: a fast generator feeds a keyed operator that
// stalls every few hundred records. The records between the source's emit and the consumer's input
// stay bounded by what the channels may hold — (credits − 1) batches per channel before a source
// step plus one step — instead of growing to the whole input, and the source reports time spent
// back-pressured. Sampled every millisecond while the job runs.
import { describe, expect, it } from 'vitest'
import type { Collector } from '../../src/api/functions.ts'
import { defineJob } from '../../src/api/job.ts'
import { KeyedProcessFunction, type ProcessContext } from '../../src/api/process-function.ts'
import { collectSink } from '../../src/api/sinks.ts'
import { CHANNEL_CAPACITY } from '../../src/cluster/local-shuffle.ts'
import { DEFAULT_BATCH_SIZE } from '../../src/runtime/record-writer.ts'
import { SOURCE_STEP } from '../../src/runtime/task.ts'
import { startJob, tasksNamed } from '../support/mini-cluster-run.ts'

type Rec = { i: number; key: number }

const N = 60_000
const CONSUMERS = 2
const STALL_EVERY = 200

class SlowConsumer extends KeyedProcessFunction<number, Rec, Rec> {
  private seen = 0
  override async processElement(e: Rec, _ctx: ProcessContext<number>, out: Collector<Rec>) {
    out.collect(e)
    if (++this.seen % STALL_EVERY === 0) await new Promise((resolve) => setTimeout(resolve, 1))
  }
}

describe('backpressure', () => {
  it('a slow keyed consumer bounds the records in flight from a fast source, which waits for credit', async () => {
    const sink = collectSink<Rec>()
    const job = defineJob({ name: 'backpressure' }, (env) => {
      env
        .fromGenerator('fast', (i): Rec => ({ i, key: i % 8 }), { count: N })
        .keyBy((e) => e.key)
        .process(new SlowConsumer())
        .setParallelism(CONSUMERS)
        .sinkTo(sink)
    })
    const { tasks, done } = startJob(job)
    const [source] = tasksNamed(tasks, 'Source: fast')
    const consumers = tasksNamed(tasks, 'KeyedProcess: SlowConsumer')
    expect(source).toBeDefined()
    expect(consumers).toHaveLength(CONSUMERS)
    let maxInFlight = 0
    let samples = 0
    const sampler = setInterval(() => {
      const inFlight = source!.metrics.recordsIn - consumers.reduce((n, t) => n + t.metrics.recordsIn, 0)
      maxInFlight = Math.max(maxInFlight, inFlight)
      samples++
    }, 1)
    const status = await done
    clearInterval(sampler)
    expect(status).toBe('FINISHED')

    const bound = CONSUMERS * (CHANNEL_CAPACITY - 1) * DEFAULT_BATCH_SIZE + SOURCE_STEP
    expect(bound * 10).toBeLessThan(N) // without flow control the whole input would be in flight
    expect(samples).toBeGreaterThan(20)
    expect(maxInFlight).toBeGreaterThan(0)
    expect(maxInFlight).toBeLessThanOrEqual(bound)
    expect(source!.metrics.backpressuredMs).toBeGreaterThan(0)

    // nothing lost or duplicated, and each key's records in order
    expect(sink.results.map((r) => r.i).sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i))
    for (let key = 0; key < 8; key++) {
      const is = sink.results.filter((r) => r.key === key).map((r) => r.i)
      expect(is).toEqual([...is].sort((a, b) => a - b))
    }
  })
})
