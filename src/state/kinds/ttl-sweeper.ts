// The background TTL sweeper of one keyed state backend (Flink's incremental TTL cleanup, run in the
// background: LevelDB has no compaction filter). It walks the TTL'd states of the backend's key
// groups in slices of a bounded number of keys; each slice runs as one action on the owning task's
// mailbox, between records, so it never interleaves with user code. Expired values are invisible
// before they are swept (reads check TTL); the sweep only gives their space back.
//
//   start ─► wait(pass interval) ─► slice on mailbox ─► wait(slice pause) ─► slice … ─► pass done ─┐
//     ▲                                                                                              │
//     └──────────────────────────────────────────────────────────────────────────────────────────────┘
// The next wait is armed only after a slice ran, so a task that stopped draining its mailbox (ended,
// failed) stops its sweeper too, with at most one action queued.
import type { AbstractKeyedState, SweepCursor } from './abstract-keyed-state.ts'

export interface TtlSweeperOptions {
  /** Runs an action on the owning task between records (its mailbox). */
  schedule: (action: () => Promise<void>) => void
  /** Keys and entries looked at per slice (default 1000). */
  sliceSize?: number
  /** Share of wall time slices may take while a pass runs (default 0.05): sets the pause after each. */
  dutyCycle?: number
  /** Least pause between slices, ms (default 10). */
  minSlicePauseMs?: number
  /** Pause between passes, ms (default: the shortest TTL, within 1 s..60 s). */
  passIntervalMs?: number
}

export interface SliceResult {
  examined: number
  removed: number
  passDone: boolean
}

export class TtlSweeper {
  readonly stats = { passes: 0, slices: 0, examined: 0, removed: 0 }
  private stateIndex = 0
  private cursor: SweepCursor | undefined
  private timer: NodeJS.Timeout | undefined
  private isRunning = false

  constructor(
    private readonly states: () => Iterable<AbstractKeyedState>,
    private readonly keyGroups: { start: number; end: number },
    private readonly options: TtlSweeperOptions,
  ) {}

  start(): void {
    if (this.isRunning) return
    this.isRunning = true
    this.arm(this.passInterval())
  }

  stop(): void {
    this.isRunning = false
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
  }

  private ttlStates(): AbstractKeyedState[] {
    return [...this.states()].filter((s) => s.descriptor.ttl !== undefined)
  }

  private passInterval(): number {
    if (this.options.passIntervalMs !== undefined) return this.options.passIntervalMs
    const ttls = this.ttlStates().map((s) => s.descriptor.ttl!.ttl)
    return Math.min(60_000, Math.max(1_000, ...(ttls.length > 0 ? [Math.min(...ttls)] : [60_000])))
  }

  private arm(delay: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined
      if (this.isRunning) this.options.schedule(() => this.tick())
    }, delay)
    this.timer.unref()
  }

  private async tick(): Promise<void> {
    if (!this.isRunning) return
    const started = performance.now()
    const r = await this.sweepSlice()
    if (!this.isRunning) return
    const duty = this.options.dutyCycle ?? 0.05
    const spent = performance.now() - started
    this.arm(
      r.passDone ? this.passInterval() : Math.max(this.options.minSlicePauseMs ?? 10, (spent * (1 - duty)) / duty),
    )
  }

  /** One slice: at most `sliceSize` keys and entries looked at, resuming where the last one stopped. */
  async sweepSlice(): Promise<SliceResult> {
    const states = this.ttlStates()
    let budget = this.options.sliceSize ?? 1000
    const result: SliceResult = { examined: 0, removed: 0, passDone: false }
    while (budget > 0 && this.stateIndex < states.length) {
      const r = await states[this.stateIndex]!.sweepExpired(
        this.keyGroups.start,
        this.keyGroups.end,
        budget,
        this.cursor,
      )
      result.examined += r.examined
      result.removed += r.removed
      budget -= Math.max(1, r.examined)
      if (r.next !== undefined) {
        this.cursor = r.next
        break
      }
      this.stateIndex++
      this.cursor = undefined
    }
    this.stats.slices++
    this.stats.examined += result.examined
    this.stats.removed += result.removed
    if (this.stateIndex >= states.length) {
      result.passDone = true
      this.stateIndex = 0
      this.cursor = undefined
      this.stats.passes++
    }
    return result
  }

  /** Runs slices until a pass is complete (tests, tools); returns how many values it removed. */
  async sweepPass(): Promise<number> {
    let removed = 0
    for (;;) {
      const r = await this.sweepSlice()
      removed += r.removed
      if (r.passDone) return removed
    }
  }
}
