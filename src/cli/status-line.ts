// The live one-line status of `run` on a TTY: job status, events/s, watermark, keys in state.
import type { JobMaster } from '../cluster/job-master.ts'
import type { MiniCluster } from '../cluster/mini-cluster.ts'

export interface StatusSample {
  recordsIn: number
  watermark: number
  stateEntries: number
}

export function sampleJob(cluster: MiniCluster, master: JobMaster): StatusSample {
  let recordsIn = 0
  let watermark = Number.POSITIVE_INFINITY
  let stateEntries = 0
  for (const tm of cluster.taskManagers) {
    for (const task of tm.tasksOf(master.jobId)) {
      if (task.options.reader) recordsIn += task.metrics.recordsIn
      if (task.metrics.currentWatermark > Number.NEGATIVE_INFINITY)
        watermark = Math.min(watermark, task.metrics.currentWatermark)
      for (const { operator } of task.chain?.operators ?? []) {
        const b = operator.keyedStateBackend
        if (!b) continue
        for (const name of b.states.keys()) stateEntries += b.tableOf(name)?.size() ?? 0
      }
    }
  }
  return { recordsIn, watermark, stateEntries }
}

export function formatStatus(master: JobMaster, now: StatusSample, rate: number): string {
  const wm = Number.isFinite(now.watermark) ? new Date(now.watermark).toISOString().slice(11, 19) : '-'
  return `${master.name} ${master.status}  ${Math.round(rate).toLocaleString('en-US')} events/s  watermark ${wm}  ${now.stateEntries.toLocaleString('en-US')} state entries`
}

/** Redraws the status line every second on a TTY; returns a stop function. */
export function startStatusLine(
  cluster: MiniCluster,
  master: JobMaster,
  stream: NodeJS.WriteStream = process.stderr,
): () => void {
  if (!stream.isTTY) return () => {}
  let last = sampleJob(cluster, master)
  let lastAt = Date.now()
  const timer = setInterval(() => {
    const now = sampleJob(cluster, master)
    const t = Date.now()
    const rate = ((now.recordsIn - last.recordsIn) * 1000) / Math.max(1, t - lastAt)
    last = now
    lastAt = t
    stream.write(`\r\x1b[2K${formatStatus(master, now, Math.max(0, rate))}`)
  }, 1000)
  timer.unref()
  return () => {
    clearInterval(timer)
    stream.write('\r\x1b[2K')
  }
}
