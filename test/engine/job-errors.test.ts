// How a job fails, on a real MiniCluster: a duplicate queryable name is refused at submit naming both
// operators; keyed state touched without a current key, a key selector returning a non-key, and an
// exception in user code each fail the job (status FAILED) with a cause that says what went wrong.
import { describe, expect, it } from 'vitest'
import type { Collector } from '../../src/api/functions.ts'
import { defineJob } from '../../src/api/job.ts'
import { KeyedProcessFunction, type OpenContext, type ProcessContext } from '../../src/api/process-function.ts'
import { collectSink } from '../../src/api/sinks.ts'
import { ValueStateDescriptor } from '../../src/api/state-descriptors.ts'
import type { ValueState } from '../../src/api/state.ts'
import { TumblingEventTimeWindows } from '../../src/api/windows.ts'
import { count } from '../../src/api/aggregates.ts'
import { MiniCluster } from '../../src/cluster/mini-cluster.ts'
import { startJob } from '../support/mini-cluster-run.ts'

type E = { k: string; n: number; ts: number }
const events: E[] = Array.from({ length: 200 }, (_, n) => ({ k: `k${n % 7}`, n, ts: n * 10 }))

/** Runs the job to its end and returns its status and cause (it must end, not hang). */
async function outcome(job: ReturnType<typeof defineJob>, parallelism = 2) {
  const { master, done, cluster } = startJob(job, { parallelism })
  const status = await done
  await cluster.close()
  return { status, cause: master.failureCause }
}

describe('submit-time errors', () => {
  it('two operators with one queryable name: a TypeError at submit naming both', () => {
    const job = defineJob({ name: 'dup' }, (env) => {
      const s = env.fromCollection(events, 'events').assignTimestamps((e) => e.ts)
      s.keyBy((e) => e.k).asQueryableState('totals')
      s.keyBy((e) => e.k)
        .window(TumblingEventTimeWindows.of(100))
        .aggregate(count(), { queryable: 'totals' })
    })
    const cluster = new MiniCluster()
    let error: unknown
    try {
      cluster.submit(job)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(TypeError)
    const message = (error as Error).message
    expect(message).toContain("'totals'")
    expect(message).toContain("'Queryable: totals'")
    expect(message).toContain("'Window(tumbling)'")
    expect(cluster.jobManager.listJobs()).toEqual([])
  })
})

class QueryableCounter extends KeyedProcessFunction<string, E, number> {
  private count!: ValueState<number>
  override open(ctx: OpenContext) {
    this.count = ctx.getState(new ValueStateDescriptor<number>('count', { queryable: 'counts' }))
  }
  override processElement(_e: E, _ctx: ProcessContext<string>, out: Collector<number>) {
    const n = (this.count.value() ?? 0) + 1
    this.count.update(n)
    out.collect(n)
  }
}

describe('queryable names declared in state descriptors', () => {
  it('two operators registering one queryable name when they open: the job fails naming both', async () => {
    const job = defineJob({ name: 'dup-descriptors' }, (env) => {
      const s = env.fromCollection(events, 'events')
      s.keyBy((e) => e.k)
        .process(new QueryableCounter())
        .name('first counter')
        .sinkTo(collectSink())
      s.keyBy((e) => `n${e.n}`)
        .process(new QueryableCounter())
        .name('second counter')
        .sinkTo(collectSink())
    })
    const { status, cause } = await outcome(job)
    expect(status).toBe('FAILED')
    expect(cause?.message).toContain("'counts'")
    expect(cause?.message).toContain("'first counter'")
    expect(cause?.message).toContain("'second counter'")
  })
})

class Counter extends KeyedProcessFunction<string, E, number> {
  protected count!: ValueState<number>
  override open(ctx: OpenContext): void {
    this.count = ctx.getState(new ValueStateDescriptor<number>('count'))
  }
  override processElement(_e: E, _ctx: ProcessContext<string>, out: Collector<number>) {
    const n = (this.count.value() ?? 0) + 1
    this.count.update(n)
    out.collect(n)
  }
}

describe('runtime failures', () => {
  it('keyed state read in open(), where there is no current key, fails the job saying so', async () => {
    class ReadsInOpen extends Counter {
      override open(ctx: OpenContext) {
        super.open(ctx)
        this.count.value()
      }
    }
    const job = defineJob({ name: 'no-key' }, (env) => {
      env
        .fromCollection(events, 'events')
        .keyBy((e) => e.k)
        .process(new ReadsInOpen())
        .sinkTo(collectSink())
    })
    const { status, cause } = await outcome(job)
    expect(status).toBe('FAILED')
    expect(cause?.message).toMatch(/no current key/)
  })

  it('a key selector that returns an object fails the job with a message naming the keyed operator', async () => {
    for (const parallelism of [1, 2]) {
      const job = defineJob({ name: 'bad-key' }, (env) => {
        env
          .fromCollection(events, 'events')
          .keyBy((e) => ({ k: e.k }) as unknown as string)
          .process(new Counter())
          .name('count-by-object')
          .sinkTo(collectSink())
      })
      const { status, cause } = await outcome(job, parallelism)
      expect(status, `parallelism ${parallelism}`).toBe('FAILED')
      expect(cause?.message, `parallelism ${parallelism}`).toContain("'count-by-object'")
      expect(cause?.message, `parallelism ${parallelism}`).toMatch(
        /must be a string, finite number, bigint, boolean or array of these; got object/,
      )
    }
  })

  it('an exception thrown in processElement fails the job with that exception as the cause; the other tasks stop', async () => {
    class Explodes extends Counter {
      override processElement(e: E, ctx: ProcessContext<string>, out: Collector<number>) {
        if (e.n === 137) throw new RangeError(`element ${e.n} is cursed`)
        super.processElement(e, ctx, out)
      }
    }
    const job = defineJob({ name: 'explodes' }, (env) => {
      env
        .fromGenerator('many', (n): E => ({ k: `k${n % 7}`, n, ts: n }))
        .keyBy((e) => e.k)
        .process(new Explodes())
        .sinkTo(collectSink())
    })
    const started = startJob(job, { parallelism: 2, taskManagers: 2 })
    const status = await started.done
    expect(status).toBe('FAILED')
    expect(started.master.failureCause?.message).toBe('element 137 is cursed')
    expect(started.master.failureCause?.stack).toContain('processElement')
    // the unbounded source was cancelled, not left running
    expect(started.tasks.every((t) => t.state === 'FAILED' || t.state === 'CANCELED')).toBe(true)
    await expect(new MiniCluster().execute(job, { parallelism: 2 })).rejects.toThrow('element 137 is cursed')
  })
})
