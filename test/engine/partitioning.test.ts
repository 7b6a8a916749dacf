// How records travel between subtasks on a real MiniCluster: the print sink prefixes every record
// with its subtask ("route:2> …", Flink's format), so each record's downstream subtask is observed;
// generator record i comes from upstream subtask i mod p. Each partitioner's contract is checked
// record by record against an oracle of Flink's rule, and per-subtask counts against task metrics.
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { DataStream } from '../../src/api/data-stream.ts'
import type { Collector } from '../../src/api/functions.ts'
import { defineJob } from '../../src/api/job.ts'
import { KeyedProcessFunction, type OpenContext, type ProcessContext } from '../../src/api/process-function.ts'
import { collectSink } from '../../src/api/sinks.ts'
import type { Key } from '../../src/keys/key-codec.ts'
import { assignToKeyGroup, computeOperatorIndexForKeyGroup } from '../../src/keys/key-group-range-assignment.ts'
import { runJob, subtaskOf, tasksNamed } from '../support/mini-cluster-run.ts'
import { randomInt, seededRandom } from '../support/seeded-random.ts'

type Rec = { i: number }
type Routed = { i: number; subtask: number }

afterEach(() => {
  vi.restoreAllMocks()
})

/** Runs source(up) → partition → print sink(down) and returns where every record went. */
async function route(partition: (s: DataStream<Rec>) => DataStream<Rec>, up: number, down: number, n: number) {
  const lines: string[] = []
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk))
    return true
  })
  const job = defineJob({ name: 'routing' }, (env) => {
    const source = env.fromGenerator('records', (i): Rec => ({ i }), { count: n }).setParallelism(up)
    partition(source).print('route').setParallelism(down)
  })
  const { tasks } = await runJob(job)
  vi.restoreAllMocks()
  const routed: Routed[] = []
  for (const line of lines.join('').split('\n')) {
    const m = /^route:(\d+)> (.*)$/.exec(line)
    if (m) routed.push({ subtask: Number(m[1]) - 1, i: (JSON.parse(m[2]!) as Rec).i })
  }
  routed.sort((a, b) => a.i - b.i)
  const recordsIn = new Array<number>(down).fill(0)
  for (const t of tasksNamed(tasks, 'Sink: print')) recordsIn[subtaskOf(t)] = t.metrics.recordsIn
  return { routed, recordsIn }
}

function countsPerSubtask(routed: readonly Routed[], down: number): number[] {
  const counts = new Array<number>(down).fill(0)
  for (const r of routed) counts[r.subtask]!++
  return counts
}

describe('partitioners', () => {
  it('broadcast: every downstream subtask gets every record exactly once', async () => {
    const n = 500
    const { routed, recordsIn } = await route((s) => s.broadcast(), 2, 3, n)
    const expected: Routed[] = []
    for (let i = 0; i < n; i++) for (let subtask = 0; subtask < 3; subtask++) expected.push({ i, subtask })
    expect([...routed].sort((a, b) => a.i - b.i || a.subtask - b.subtask)).toEqual(expected)
    expect(recordsIn).toEqual([n, n, n])
  })

  for (const up of [1, 2]) {
    it(`rebalance from ${up} upstream subtask(s): round-robin per upstream subtask, an even split ±1`, async () => {
      const n = 1000
      const down = 3
      const { routed, recordsIn } = await route((s) => s.rebalance(), up, down, n)
      expect(routed.map((r) => r.i)).toEqual(Array.from({ length: n }, (_, i) => i))
      for (let s = 0; s < up; s++) {
        const fromS = routed.filter((r) => r.i % up === s)
        // consecutive records of one upstream subtask go to consecutive channels
        for (let k = 1; k < fromS.length; k++) expect((fromS[k - 1]!.subtask + 1) % down).toBe(fromS[k]!.subtask)
        const counts = countsPerSubtask(fromS, down)
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1)
      }
      expect(recordsIn).toEqual(countsPerSubtask(routed, down))
    })
  }

  it('shuffle: every record reaches exactly one subtask, spread about evenly', async () => {
    const n = 3000
    const { routed, recordsIn } = await route((s) => s.shuffle(), 1, 3, n)
    expect(routed.map((r) => r.i)).toEqual(Array.from({ length: n }, (_, i) => i))
    const counts = countsPerSubtask(routed, 3)
    // expected 1000 each, standard deviation ~26: ±200 is ~8 deviations
    for (const c of counts) expect(Math.abs(c - n / 3)).toBeLessThan(200)
    expect(recordsIn).toEqual(counts)
  })

  /** Flink's POINTWISE wiring (EdgeManagerBuildUtil.connectPointwise): the downstream slice of upstream i. */
  function pointwiseTargets(i: number, up: number, down: number): number[] {
    const out: number[] = []
    if (up >= down) {
      for (let t = 0; t < down; t++)
        if (Math.floor((t * up) / down) <= i && i < Math.floor(((t + 1) * up) / down)) out.push(t)
    } else {
      for (let t = Math.ceil((i * down) / up); t < Math.ceil(((i + 1) * down) / up); t++) out.push(t)
    }
    return out
  }

  for (const [up, down] of [
    [2, 4],
    [4, 2],
    [3, 2],
    [2, 3],
  ] as const) {
    it(`rescale ${up} → ${down}: each upstream subtask round-robins over its own slice of downstream subtasks, from the first`, async () => {
      const n = 240
      const { routed, recordsIn } = await route((s) => s.rescale(), up, down, n)
      const expected: Routed[] = []
      const sent = new Array<number>(up).fill(0)
      for (let i = 0; i < n; i++) {
        const s = i % up
        const slice = pointwiseTargets(s, up, down)
        expected.push({ i, subtask: slice[sent[s]!++ % slice.length]! })
      }
      expect(routed).toEqual(expected)
      expect(recordsIn).toEqual(countsPerSubtask(expected, down))
    })
  }
})

