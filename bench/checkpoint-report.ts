// The checkpoint suite's table and notes, from what its runs measured (checkpoint.bench.ts).
import type { IngestStats } from './checkpoint-load.ts'
import { analysePauses } from './checkpoint-pauses.ts'
import {
  BUSY_CPU_SHARE,
  DEFAULT_INTERVAL_MS,
  MEMORY,
  PAUSE_BUDGET_MS,
  RESTORE_BUDGET_MS,
  SIZE_RATIO,
  STEADY_CHECKPOINTS,
  STEADY_TICK_MS,
  TAIL_EVENTS,
  THROUGHPUT_BATCH,
  THROUGHPUT_IN_FLIGHT,
  THROUGHPUT_RATIO,
} from './checkpoint-settings.ts'
import type { CheckpointRecord, ServeReport } from './checkpoint.workloads.ts'
import type { RestoreRun, runBuild } from './checkpoint.bench.ts'
import type { BenchRow, SuiteReport } from './suite.ts'
import { formatNumber } from './table.ts'

const max = (xs: number[]) => xs.reduce((m, x) => Math.max(m, x), 0)
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? Number.NaN : s[Math.floor((s.length - 1) / 2)]!
}

function ingestProblems(s: IngestStats, what: string): string[] {
  return s.failures.length > 0 ? [`${what}: ${s.failures.length}+ batches failed (${s.failures[0]})`] : []
}

