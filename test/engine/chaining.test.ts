// Chaining and partitioner decisions of the planner (pure: buildJobGraph over the transformations a
// job builds), for the plan shapes Flink's StreamingJobGraphGenerator distinguishes; and one run
// proving that an elided keyBy (input already partitioned by the same key) still routes correctly.
import { describe, expect, it } from 'vitest'
import type { Collector } from '../../src/api/functions.ts'
import { StreamExecutionEnvironment } from '../../src/api/environment.ts'
import { defineJob } from '../../src/api/job.ts'
import {
  KeyedCoProcessFunction,
  KeyedProcessFunction,
  type OpenContext,
  type ProcessContext,
} from '../../src/api/process-function.ts'
import { collectSink } from '../../src/api/sinks.ts'
import { ValueStateDescriptor } from '../../src/api/state-descriptors.ts'
import type { ValueState } from '../../src/api/state.ts'
import { buildJobGraph } from '../../src/graph/job-graph.ts'
import { formatPlan, planOf } from '../../src/graph/plan.ts'
import { runJob } from '../support/mini-cluster-run.ts'
import { countWords, seededWords } from '../support/seeded-words.ts'

type W = { word: string }

/** The plan as vertices (operator names per chain) and edges (source vertex, target vertex, partitioner, input). */
function plan(build: (env: StreamExecutionEnvironment) => void, parallelism: number) {
  const env = new StreamExecutionEnvironment()
  build(env)
  const graph = buildJobGraph(env.transformations, { jobName: 'plan', parallelism })
  const index = new Map(graph.vertices.map((v, i) => [v, i]))
  return {
    graph,
    chains: graph.vertices.map((v) => v.operators.map((o) => o.name)),
    edges: graph.edges.map(
      (e) => [index.get(e.source), index.get(e.target), e.partitioner.name, e.inputIndex] as const,
    ),
  }
}

class Count extends KeyedProcessFunction<string, W, { word: string; count: number }> {
  private count!: ValueState<number>
  override open(ctx: OpenContext) {
    this.count = ctx.getState(new ValueStateDescriptor<number>('count'))
  }
  override processElement(_e: W, ctx: ProcessContext<string>, out: Collector<{ word: string; count: number }>) {
    const n = (this.count.value() ?? 0) + 1
    this.count.update(n)
    out.collect({ word: ctx.getCurrentKey(), count: n })
  }
}

class Pair extends KeyedCoProcessFunction<string, W, W, W> {
  override processElement1(e: W, _ctx: ProcessContext<string>, out: Collector<W>) {
    out.collect(e)
  }
  override processElement2(e: W, _ctx: ProcessContext<string>, out: Collector<W>) {
    out.collect(e)
  }
}

const byWord = (e: W) => e.word

