// How much garbage V8 may keep, for a process whose state lives under memory budgets. V8 lets the
// old generation grow 1.1–4× past what survived the last full GC before it collects again
// (heap-controller.cc, from GC speed against allocation speed), and a job that updates state
// allocates fast: values the object cache replaces or evicts die in the old generation and wait
// there. With 10M keys at --memory 64mb the old generation reached 72–83 MB while 11–15 MB of it
// was live, RSS 20% over budget + baseline.
//
// So the garbage is bounded in bytes, by the budgets: each open LevelStateBackend registers its
// object cache share as slack, and after every full GC the growing factor becomes
// 1 + slack / live (V8's --heap-growing-percent, within MIN_PERCENT..MAX_PERCENT): the old
// generation may hold about as much garbage as the object caches may hold values. A fixed factor
// does not fit every budget: 1.25 held 64mb runs to a 26 MB old generation, but with 256mb and a
// 100–150 MB live heap it tripled V8's concurrent marking and cost a checkpointing job 12% of its
// throughput.
//
// V8 reads the flag whenever it sets the next limit, so setting it at run time takes effect from
// the next full GC; Node keeps V8's flags writable after start for this. A `--heap-growing-percent`
// given to node is the user's choice and is left alone.
import { constants, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks'
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8'

/** The factor never goes below 1.1 (V8's own floor) … */
export const MIN_PERCENT = 10
/**
 * … nor above 2. A fixed factor replaces V8's adaptive one, which is often lower than its ceiling
 * of 4; let up to 4, the fan-out bench's server (small state, slack over live near 3) grew its RSS
 * 1.19× over 60 s; at most 2, it stayed flat (1.00×).
 */
export const MAX_PERCENT = 100
const FLAG = '--heap-growing-percent'

/** Slack bytes registered by open backends. */
const slacks = new Set<{ bytes: number }>()
let observer: PerformanceObserver | undefined
let applied: number | undefined

/** Whether node was started with its own heap growing factor. */
function userChose(): boolean {
  return process.execArgv.some((a) => a === FLAG || a.startsWith(`${FLAG}=`) || a.startsWith('--heap_growing_percent'))
}

/** Bytes in V8's old generation (every space but the young one). */
function oldGenerationUsed(): number {
  let used = 0
  for (const s of getHeapSpaceStatistics()) if (!s.space_name.startsWith('new_')) used += s.space_used_size
  return used
}

/** The growing percent for `slack` bytes of garbage over `live` bytes. */
export function growingPercent(slack: number, live: number): number {
  const p = Math.round((100 * slack) / Math.max(1, live))
  return Math.min(MAX_PERCENT, Math.max(MIN_PERCENT, p))
}

function adjust(): void {
  let slack = 0
  for (const s of slacks) slack += s.bytes
  const percent = growingPercent(slack, oldGenerationUsed())
  if (percent === applied) return
  setFlagsFromString(`${FLAG}=${percent}`)
  applied = percent
}

function onGc(entries: PerformanceEntry[]): void {
  for (const e of entries) {
    if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
      adjust()
      return
    }
  }
}

/**
 * Lets V8's old generation keep about `slackBytes` of garbage (on top of what other registrations
 * allow) until the returned function is called. Returns undefined, doing nothing, when node was
 * given --heap-growing-percent.
 */
export function limitHeapGrowth(slackBytes: number): (() => void) | undefined {
  if (!Number.isFinite(slackBytes) || slackBytes <= 0) throw new TypeError(`heap slack: ${slackBytes}`)
  if (userChose()) return undefined
  const slack = { bytes: slackBytes }
  slacks.add(slack)
  if (!observer) {
    observer = new PerformanceObserver((list) => onGc(list.getEntries()))
    observer.observe({ entryTypes: ['gc'] })
  }
  adjust()
  return () => {
    if (!slacks.delete(slack)) return
    if (slacks.size > 0) return adjust()
    observer?.disconnect()
    observer = undefined
    setFlagsFromString(`${FLAG}=0`) // 0: V8's adaptive factor again
    applied = undefined
  }
}

/** The growing factor in force, in percent past the live heap; undefined while V8 picks its own. */
export function heapGrowingPercent(): number | undefined {
  return applied
}
