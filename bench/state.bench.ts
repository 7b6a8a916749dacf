// Suite "state": the LevelDB state backend under a memory budget. The keyed count job on LevelDB
// against the same job on the heap backend (hot set fits the budget), and with 10M uniform keys
// against a hand-written read-modify-write loop over raw classic-level; RSS sampled every 100 ms
// against the --memory budget. Every workload runs in a fresh process (child.ts), with the same
// loaders as the CLI (src/cli/register.mjs). This module is also the workloads module of the children.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { decodeMsgpack, encodeMsgpack } from '@livestate/client'
import { ClassicLevel } from 'classic-level'
import { type LevelDbTableReads, levelDbTableReads } from '../storage/leveldb/table-reads.ts'
import {
  type MemoryBudget,
  maxOpenFilesOf,
  parseSize,
  splitMemoryBudget,
  TABLE_METADATA_RATIO,
} from '../storage/memory-budget.ts'
import { defineJob } from '../src/api/job.ts'
import { MiniCluster } from '../src/cluster/mini-cluster.ts'
import { createIndexedRandom } from '../src/runtime/sources/generator-source.ts'
import { type LevelBackendMetrics, LevelStateBackend } from '../src/state/leveldb/level-state-backend.ts'
import { runWorkload, type Workload } from './child.ts'
import { scaled } from './scale.ts'
import type { BenchRow, Suite, SuiteReport } from './suite.ts'
import { formatNumber, markdownTable } from './table.ts'
import { RSS_SAMPLE_MS, startRssSampler } from './rss-sampler.ts'

const MODULE = new URL('./state.bench.ts', import.meta.url)
const REGISTER = fileURLToPath(new URL('../src/cli/register.mjs', import.meta.url))
const SEED = 7
const MiB = 1024 * 1024
/** Dirty entries per LevelDB batch, the same for the job (LevelStateTable) and the loop. */
const BATCH_OPS = 2_000
const BUSY_CPU_SHARE = 0.8

// ---- the workload: a keyed count (the engine suite's, with a configurable key space) ----

interface CountEvent {
  key: string
  count: number
}

let reduceCalls = 0

function reduce(a: CountEvent, b: CountEvent): CountEvent {
  reduceCalls++
  return { key: a.key, count: a.count + b.count }
}

function generator(keys: number) {
  return (_index: number, random: () => number): CountEvent => ({
    key: `user-${Math.floor(random() * keys)}`,
    count: 1,
  })
}

function countJob(events: number, keys: number) {
  return defineJob({ name: 'bench-state-count' }, (env) => {
    env
      .fromGenerator('events', generator(keys), { count: events, seed: SEED })
      .keyBy((e: CountEvent) => e.key)
      .reduce(reduce)
  })
}

export interface StateRunResult {
  events: number
  wallMs: number
  cpuMs: number
  eventsPerSecond: number
  /** reduce calls (job) or existing values found (loop): events − distinct keys, when all ran. */
  folds: number
  /** Largest RSS sampled every 100 ms, and the kernel's high-water mark. */
  maxRssMb: number
  /**
   * Largest anonymous RSS (Linux RssAnon): RSS without file-backed pages, i.e. without LevelDB's
   * mmapped table files, which grow with the data on disk and which the kernel drops under pressure.
   */
  maxAnonMb: number
  /** Largest file-backed RSS (Linux RssFile): the node binary and libraries, and mapped table files. */
  maxFileMb: number
  /** Largest committed size of V8's old generation (what the heap growing factor bounds). */
  maxOldGenMb: number
  peakRssMb: number
  rssSamples: number
  backend?: LevelBackendMetrics
  /** How the LevelDB runs read table files: mmapped (prebuilt classic-level) or with pread. */
  tableReads?: LevelDbTableReads
}

async function measure(events: number, body: () => Promise<number>): Promise<Omit<StateRunResult, 'backend'>> {
  globalThis.gc?.()
  const sampler = startRssSampler()
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const folds = await body()
  const wallMs = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  const { maxRssMb, maxAnonMb, maxFileMb, maxOldGenMb, samples } = sampler.stop()
  return {
    events,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    eventsPerSecond: (events * 1000) / wallMs,
    folds,
    maxRssMb,
    maxAnonMb,
    maxFileMb,
    maxOldGenMb,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    rssSamples: samples,
  }
}

