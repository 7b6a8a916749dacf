// The checkpoint suite's pause analysis: which of the probe's gaps between records fell inside a
// checkpoint (the pause a checkpoint causes) and which did not (GC, I/O, load).
import type { Gap } from './checkpoint-job.ts'
import type { CheckpointRecord, ServeReport } from './checkpoint.workloads.ts'

export interface PauseAnalysis {
  /** Checkpoints that started and completed inside the window. */
  checkpoints: (CheckpointRecord & { probeGapMs: number; probeGapCpuMs: number })[]
  /** Longest gap that overlaps no checkpoint: the job's pauses from other causes (GC, I/O, load). */
  otherGapMs: number
  otherGapCpuMs: number
}

/** Matches the probe's gaps with the checkpoints that ran in [fromMs, toMs]. */
export function analysePauses(report: ServeReport, fromMs: number, toMs: number): PauseAnalysis {
  const windows = report.checkpoints.map((c) => ({ c, start: c.completedAtMs - c.durationMs, end: c.completedAtMs }))
  const overlaps = (g: Gap, w: { start: number; end: number }) => g.endMs - g.ms < w.end && g.endMs > w.start
  const inside = windows.filter((w) => w.start >= fromMs && w.end <= toMs)
  const checkpoints = inside.map((w) => {
    const longest = report.gaps
      .filter((g) => overlaps(g, w))
      .reduce<Gap | undefined>((m, g) => (m && m.ms >= g.ms ? m : g), undefined)
    return { ...w.c, probeGapMs: longest?.ms ?? 0, probeGapCpuMs: longest?.cpuMs ?? 0 }
  })
  const other = report.gaps
    .filter((g) => g.endMs >= fromMs && g.endMs <= toMs && !windows.some((w) => overlaps(g, w)))
    .reduce<Gap | undefined>((m, g) => (m && m.ms >= g.ms ? m : g), undefined)
  return { checkpoints, otherGapMs: other?.ms ?? 0, otherGapCpuMs: other?.cpuMs ?? 0 }
}