export function report(r: {
  keys: number
  steadySeconds: number
  throughputSeconds: number
  build: Awaited<ReturnType<typeof runBuild>>
  final: CheckpointRecord
  live: { keys: number; bytes: number }
  disk: { ms: number }
  /** Restore + ingest runs, checkpoints off and every 1 s, in pairs (the first pair's order: off first). */
  pairs: Record<'off' | 'fast', RestoreRun>[]
}): SuiteReport {
  const { build, pairs } = r
  /** The first pair: the notes' detailed figures (and the CPU profiles) are of its runs. */
  const runs = pairs[0]!
  const all = pairs.flatMap((p) => [
    { name: 'off' as const, run: p.off },
    { name: 'fast' as const, run: p.fast },
  ])
  // Pooled over the pairs: events processed over the seconds it took, per side.
  const pooled = (n: 'off' | 'fast') =>
    pairs.reduce((e, p) => e + p[n].expected, 0) / pairs.reduce((t, p) => t + p[n].processedSeconds, 0)
  const pooledPerCpu = (n: 'off' | 'fast') =>
    pairs.reduce((e, p) => e + p[n].expected, 0) / pairs.reduce((t, p) => t + p[n].cpuSeconds, 0)
  const marks = build.report.marks
  const steady = analysePauses(build.report, marks.steady!.atMs, marks['steady-end']!.atMs)
  const fast = analysePauses(runs.fast.report, runs.fast.report.marks.load!.atMs, runs.fast.report.nowMs)
  const cps = steady.checkpoints
  const steadyProblems = [...ingestProblems(build.load, 'load'), ...ingestProblems(build.steady, 'steady updates')]
  if (cps.length === 0) steadyProblems.push('no checkpoint started and completed during the steady phase')
  const probeProblems = [...steadyProblems]
  if (build.report.records === 0) probeProblems.push('the probe saw no record (did the job move to another thread?)')
  // Every steady-phase checkpoint started after all keys were loaded and processed: each holds them all.
  if (r.live.keys < r.keys) steadyProblems.push(`the final checkpoint holds ${r.live.keys} keys, fewer than ${r.keys}`)
  const restoreProblems = all.flatMap(({ name, run }) =>
    run.ready.restoredFrom === null ? [`${name} run: started without restoring a checkpoint`] : [],
  )
  const offsetProblems = all
    .filter(({ run }) => run.offsetsReused)
    .map(
      ({ name, run }) =>
        `${name} run: after the restart the ingest log numbered new events from ${run.load.maxPosition - run.load.accepted}, ` +
        `below the restored source position ${run.ready.restoredPosition}: the job skips them (events lost)`,
    )
  const throughputProblems = [
    ...all.flatMap(({ name, run }) =>
      ingestProblems(run.load, name === 'off' ? 'checkpoints off' : 'checkpoint every 1 s'),
    ),
    ...restoreProblems,
    ...offsetProblems,
  ]
  const fastCheckpoints = runs.fast.report.checkpoints.length
  const keysLabel = formatNumber(r.keys)
  const rows: BenchRow[] = [
    {
      name: `pause per checkpoint, ${keysLabel} keys: coordinator maxSyncPauseMs (baseline = ${PAUSE_BUDGET_MS} ms budget)`,
      unit: 'ms',
      livestate: max(cps.map((c) => c.maxSyncPauseMs)),
      baseline: PAUSE_BUDGET_MS,
      target: { op: '<=', value: 1 },
      problems: steadyProblems,
    },
    {
      name: `pause per checkpoint, ${keysLabel} keys: longest gap between records, probe (baseline = ${PAUSE_BUDGET_MS} ms budget)`,
      unit: 'ms',
      livestate: max(cps.map((c) => c.probeGapMs)),
      baseline: PAUSE_BUDGET_MS,
      target: { op: '<=', value: 1 },
      problems: probeProblems,
    },
    {
      name: `checkpoint duration, ${keysLabel} keys, median (baseline = the ${DEFAULT_INTERVAL_MS / 1000} s default interval)`,
      unit: 'ms',
      livestate: median(cps.map((c) => c.durationMs)),
      baseline: DEFAULT_INTERVAL_MS,
      target: { op: '<=', value: 1 },
      problems: steadyProblems,
    },
    {
      name: `checkpoint size on disk, ${keysLabel} keys: every file the last one names, its chain included (baseline = its live keys and msgpack values alone)`,
      unit: 'MiB',
      livestate: r.final.sizeBytes / 2 ** 20,
      baseline: r.live.bytes / 2 ** 20,
      target: { op: '<=', value: SIZE_RATIO },
      problems: r.live.keys < r.keys ? [`the final checkpoint holds ${r.live.keys} keys, fewer than ${r.keys}`] : [],
    },
    {
      name: `restore ${keysLabel} keys: process start → RUNNING, state registered, best of ${all.length} (baseline = ${RESTORE_BUDGET_MS / 1000} s budget)`,
      unit: 'ms',
      livestate: Math.min(...all.map(({ run }) => run.ready.restoreMs)),
      baseline: RESTORE_BUDGET_MS,
      target: { op: '<=', value: 1 },
      problems: restoreProblems,
    },
    {
      name: `HTTP ingest, ingested and processed: checkpoint every 1 s (baseline = every 1 h, i.e. off), ${pairs.length} runs each, pooled`,
      unit: 'ev/s',
      livestate: pooled('fast'),
      baseline: pooled('off'),
      target: { op: '>=', value: THROUGHPUT_RATIO },
      problems: throughputProblems,
    },
  ]
  const fmt = (ms: number) => `${formatNumber(ms)} ms`
  const perCheckpoint = cps
    .map(
      (c) =>
        `#${c.checkpointId} ${c.incremental ? 'delta' : 'full'} of ${formatNumber(c.entries)} entries, ${formatNumber(c.writtenBytes / 2 ** 20)} MiB written: ` +
        `${fmt(c.durationMs)} / sync ${fmt(c.maxSyncPauseMs)} / probe ${fmt(c.probeGapMs)} (CPU ${fmt(c.probeGapCpuMs)})`,
    )
    .join('; ')
  const notes = [
    `Build: ${keysLabel} distinct keys POSTed in ${formatNumber(build.load.seconds)} s (${formatNumber(build.load.accepted / build.load.seconds)} ev/s accepted; ` +
      `job caught up ${formatNumber(build.loadMs / 1000)} s after it was ready), then ${formatNumber(build.steady.accepted / build.steady.seconds)} updates/s ` +
      `of random keys for ${formatNumber(build.steady.seconds)} s (at least ${r.steadySeconds} s and until ${STEADY_CHECKPOINTS} checkpoints ran inside it), ` +
      `checkpoint every ${DEFAULT_INTERVAL_MS / 1000} s, --memory ${MEMORY}.`,
    `Steady-phase checkpoints (kind, what it wrote: duration / coordinator sync pause / longest probe gap): ${perCheckpoint || 'none'}. ` +
      `Longest probe gap outside any checkpoint (GC, ingest batching every ${STEADY_TICK_MS} ms, other load): ${fmt(steady.otherGapMs)} (CPU ${fmt(steady.otherGapCpuMs)}).`,
    `Last checkpoint of the build (#${r.final.checkpointId}, ${r.final.incremental ? 'incremental' : 'full'}; the restores resumed from #${runs.off.ready.restoredFrom} and replayed the ${TAIL_EVENTS} events after it): ` +
      `${formatNumber(r.live.keys)} live keys (${formatNumber(r.live.bytes / 2 ** 20)} MiB of keys and values), ${formatNumber(r.final.sizeBytes / 2 ** 20)} MiB of files with its chain, ` +
      `${formatNumber(r.final.writtenBytes / 2 ** 20)} MiB written by it in ${fmt(r.final.durationMs)}; write + fsync of the whole size to one file: ${fmt(r.disk.ms)}. ` +
      `Chains compacted off the task thread during the build: ${build.report.compactions}.`,
    `Restore: process start → serving ${all.map(({ run }) => fmt(run.ready.restoreMs)).join(', ')} ` +
      `(first pair: startEmbedded() ${fmt(runs.off.ready.startEmbeddedMs)} and ${fmt(runs.fast.ready.startEmbeddedMs)}; the rest is Node + tsx start-up), ` +
      `using ${fmt(runs.off.ready.restoreCpuMs)} and ${fmt(runs.fast.ready.restoreCpuMs)} of process CPU (all threads, LevelDB's included).`,
    `Ingest: ${THROUGHPUT_IN_FLIGHT} × ${formatNumber(THROUGHPUT_BATCH)}-event NDJSON POSTs in flight for ${r.throughputSeconds} s per run; the figure counts until the job ` +
      `has processed every accepted event. ${pairs.length} pairs of runs, the order alternating (off first in the first pair), each on a fresh copy of the build's state: ` +
      `1 s vs off per pair ${pairs.map((p) => `${formatNumber(p.fast.eventsPerSecond)} / ${formatNumber(p.off.eventsPerSecond)} = ${(p.fast.eventsPerSecond / p.off.eventsPerSecond).toFixed(2)}×`).join(', ')}; ` +
      `pooled per server CPU-second ${(pooledPerCpu('fast') / pooledPerCpu('off')).toFixed(2)}× (${formatNumber(pooledPerCpu('fast'))} vs ${formatNumber(pooledPerCpu('off'))} ev/s). ` +
      `First pair: accepted (202) rate: off ${formatNumber(runs.off.load.accepted / runs.off.load.seconds)} ev/s, ` +
      `1 s ${formatNumber(runs.fast.load.accepted / runs.fast.load.seconds)} ev/s; 429 retries ${runs.off.load.rateLimited} / ${runs.fast.load.rateLimited}. ` +
      `Per server CPU-second: off ${formatNumber(runs.off.eventsPerCpuSecond)} ev/s, 1 s ${formatNumber(runs.fast.eventsPerCpuSecond)} ev/s ` +
      `(${(runs.fast.eventsPerCpuSecond / runs.off.eventsPerCpuSecond).toFixed(2)}×: what checkpointing costs in work, whatever else runs on the machine). ` +
      `Server CPU per 1,000 events processed, off / 1 s: ${threadTable(runs.off, runs.fast)}.`,
    `Under that full load with a checkpoint every second (one at a time, the next triggered on the first tick after one completes), ` +
      `${fastCheckpoints} checkpoints completed in ${formatNumber(runs.fast.processedSeconds)} s (${runs.fast.report.checkpoints.filter((c) => c.incremental).length} incremental, ` +
      `median ${formatNumber(median(runs.fast.report.checkpoints.map((c) => c.writtenBytes / 2 ** 20)))} MiB written; ${runs.fast.report.compactions} chains compacted): duration median ${fmt(median(runs.fast.report.checkpoints.map((c) => c.durationMs)))}, ` +
      `sync pause max ${fmt(max(runs.fast.report.checkpoints.map((c) => c.maxSyncPauseMs)))}, probe gap max ${fmt(max(fast.checkpoints.map((c) => c.probeGapMs)))} ` +
      `(outside completed checkpoints, e.g. in one still running at the end: ${fmt(fast.otherGapMs)}).`,
  ]
  const share = (rep: ServeReport) => rep.cpuMs / (rep.nowMs - rep.cpuSinceMs)
  const busy = all.filter(({ run }) => share(run.report) < BUSY_CPU_SHARE)
  if (busy.length > 0) {
    notes.push(
      `Busy machine: while ingest saturated it, the server got ${busy.map(({ name, run }) => `${formatNumber(100 * share(run.report))}% of a core (${name === 'off' ? 'checkpoints off' : '1 s'})`).join(', ')}; ` +
        'other processes took the rest, so the ms figures are inflated and the ingest ratio is noisy.',
    )
  }
  return {
    rows,
    notes,
    sections: [],
    details: {
      keys: r.keys,
      steadySeconds: r.steadySeconds,
      throughputSeconds: r.throughputSeconds,
      build: { ...build, report: { ...build.report, gaps: build.report.gaps.length } },
      steady,
      final: r.final,
      disk: r.disk,
      pairs: pairs.map((p) =>
        Object.fromEntries(
          Object.entries(p).map(([n, run]) => [n, { ...run, report: { ...run.report, gaps: run.report.gaps.length } }]),
        ),
      ),
      fast,
    },
  }
}

/** "threads a / b ms" per 1,000 events processed, main thread first. */
function threadTable(
  off: { report: ServeReport; expected: number },
  fast: { report: ServeReport; expected: number },
): string {
  const per = (r: { report: ServeReport; expected: number }, n: string) =>
    formatNumber(((r.report.threadCpuMs[n] ?? 0) * 1000) / Math.max(1, r.expected))
  const names = [...new Set([...Object.keys(off.report.threadCpuMs), ...Object.keys(fast.report.threadCpuMs)])].sort()
  return names.map((n) => `${n} ${per(off, n)} / ${per(fast, n)} ms`).join(', ') || 'not measured (no /proc)'
}
