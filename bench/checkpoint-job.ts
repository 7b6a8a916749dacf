// The checkpoint suite's job: events POSTed to the HTTP source `events` are summed per key into the
// queryable reducing state `totals` (LevelDB), and a probe after the state operator notes when each
// record came out of it, so the suite can see how long processing stopped (the longest gap between
// two consecutive records) independently of the coordinator's own `maxSyncPauseMs`.
//
// The probe's figures live in this module: the MiniCluster runs its TaskManagers on the workload's
// main thread today. If they move to worker threads, the probe sees nothing (`probe.records` stays
// 0) and the suite reports that instead of a figure.
import { defineJob } from '../src/api/job.ts'

export const CHECKPOINT_JOB = 'bench-checkpoint'
export const CHECKPOINT_SOURCE = 'events'
export const CHECKPOINT_STATE = 'totals'

export interface CountEvent {
  key: string
  n: number
}

/** Key `i` of the state: fixed width, so every key costs the same bytes. */
export function stateKey(i: number): string {
  return `k-${String(i).padStart(7, '0')}`
}

export const sum = (a: CountEvent, b: CountEvent): CountEvent => ({ key: a.key, n: a.n + b.n })

/** Gaps longer than this are kept with their time, so they can be matched with checkpoints. */
const KEEP_GAP_MS = 5
const MAX_KEPT_GAPS = 10_000

/** Process CPU is read at most this often (a syscall), so a gap's CPU figure is off by up to this. */
const CPU_SAMPLE_MS = 1

export interface Gap {
  /** performance.now() when the record after the gap came out (the gap is [endMs − ms, endMs]). */
  endMs: number
  ms: number
  /**
   * Process CPU time (all threads: GC helpers and LevelDB's too) spent during the gap. Far below `ms`
   * means the process was waiting or descheduled by other processes, not working.
   */
  cpuMs: number
}

function cpuNowMs(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

class Probe {
  records = 0
  last = -1
  gaps: Gap[] = []
  droppedGaps = 0
  private cpuAt = -1
  private cpu = 0

  observe(): void {
    const now = performance.now()
    this.records++
    if (this.last >= 0) {
      const gap = now - this.last
      if (gap > KEEP_GAP_MS) {
        const cpu = cpuNowMs()
        if (this.gaps.length < MAX_KEPT_GAPS) this.gaps.push({ endMs: now, ms: gap, cpuMs: cpu - this.cpu })
        else this.droppedGaps++
        this.cpu = cpu
        this.cpuAt = now
      }
    }
    // The last sample is at most CPU_SAMPLE_MS before this record, so it marks the start of a gap after it.
    if (now - this.cpuAt >= CPU_SAMPLE_MS) {
      this.cpu = cpuNowMs()
      this.cpuAt = now
    }
    this.last = now
  }

  /** Forget the gaps so far; the next record starts a fresh run (no gap across the reset). */
  reset(): void {
    this.gaps = []
    this.droppedGaps = 0
    this.last = -1
  }
}

export const probe = new Probe()

export const checkpointJob = defineJob({ name: CHECKPOINT_JOB, parallelism: 1 }, (env) => {
  const totals = env
    .fromHttp<CountEvent>(CHECKPOINT_SOURCE)
    .keyBy((e) => e.key)
    .asQueryableState(CHECKPOINT_STATE, { reduce: sum })
  totals.map((e) => {
    probe.observe()
    return e
  })
  return { totals }
})