type Keyed = { key: Key; subtask: number; parallelism: number; maxParallelism: number }

class WhereAmI extends KeyedProcessFunction<Key, { key: Key }, Keyed> {
  private subtask = -1
  private parallelism = 0
  private maxParallelism = 0
  override open(ctx: OpenContext) {
    ;({
      subtaskIndex: this.subtask,
      parallelism: this.parallelism,
      maxParallelism: this.maxParallelism,
    } = ctx.getRuntimeInfo())
  }
  override processElement(_e: { key: Key }, ctx: ProcessContext<Key>, out: Collector<Keyed>) {
    out.collect({
      key: ctx.getCurrentKey(),
      subtask: this.subtask,
      parallelism: this.parallelism,
      maxParallelism: this.maxParallelism,
    })
  }
}

describe('keyBy', () => {
  const random = seededRandom(31)
  const keys: Key[] = []
  for (let i = 0; i < 150; i++) {
    const kind = i % 5
    keys.push(
      kind === 0
        ? `user-${randomInt(random, 0, 1e6)}`
        : kind === 1
          ? randomInt(random, -1e9, 1e9)
          : kind === 2
            ? BigInt(randomInt(random, 0, 1e9)) * 1_000_003n
            : kind === 3
              ? [`t${i}`, randomInt(random, 0, 99)]
              : randomInt(random, 0, 1) === 1,
    )
  }

  for (const maxParallelism of [128, 10]) {
    it(`every key is processed on the subtask computeOperatorIndexForKeyGroup names (parallelism 3, maxParallelism ${maxParallelism})`, async () => {
      const sink = collectSink<Keyed>()
      const job = defineJob({ name: 'key-routing', parallelism: 3, maxParallelism }, (env) => {
        env
          .fromGenerator('keys', (i) => ({ key: keys[i % keys.length]! }), { count: keys.length * 4 })
          .keyBy((e) => e.key)
          .process(new WhereAmI())
          .sinkTo(sink)
          .setParallelism(1)
      })
      await runJob(job, { taskManagers: 2 })
      expect(sink.results).toHaveLength(keys.length * 4)
      const used = new Set<number>()
      for (const r of sink.results) {
        expect([r.parallelism, r.maxParallelism]).toEqual([3, maxParallelism])
        expect(r.subtask, `key ${String(r.key)}`).toBe(
          computeOperatorIndexForKeyGroup(maxParallelism, 3, assignToKeyGroup(r.key, maxParallelism)),
        )
        used.add(r.subtask)
      }
      expect(used.size).toBe(3)
    })
  }
})
