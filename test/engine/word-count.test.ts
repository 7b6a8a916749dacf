// Word count end to end on a real MiniCluster: the final count per word equals an oracle counted with
// a plain loop over the same seeded words, at parallelism 1 and 3 (over 2 TaskManagers), with a
// KeyedProcessFunction over ValueState and with keyBy().reduce().
import { describe, expect, it } from 'vitest'
import { collectSink } from '../../src/api/sinks.ts'
import { defineJob } from '../../src/api/job.ts'
import { KeyedProcessFunction, type OpenContext, type ProcessContext } from '../../src/api/process-function.ts'
import { ValueStateDescriptor } from '../../src/api/state-descriptors.ts'
import type { ValueState } from '../../src/api/state.ts'
import type { Collector } from '../../src/api/functions.ts'
import { runJob } from '../support/mini-cluster-run.ts'
import { countWords, seededWords } from '../support/seeded-words.ts'

type WordCount = { word: string; count: number }

const WORDS = seededWords(6000)
const ORACLE = countWords(WORDS)

class CountWords extends KeyedProcessFunction<string, { word: string }, WordCount> {
  private count!: ValueState<number>
  override open(ctx: OpenContext) {
    this.count = ctx.getState(new ValueStateDescriptor<number>('count'))
  }
  override processElement(_e: { word: string }, ctx: ProcessContext<string>, out: Collector<WordCount>) {
    const n = (this.count.value() ?? 0) + 1
    this.count.update(n)
    out.collect({ word: ctx.getCurrentKey(), count: n })
  }
}

/** Every emitted running count, sorted: the oracle says word w emits 1, 2, …, n(w) exactly once each. */
function oracleRunningCounts(): WordCount[] {
  const out: WordCount[] = []
  for (const [word, n] of ORACLE) for (let c = 1; c <= n; c++) out.push({ word, count: c })
  return out.sort(byWordThenCount)
}

function byWordThenCount(a: WordCount, b: WordCount): number {
  return a.word < b.word ? -1 : a.word > b.word ? 1 : a.count - b.count
}

/** The last emitted count per word, checking on the way that each word's counts arrive in order. */
function finalCounts(results: readonly WordCount[]): Map<string, number> {
  const last = new Map<string, number>()
  for (const r of results) {
    const prev = last.get(r.word) ?? 0
    expect(r.count, `counts of '${r.word}' arrive in order`).toBe(prev + 1)
    last.set(r.word, r.count)
  }
  return last
}

function processJob(sink: ReturnType<typeof collectSink<WordCount>>) {
  return defineJob({ name: 'word-count-process' }, (env) => {
    env
      .fromGenerator('words', (i) => ({ word: WORDS[i]! }), { count: WORDS.length })
      .keyBy((e) => e.word)
      .process(new CountWords())
      .sinkTo(sink)
      .setParallelism(1)
  })
}

function reduceJob(sink: ReturnType<typeof collectSink<WordCount>>) {
  return defineJob({ name: 'word-count-reduce' }, (env) => {
    env
      .fromGenerator('words', (i) => ({ word: WORDS[i]!, count: 1 }), { count: WORDS.length })
      .keyBy((e) => e.word)
      .reduce((a, b) => ({ word: a.word, count: a.count + b.count }))
      .sinkTo(sink)
      .setParallelism(1)
  })
}

describe('word count', () => {
  it('the oracle input is non-trivial (many words, skewed counts)', () => {
    expect(ORACLE.size).toBeGreaterThan(30)
    const counts = [...ORACLE.values()].sort((a, b) => b - a)
    expect(counts[0]!).toBeGreaterThan(10 * counts[counts.length - 1]!)
  })

  for (const [parallelism, taskManagers] of [
    [1, 1],
    [3, 2],
  ] as const) {
    it(`KeyedProcessFunction + ValueState, parallelism ${parallelism} on ${taskManagers} TaskManager(s): every running count once, finals equal the oracle`, async () => {
      const sink = collectSink<WordCount>()
      await runJob(processJob(sink), { parallelism, taskManagers })
      expect(sink.results).toHaveLength(WORDS.length)
      expect(finalCounts(sink.results)).toEqual(ORACLE)
      expect([...sink.results].sort(byWordThenCount)).toEqual(oracleRunningCounts())
    })

    it(`keyBy().reduce(), parallelism ${parallelism} on ${taskManagers} TaskManager(s): rolling sums, finals equal the oracle`, async () => {
      const sink = collectSink<WordCount>()
      await runJob(reduceJob(sink), { parallelism, taskManagers })
      expect(sink.results).toHaveLength(WORDS.length)
      expect(finalCounts(sink.results)).toEqual(ORACLE)
      expect([...sink.results].sort(byWordThenCount)).toEqual(oracleRunningCounts())
    })
  }

  it('parallelism 1 and 3 give identical final counts', async () => {
    const one = collectSink<WordCount>()
    const three = collectSink<WordCount>()
    await runJob(processJob(one), { parallelism: 1 })
    await runJob(processJob(three), { parallelism: 3, taskManagers: 2 })
    expect(finalCounts(three.results)).toEqual(finalCounts(one.results))
  })
})
