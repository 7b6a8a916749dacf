// Suite "engine": events/s of the keyed count job (fromGenerator → keyBy → reduce, heap backend)
// against a hand-written loop over the same events, each in a fresh process; then a CPU profile of a
// smaller run of the job, ranked by self time, to show where the engine's time goes.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runWorkload } from './child.ts'
import { type CpuProfile, mainThreadProfilePath, topSelfTime } from './cpu-profile.ts'
import { DISTINCT_KEYS, type EngineVariant } from './engine-job.ts'
import type { ThroughputResult } from './engine.workloads.ts'
import { scaled } from './scale.ts'
import type { BenchRow, Suite, SuiteReport } from './suite.ts'
import { formatNumber, markdownTable } from './table.ts'

const WORKLOADS = new URL('./engine.workloads.ts', import.meta.url)
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url))
const TARGET_RATIO = 0.25
const PROFILE_TOP = 10
/** A workload with less CPU than this share of its wall time was starved by other processes. */
const BUSY_CPU_SHARE = 0.8

/** Generous: a run slower than 20k events/s is broken, not slow. */
const timeoutFor = (events: number) => 60_000 + events / 20

export const engineSuite: Suite = {
  name: 'engine',
  title: 'The engine: keyed count, events/s',
  async run(): Promise<SuiteReport> {
    const events = scaled(10_000_000, 20_000)
    const profileEvents = scaled(1_000_000, 20_000)
    const timeoutMs = timeoutFor(events)
    log(`loop baseline, ${formatNumber(events)} events`)
    const loop = await runWorkload<ThroughputResult & { distinctKeys: number }>(
      WORKLOADS,
      'loop',
      { events },
      { timeoutMs },
    )

    const cases: { name: string; parallelism: number; variant: EngineVariant }[] = [
      { name: 'keyed count, reduce, p=1', parallelism: 1, variant: 'reduce' },
      { name: 'keyed count, reduce, p=2', parallelism: 2, variant: 'reduce' },
      { name: 'keyed count, asQueryableState reduce, p=1', parallelism: 1, variant: 'queryable' },
    ]
    const rows: BenchRow[] = []
    const notes: string[] = []
    const runs: Record<string, ThroughputResult> = {}
    for (const c of cases) {
      log(`${c.name}, ${formatNumber(events)} events`)
      const r = await runWorkload<ThroughputResult>(
        WORKLOADS,
        'job',
        { events, parallelism: c.parallelism, variant: c.variant },
        { timeoutMs },
      )
      runs[c.name] = r
      const problems: string[] = []
      if (r.reduceCalls === 0)
        notes.push(`${c.name}: reduce ran outside the job's main thread, so its work was not cross-checked.`)
      else if (r.reduceCalls !== loop.reduceCalls) {
        problems.push(
          `reduce ran ${r.reduceCalls} times, the loop ${loop.reduceCalls} times: the job did different work`,
        )
      }
      rows.push({
        name: c.name,
        unit: 'ev/s',
        livestate: r.eventsPerSecond,
        baseline: loop.eventsPerSecond,
        target: { op: '>=', value: TARGET_RATIO },
        problems,
      })
    }
    notes.push(
      `${formatNumber(events)} events over ${formatNumber(loop.distinctKeys)} distinct keys (of ${formatNumber(DISTINCT_KEYS)}); ` +
        'baseline: the same generate and reduce functions in a plain loop over a Map.',
      cpuNote(loop, runs),
    )
    const busy = [['loop', loop] as const, ...Object.entries(runs)].filter(
      ([, r]) => r.cpuMs / r.wallMs < BUSY_CPU_SHARE,
    )
    if (busy.length > 0) {
      notes.push(
        `Busy machine: ${busy.map(([n, r]) => `${n} got ${((100 * r.cpuMs) / r.wallMs).toFixed(0)}% of a core`).join(', ')}; ` +
          'the wall-clock ratios are distorted, trust the per-CPU-second ones.',
      )
    }

    log(`CPU profile of the p=1 job, ${formatNumber(profileEvents)} events`)
    const profile = await profileJob(profileEvents)
    return {
      rows,
      notes,
      sections: [
        { title: `Engine CPU profile: top ${PROFILE_TOP} functions by self time`, markdown: profile.markdown },
      ],
      details: { events, profileEvents, loop, runs, profile: profile.details },
    }
  },
}

/** Events per CPU-second (process CPU, GC threads included): less sensitive to other load than wall time. */
function cpuNote(loop: ThroughputResult, runs: Record<string, ThroughputResult>): string {
  const perCpu = (r: ThroughputResult) => (r.events * 1000) / r.cpuMs
  const rows = Object.entries(runs).map(
    ([n, r]) => `${n} ${formatNumber(perCpu(r))} (${(perCpu(r) / perCpu(loop)).toFixed(2)}×)`,
  )
  return `Per CPU-second: loop ${formatNumber(perCpu(loop))} ev/s; ${rows.join('; ')}.`
}

async function profileJob(events: number): Promise<{ markdown: string; details: unknown }> {
  const dir = mkdtempSync(join(tmpdir(), 'livestate-bench-prof-'))
  try {
    const run = await runWorkload<ThroughputResult>(
      WORKLOADS,
      'job',
      { events, parallelism: 1, variant: 'reduce', profileDir: dir },
      { timeoutMs: timeoutFor(events) * 2, nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir] },
    )
    const path = mainThreadProfilePath(dir)
    mkdirSync(RESULTS, { recursive: true })
    const saved = join(RESULTS, 'engine-job.cpuprofile')
    copyFileSync(path, saved)
    const top = topSelfTime(JSON.parse(readFileSync(path, 'utf8')) as CpuProfile, {
      fromUs: run.fromUs,
      toUs: run.toUs,
      sourceMaps: JSON.parse(readFileSync(join(dir, 'sourcemaps.json'), 'utf8')),
      root: ROOT,
      limit: PROFILE_TOP,
    })
    const table = markdownTable(
      ['#', 'self ms', 'self %', 'function', 'source'],
      top.entries.map((e, i) => [
        String(i + 1),
        e.selfMs.toFixed(0),
        e.selfPercent.toFixed(1),
        e.functionName,
        e.location || '(VM)',
      ]),
    )
    const markdown =
      `${table}\n\n${formatNumber(events)} events, ${formatNumber(run.eventsPerSecond)} ev/s under the profiler; ` +
      `${top.totalMs.toFixed(0)} ms of samples while the job ran. Full profile (open in Chrome DevTools): ` +
      `bench/results/engine-job.cpuprofile`
    return { markdown, details: { run, totalMs: top.totalMs, top: top.entries } }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function log(message: string): void {
  console.error(`  engine: ${message}`)
}