/** The job's and the loop's budget: the split for how this process's LevelDB reads table files. */
function budgetOf(memory: string): MemoryBudget {
  return splitMemoryBudget(parseSize(memory), { slots: 1, mmapReads: levelDbTableReads().mmap })
}

interface JobArgs {
  backend: 'heap' | 'leveldb'
  events: number
  keys: number
  memory: string
}

export const workloads: Record<string, Workload> = {
  /** The keyed count job on a MiniCluster (one TaskManager, parallelism 1) with the chosen backend. */
  async job(args: JobArgs): Promise<StateRunResult> {
    const dir = mkdtempSync(join(tmpdir(), 'livestate-bench-state-'))
    try {
      const backend =
        args.backend === 'leveldb' ? await LevelStateBackend.open(join(dir, 'tm-1'), budgetOf(args.memory)) : undefined
      const cluster = new MiniCluster(backend ? { stateTables: () => backend } : {})
      const job = countJob(args.events, args.keys)
      const result = await measure(args.events, async () => {
        await cluster.execute(job, { parallelism: 1 })
        return reduceCalls
      })
      await cluster.close()
      const metrics = await backend?.metrics()
      await backend?.close()
      return { ...result, ...(metrics ? { backend: metrics, tableReads: levelDbTableReads() } : {}) }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  },

  /**
   * The baseline of the 10M-key run: the same events, reduce and msgpack values, read-modify-write
   * by hand on raw classic-level with the same budget and LevelDB options (cache, write buffer,
   * maxOpenFiles, maxFileSize) as the backend (LevelStateBackend.open) — getSync per event
   * (after the batch being built), puts collected into batches of BATCH_OPS.
   */
  async loop(args: { events: number; keys: number; memory: string }): Promise<StateRunResult> {
    const dir = mkdtempSync(join(tmpdir(), 'livestate-bench-loop-'))
    const budget = budgetOf(args.memory)
    const db = new ClassicLevel<Uint8Array, Uint8Array>(dir, {
      keyEncoding: 'view',
      valueEncoding: 'view',
      cacheSize: budget.blockCache,
      writeBufferSize: budget.writeBuffer,
      maxOpenFiles: maxOpenFilesOf(budget),
      maxFileSize: budget.tableFileSize,
    })
    await db.open()
    try {
      const generate = generator(args.keys)
      const result = await measure(args.events, async () => {
        const rng = createIndexedRandom(SEED)
        let batch = new Map<string, Uint8Array>()
        let found = 0
        const write = async () => {
          const ops = [...batch].map(([k, v]) => ({ type: 'put' as const, key: Buffer.from(k), value: v }))
          batch = new Map()
          await db.batch(ops)
        }
        for (let i = 0; i < args.events; i++) {
          rng.reset(i)
          const e = generate(i, rng.random)
          const raw = batch.get(e.key) ?? db.getSync(Buffer.from(e.key))
          const prev = raw === undefined ? undefined : (decodeMsgpack(raw) as CountEvent)
          if (prev !== undefined) found++
          batch.set(e.key, encodeMsgpack(prev === undefined ? e : reduce(prev, e)))
          if (batch.size >= BATCH_OPS) await write()
        }
        if (batch.size > 0) await write()
        return found
      })
      return { ...result, tableReads: levelDbTableReads() }
    } finally {
      await db.close()
      rmSync(dir, { recursive: true, force: true })
    }
  },
}

// ---- the suite ----

const timeoutFor = (events: number) => 120_000 + events / 10

function run(workload: 'job' | 'loop', args: object): Promise<StateRunResult> {
  const events = (args as { events: number }).events
  return runWorkload<StateRunResult>(MODULE, workload, args, {
    timeoutMs: timeoutFor(events),
    nodeArgs: ['--import', REGISTER],
  })
}

export const stateSuite: Suite = {
  name: 'state',
  title: 'State backends: LevelDB under a memory budget',
  async run(): Promise<SuiteReport> {
    const events = scaled(10_000_000, 20_000)
    const hotKeys = scaled(100_000, 1_000)
    const manyKeys = scaled(10_000_000, 20_000)
    const fewKeys = 1_000
    const rows: BenchRow[] = []
    const notes: string[] = []
    const runs: Record<string, StateRunResult> = {}
    const go = async (name: string, workload: 'job' | 'loop', args: object) => {
      log(`${name}, ${formatNumber(events)} events`)
      runs[name] = await run(workload, args)
      return runs[name]!
    }
    const job = (backend: 'heap' | 'leveldb', keys: number, memory: string) => ({ backend, events, keys, memory })
    const [hot, many] = [formatNumber(hotKeys), formatNumber(manyKeys)]

    // (1) the hot set fits the budget: LevelDB vs heap.
    const heap = await go(`heap, ${hot} keys`, 'job', job('heap', hotKeys, '256mb'))
    const level = await go(`leveldb 256mb, ${hot} keys`, 'job', job('leveldb', hotKeys, '256mb'))
    rows.push({
      name: `keyed count, ${hot} keys (hot set fits 256mb): leveldb vs heap`,
      unit: 'ev/s',
      livestate: level.eventsPerSecond,
      baseline: heap.eventsPerSecond,
      target: { op: '>=', value: 0.7 },
      problems: level.folds === heap.folds ? [] : [`reduce ran ${level.folds} times on leveldb, ${heap.folds} on heap`],
    })

    // (2) 10M uniform keys with --memory 64mb: the job vs the raw classic-level loop.
    const big = await go(`leveldb 64mb, ${many} keys`, 'job', job('leveldb', manyKeys, '64mb'))
    const loop = await go(`raw classic-level loop, ${many} keys`, 'loop', { events, keys: manyKeys, memory: '64mb' })
    rows.push({
      name: `keyed count, ${many} uniform keys, --memory 64mb: job vs raw classic-level loop`,
      unit: 'ev/s',
      livestate: big.eventsPerSecond,
      baseline: loop.eventsPerSecond,
      target: { op: '>=', value: 0.5 },
      problems: big.folds === loop.folds ? [] : [`the job folded ${big.folds} values, the loop ${loop.folds}`],
    })

    // (3) RSS against budget + the RSS of the same job with few keys; and with a 4gb budget.
    const small = await go('leveldb 64mb, 1k keys', 'job', job('leveldb', fewKeys, '64mb'))
    const huge = await go(`leveldb 4gb, ${many} keys`, 'job', job('leveldb', manyKeys, '4gb'))
    rows.push({
      name: `max RSS, ${many} keys, --memory 64mb (baseline: 64 MB + RSS with 1k keys)`,
      unit: 'MB',
      livestate: big.maxRssMb,
      baseline: 64 + small.maxRssMb,
      target: { op: '<=', value: 1.1 },
      problems: [],
    })
    rows.push({
      name: `max RssAnon (RSS without LevelDB's mmapped table files), ${many} keys, --memory 64mb (baseline: 64 MB + RssAnon with 1k keys)`,
      unit: 'MB',
      livestate: big.maxAnonMb,
      baseline: 64 + small.maxAnonMb,
      target: { op: '<=', value: 1.1 },
      problems: [],
    })
    rows.push({
      name: `max RSS, ${many} keys, --memory 4gb (the budget is what bounds RSS: well above)`,
      unit: 'MB',
      livestate: huge.maxRssMb,
      baseline: 64 + small.maxRssMb,
      target: { op: '>=', value: 2 },
      problems: [],
    })

    const perCpu = (r: StateRunResult) => (r.events * 1000) / r.cpuMs
    notes.push(
      `${formatNumber(events)} events per run; one TaskManager, parallelism 1; keys \`user-<uniform 0..n-1>\`, value { key, count }.`,
      `Per CPU-second: leveldb/heap ${(perCpu(level) / perCpu(heap)).toFixed(2)}×, job/loop ${(perCpu(big) / perCpu(loop)).toFixed(2)}× ` +
        `(heap ${formatNumber(perCpu(heap))}, leveldb ${formatNumber(perCpu(level))}, ${many}-key job ${formatNumber(perCpu(big))}, loop ${formatNumber(perCpu(loop))} ev/CPU-s).`,
      `RSS sampled every ${RSS_SAMPLE_MS} ms (${big.rssSamples} samples in the 64mb run); kernel peak RSS: 64mb ${formatNumber(big.peakRssMb)} MB, ` +
        `1k keys ${formatNumber(small.peakRssMb)} MB, 4gb ${formatNumber(huge.peakRssMb)} MB. The raw classic-level loop peaked at ` +
        `${formatNumber(loop.maxRssMb)} MB RSS, ${formatNumber(loop.maxAnonMb)} MB RssAnon.`,
      `Max RssFile (file-backed RSS: node, libraries, mmapped LevelDB tables): 1k keys ${formatNumber(small.maxFileMb)} MB, ` +
        `${many} keys 64mb ${formatNumber(big.maxFileMb)} MB, 4gb ${formatNumber(huge.maxFileMb)} MB, loop ${formatNumber(loop.maxFileMb)} MB. ` +
        `${budgetNote('64mb', big)}; ${budgetNote('4gb', huge)}.`,
      tableReadsNote(runs),
    )
    const busy = Object.entries(runs).filter(([, r]) => r.cpuMs / r.wallMs < BUSY_CPU_SHARE)
    if (busy.length > 0) {
      notes.push(
        `Busy machine: ${busy.map(([n, r]) => `${n} got ${((100 * r.cpuMs) / r.wallMs).toFixed(0)}% of a core`).join(', ')}; ` +
          'trust the per-CPU-second ratios more than the wall-clock ones.',
      )
    }
    const mb = (bytes: number) => formatNumber(bytes / MiB)
    const table = markdownTable(
      [
        'run',
        'ev/s',
        'CPU s',
        'max RSS MB',
        'max RssAnon MB',
        'max RssFile MB',
        'max V8 old gen MB',
        'heap growing',
        'cache hit rate',
        'cache target MB',
        'evictions',
        'flushed ops',
        'on disk MB',
      ],
      Object.entries(runs).map(([name, r]) => [
        name,
        formatNumber(r.eventsPerSecond),
        (r.cpuMs / 1000).toFixed(1),
        formatNumber(r.maxRssMb),
        formatNumber(r.maxAnonMb),
        formatNumber(r.maxFileMb),
        formatNumber(r.maxOldGenMb),
        r.backend?.heapGrowingPercent === undefined ? 'V8 (≤ 4×)' : `${r.backend.heapGrowingPercent}%`,
        r.backend ? `${(100 * r.backend.cacheHitRate).toFixed(1)}%` : '–',
        r.backend ? mb(r.backend.objectCacheTargetBytes) : '–',
        r.backend ? formatNumber(r.backend.evictions) : '–',
        r.backend ? formatNumber(r.backend.flushedOps) : '–',
        r.backend ? mb(r.backend.bytesOnDisk) : '–',
      ]),
    )
    return { rows, notes, sections: [{ title: 'Runs', markdown: table }], details: { events, hotKeys, manyKeys, runs } }
  },
}

/** The split's LevelDB read side: table cache (mmapped tables, or fds and index blocks) and block cache. */
function budgetNote(label: string, r: StateRunResult): string {
  const b = r.backend?.budget
  if (!b) return `${label}: no budget`
  const mb = (n: number) => formatNumber(n / MiB)
  const overcommit = b.overcommit > 0 ? `, overcommit ${mb(b.overcommit)} MB (LevelDB's table-cache floor)` : ''
  if (!b.mmapReads) {
    return (
      `${label}: table files read with pread, none mapped; table cache ${b.tableCache} tables × ${mb(b.tableFileSize)} MB ` +
      `(index and filter blocks ≈ ${mb(b.tableCache * b.tableFileSize * TABLE_METADATA_RATIO)} MB at most), ` +
      `block cache ${mb(b.blockCache)} MB${overcommit}`
    )
  }
  return (
    `${label}: table cache ${b.tableCache} tables × ${mb(b.tableFileSize)} MB = ${mb(b.mappedTables)} MB mapped at most, ` +
    `block cache ${mb(b.blockCache)} MB${overcommit}`
  )
}

/** Which classic-level binary the runs loaded and how it reads table files (every LevelDB run alike). */
function tableReadsNote(runs: Record<string, StateRunResult>): string {
  const seen = new Map<string, string[]>()
  for (const [name, r] of Object.entries(runs)) {
    if (!r.tableReads) continue
    const what = r.tableReads.mmap
      ? `table files mmapped (up to ${r.tableReads.mmapLimit}): ${r.tableReads.binary}`
      : `table files read with pread into the block cache: ${r.tableReads.binary}`
    seen.set(what, [...(seen.get(what) ?? []), name])
  }
  const parts = [...seen].map(([what, names]) => (seen.size === 1 ? what : `${what} (${names.join(', ')})`))
  return `LevelDB runs: ${parts.join('; ') || 'none'}.`
}

function log(message: string): void {
  console.error(`  state: ${message}`)
}