describe('chaining', () => {
  it('source → map → filter with equal parallelism is one chain', () => {
    const p = plan((env) => {
      env
        .fromGenerator('s', (i) => ({ word: `w${i}` }))
        .map((e) => e)
        .filter(() => true)
    }, 2)
    expect(p.chains).toEqual([['Source: s', 'Map', 'Filter']])
    expect(p.edges).toEqual([])
  })

  it('keyBy breaks the chain with a HASH edge; the keyed operator heads the next chain', () => {
    const p = plan((env) => {
      env
        .fromGenerator('s', (i) => ({ word: `w${i}` }))
        .map((e) => e)
        .keyBy(byWord)
        .process(new Count())
        .map((e) => e)
    }, 2)
    expect(p.chains).toEqual([
      ['Source: s', 'Map'],
      ['KeyedProcess: Count', 'Map'],
    ])
    expect(p.edges).toEqual([[0, 1, 'HASH', 0]])
    expect(p.graph.vertices.map((v) => v.isKeyed)).toEqual([false, true])
  })

  it('a parallelism change without a partitioner becomes REBALANCE and breaks the chain', () => {
    const p = plan((env) => {
      env
        .fromGenerator('s', (i) => ({ word: `w${i}` }))
        .setParallelism(2)
        .map((e) => e)
        .setParallelism(3)
        .filter(() => true)
        .setParallelism(3)
    }, 1)
    expect(p.chains).toEqual([['Source: s'], ['Map', 'Filter']])
    expect(p.edges).toEqual([[0, 1, 'REBALANCE', 0]])
    expect(p.graph.vertices.map((v) => v.parallelism)).toEqual([2, 3])
  })

  it('an explicit partitioner breaks the chain even at equal parallelism', () => {
    const p = plan((env) => {
      const s = env.fromGenerator('s', (i) => ({ word: `w${i}` }))
      s.rebalance().map((e) => e)
      s.shuffle().map((e) => e)
      s.broadcast().map((e) => e)
      s.rescale().map((e) => e)
    }, 2)
    expect(p.chains).toEqual([['Source: s'], ['Map'], ['Map'], ['Map'], ['Map']])
    expect(p.edges.map((e) => e[2])).toEqual(['REBALANCE', 'SHUFFLE', 'BROADCAST', 'RESCALE'])
  })

  it('startNewChain starts a chain at the operator; its successors chain to it', () => {
    const p = plan((env) => {
      env
        .fromGenerator('s', (i) => ({ word: `w${i}` }))
        .map((e) => e)
        .name('m1')
        .map((e) => e)
        .name('m2')
        .startNewChain()
        .map((e) => e)
        .name('m3')
    }, 2)
    expect(p.chains).toEqual([
      ['Source: s', 'm1'],
      ['m2', 'm3'],
    ])
    expect(p.edges).toEqual([[0, 1, 'FORWARD', 0]])
  })

  it('disableChaining isolates the operator from both its predecessor and its successor', () => {
    const p = plan((env) => {
      env
        .fromGenerator('s', (i) => ({ word: `w${i}` }))
        .map((e) => e)
        .name('m1')
        .map((e) => e)
        .name('m2')
        .disableChaining()
        .map((e) => e)
        .name('m3')
    }, 2)
    expect(p.chains).toEqual([['Source: s', 'm1'], ['m2'], ['m3']])
    expect(p.edges).toEqual([
      [0, 1, 'FORWARD', 0],
      [1, 2, 'FORWARD', 0],
    ])
  })

  it('a union feeds one operator through two edges; the operator cannot chain to either input', () => {
    const p = plan((env) => {
      const a = env.fromGenerator('a', (i) => ({ word: `a${i}` }))
      const b = env.fromGenerator('b', (i) => ({ word: `b${i}` }))
      a.union(b).map((e) => e)
    }, 2)
    expect(p.chains).toEqual([['Source: a'], ['Source: b'], ['Map']])
    expect(p.edges).toEqual([
      [0, 2, 'FORWARD', 0],
      [1, 2, 'FORWARD', 0],
    ])
  })

  it('connect feeds a two-input operator on input 0 and input 1', () => {
    const p = plan((env) => {
      const a = env.fromGenerator('a', (i) => ({ word: `a${i}` }))
      const b = env.fromCollection([{ word: 'x' }], 'b')
      a.connect(b).keyBy(byWord, byWord).process(new Pair())
    }, 3)
    expect(p.chains).toEqual([['Source: a'], ['Source: b'], ['KeyedCoProcess: Pair']])
    expect(p.edges).toEqual([
      [0, 2, 'HASH', 0],
      [1, 2, 'HASH', 1],
    ])
    expect(planOf(p.graph).edges.map((e) => e.inputIndex)).toEqual([0, 1])
  })

  it('keyBy(k).filter().keyBy(k): the second exchange is elided to FORWARD and chained; another key, a map or another parallelism keep HASH', () => {
    const p = plan((env) => {
      const keyed = env.fromGenerator('s', (i) => ({ word: `w${i}` })).keyBy(byWord)
      const filtered = keyed.filter(() => true).name('f')
      filtered.keyBy(byWord).process(new Count()).name('same key')
      filtered
        .keyBy((e) => e.word)
        .process(new Count())
        .name('other selector')
      keyed
        .map((e) => e)
        .name('m')
        .keyBy(byWord)
        .process(new Count())
        .name('after map')
      filtered.keyBy(byWord).process(new Count()).name('other parallelism').setParallelism(2)
    }, 3)
    expect(p.chains).toEqual([
      ['Source: s'],
      ['f', 'same key'],
      ['other selector'],
      ['m'],
      ['after map'],
      ['other parallelism'],
    ])
    expect(p.edges).toEqual([
      [0, 1, 'HASH', 0],
      [1, 2, 'HASH', 0],
      [0, 3, 'HASH', 0],
      [3, 4, 'HASH', 0],
      [1, 5, 'HASH', 0],
    ])
    expect(formatPlan(p.graph)).not.toContain('hash elided') // the elided edge is chained, not an edge
  })

  it('parallelism 1 on both sides elides the hash: the keyed operator chains to its source', () => {
    const p = plan((env) => {
      env
        .fromGenerator('s', (i) => ({ word: `w${i}` }))
        .keyBy(byWord)
        .process(new Count())
    }, 1)
    expect(p.chains).toEqual([['Source: s', 'KeyedProcess: Count']])
    expect(p.edges).toEqual([])
  })

  it('parallelism 1 with another maxParallelism on the keyed operator keeps the HASH edge, so its key groups are its own', () => {
    const p = plan((env) => {
      env
        .fromGenerator('s', (i) => ({ word: `w${i}` }))
        .keyBy(byWord)
        .process(new Count())
        .setMaxParallelism(256)
    }, 1)
    expect(p.chains).toEqual([['Source: s'], ['KeyedProcess: Count']])
    expect(p.edges).toEqual([[0, 1, 'HASH', 0]])
    expect(p.graph.vertices.map((v) => v.maxParallelism)).toEqual([128, 256])
  })

  it('an elided hash between separate chains is a FORWARD edge the plan explains', () => {
    const p = plan((env) => {
      env
        .fromGenerator('s', (i) => ({ word: `w${i}` }))
        .keyBy(byWord)
        .filter(() => true)
        .name('f')
        .keyBy(byWord)
        .process(new Count())
        .startNewChain()
    }, 3)
    expect(p.chains).toEqual([['Source: s'], ['f'], ['KeyedProcess: Count']])
    expect(p.edges).toEqual([
      [0, 1, 'HASH', 0],
      [1, 2, 'FORWARD', 0],
    ])
    expect(planOf(p.graph).edges[1]!.note).toBe('hash elided: input already partitioned by the same key')
  })
})

describe('an elided keyBy at runtime', () => {
  it('keyBy(k).filter().keyBy(k).process() at parallelism 3: every key reaches its owner and counts equal the oracle', async () => {
    const words = seededWords(3000, 17)
    const kept = words.filter((w) => !w.endsWith('x'))
    const sink = collectSink<{ word: string; count: number }>()
    const job = defineJob({ name: 'elided', parallelism: 3 }, (env) => {
      env
        .fromGenerator('words', (i) => ({ word: words[i]! }), { count: words.length })
        .keyBy(byWord)
        .filter((e) => !e.word.endsWith('x'))
        .keyBy(byWord)
        .process(new Count())
        .sinkTo(sink)
        .setParallelism(1)
    })
    await runJob(job, { taskManagers: 2 })
    const finals = new Map<string, number>()
    for (const r of sink.results) finals.set(r.word, Math.max(finals.get(r.word) ?? 0, r.count))
    expect(sink.results).toHaveLength(kept.length)
    expect(finals).toEqual(countWords(kept))
  })
})
