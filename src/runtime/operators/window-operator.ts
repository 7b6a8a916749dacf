// WindowOperator (Flink's WindowOperator with EventTimeTrigger / ProcessingTimeTrigger and
// MergingWindowSet for sessions). Window contents live in keyed state under a window namespace, so
// in-flight windows are queryable. A window fires at end-1 (its maxTimestamp); with allowed lateness
// its state stays until end-1+lateness and each late element re-fires it; later elements are dropped
// and counted. Emits { key, window: { start, end }, value } per firing.
import type { KeySelector } from '../../api/functions.ts'
import {
  AggregatingStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
} from '../../api/state-descriptors.ts'
import type { OperatorSpec } from '../../api/transformation.ts'
import { assignWindows, type TimeWindow } from '../../api/windows.ts'
import type { AbstractKeyedState } from '../../state/kinds/abstract-keyed-state.ts'
import { queryWindowsInTable, type WindowSelector } from '../../state/window-query.ts'
import type {
  InternalAggregatingState,
  InternalReducingState,
  InternalValueState,
} from '../../state/kinds/value-state.ts'
import { parseWindowNamespace, VOID_NAMESPACE, windowNamespace } from '../../state/namespace.ts'
import type { OperatorContext } from '../stream-operator.ts'
import type { InternalTimer } from '../timer-service.ts'
import { AbstractKeyedOperator } from './abstract-stream-operator.ts'

type WindowSpec = Extract<OperatorSpec, { kind: 'window' }>

/** Flink's TimeWindow.intersects: windows that overlap or touch belong to one session. */
function intersects(a: TimeWindow, b: TimeWindow): boolean {
  return a.start <= b.end && a.end >= b.start
}

/** Adapts aggregate and reduce window functions to one accumulator interface. */
interface WindowContents {
  state: AbstractKeyedState
  add(value: unknown): void
  result(): unknown
  /** Merges the contents of `from` namespaces into the current namespace (sessions). */
  mergeFrom(namespaces: string[]): void
}

export class WindowOperator extends AbstractKeyedOperator {
  private contents!: WindowContents
  /** Sessions: the merged windows of the current key, kept in keyed state. */
  private sessions: InternalValueState<TimeWindow[]> | undefined
  private readonly eventTime: boolean
  private readonly stateName: string

  constructor(
    ctx: OperatorContext,
    private readonly spec: WindowSpec,
    keySelector: KeySelector<any, any>,
  ) {
    super(ctx, [keySelector])
    this.eventTime = spec.assigner.eventTime
    this.stateName = spec.queryable ?? '_window-contents'
  }

  protected override openKeyed(): void {
    const b = this.keyedStateBackend
    const fn = this.spec.fn
    if (fn.type === 'aggregate') {
      const s = b.getOrCreateState<InternalAggregatingState<unknown, unknown, unknown>>(
        new AggregatingStateDescriptor(this.stateName, fn.aggregate),
      )
      this.contents = {
        state: s,
        add: (v) => s.add(v),
        result: () => s.get(),
        mergeFrom: (namespaces) => {
          let acc = s.getAccumulator()
          const target = b.currentNamespace()
          for (const ns of namespaces) {
            b.setCurrentNamespace(ns)
            const other = s.getAccumulator()
            if (other !== undefined) acc = acc === undefined ? other : fn.aggregate.merge(acc, other)
            s.clear()
          }
          b.setCurrentNamespace(target)
          if (acc !== undefined) s.setAccumulator(acc)
        },
      }
    } else {
      const s = b.getOrCreateState<InternalReducingState<unknown>>(
        new ReducingStateDescriptor(this.stateName, fn.reduce),
      )
      this.contents = {
        state: s,
        add: (v) => s.add(v),
        result: () => s.get(),
        mergeFrom: (namespaces) => {
          let acc = s.get()
          const target = b.currentNamespace()
          for (const ns of namespaces) {
            b.setCurrentNamespace(ns)
            const other = s.get()
            if (other !== undefined) acc = acc === undefined ? other : fn.reduce(acc, other)
            s.clear()
          }
          b.setCurrentNamespace(target)
          if (acc !== undefined) s.set(acc)
        },
      }
    }
    if (this.spec.assigner.type === 'session') {
      this.sessions = b.getOrCreateState(new ValueStateDescriptor<TimeWindow[]>('_session-windows'))
    }
    if (this.spec.queryable !== undefined) {
      this.ctx.registerQueryableState({
        name: this.spec.queryable,
        kind: 'window',
        state: this.contents.state,
        backend: b,
        queryWindows: (prefix, which) => this.queryWindows(prefix, which),
      })
    }
  }

  private cleanupTime(w: TimeWindow): number {
    return this.eventTime ? w.end - 1 + this.spec.allowedLateness : w.end - 1
  }

  private isLate(w: TimeWindow): boolean {
    return this.eventTime && this.cleanupTime(w) <= this.timers.currentWatermark()
  }

  protected processKeyed(value: unknown, timestamp: number | undefined): void {
    let ts: number
    if (this.eventTime) {
      if (timestamp === undefined) {
        throw new TypeError(
          `operator '${this.ctx.operatorName}' uses event-time windows but the element has no timestamp: call assignTimestamps(...) before keyBy`,
        )
      }
      ts = timestamp
    } else {
      ts = Date.now()
    }
    let windows = assignWindows(this.spec.assigner, ts)
    if (this.sessions) windows = [this.mergeSession(windows[0]!)]
    let accepted = false
    const b = this.keyedStateBackend
    for (const w of windows) {
      if (this.isLate(w)) continue
      accepted = true
      b.setCurrentNamespace(windowNamespace(w))
      this.contents.add(value)
      const fireAt = w.end - 1
      if (this.eventTime) {
        if (fireAt <= this.timers.currentWatermark()) this.emitWindow(w)
        else this.timers.registerEventTimeTimer(b.currentNamespace(), fireAt)
        const cleanup = this.cleanupTime(w)
        if (cleanup !== fireAt) this.timers.registerEventTimeTimer(b.currentNamespace(), cleanup)
      } else {
        this.timers.registerProcessingTimeTimer(b.currentNamespace(), fireAt)
      }
    }
    b.setCurrentNamespace(VOID_NAMESPACE)
    if (!accepted) this.ctx.metrics.lateRecordsDropped++
  }

  /**
   * Adds a proto session window to the key's window set, merging the windows it intersects or touches
   * (Flink's TimeWindow.intersects: start <= other.end && end >= other.start); returns the covering
   * window. A late covering window leaves the set unchanged (Flink's MergingWindowSet.retireWindow):
   * otherwise the dropped element's window would linger without a cleanup timer and widen later sessions.
   */
  private mergeSession(proto: TimeWindow): TimeWindow {
    const b = this.keyedStateBackend
    b.setCurrentNamespace(VOID_NAMESPACE)
    const current = this.sessions!.value() ?? []
    let merged = proto
    const overlapping: TimeWindow[] = []
    const rest: TimeWindow[] = []
    for (const w of current) {
      if (intersects(w, merged)) overlapping.push(w)
      else rest.push(w)
    }
    for (const w of overlapping) merged = { start: Math.min(merged.start, w.start), end: Math.max(merged.end, w.end) }
    // A proto window can bridge two sessions: merge until stable.
    for (let changed = true; changed; ) {
      changed = false
      for (let i = rest.length - 1; i >= 0; i--) {
        const w = rest[i]!
        if (intersects(w, merged)) {
          overlapping.push(w)
          rest.splice(i, 1)
          merged = { start: Math.min(merged.start, w.start), end: Math.max(merged.end, w.end) }
          changed = true
        }
      }
    }
    if (this.isLate(merged)) return merged
    const sources = overlapping.filter((w) => w.start !== merged.start || w.end !== merged.end)
    if (sources.length > 0) {
      const target = windowNamespace(merged)
      for (const w of sources) {
        const ns = windowNamespace(w)
        if (this.eventTime) {
          this.timers.deleteEventTimeTimer(ns, w.end - 1)
          this.timers.deleteEventTimeTimer(ns, this.cleanupTime(w))
        } else this.timers.deleteProcessingTimeTimer(ns, w.end - 1)
      }
      b.setCurrentNamespace(target)
      this.contents.mergeFrom(sources.map(windowNamespace))
      b.setCurrentNamespace(VOID_NAMESPACE)
    }
    this.sessions!.update([...rest, merged].sort((a, c) => a.start - c.start))
    return merged
  }

  private emitWindow(w: TimeWindow): void {
    const value = this.contents.result()
    if (value === undefined) return
    this.ctx.output.collect(
      { key: this.keyedStateBackend.getCurrentKey(), window: { start: w.start, end: w.end }, value },
      w.end - 1,
    )
  }

  private onTimer(timer: InternalTimer): void {
    const w = parseWindowNamespace(timer.namespace)
    const fireAt = w.end - 1
    if (timer.timestamp === fireAt) this.emitWindow(w)
    if (timer.timestamp === this.cleanupTime(w)) this.clearWindow(w)
  }

  private clearWindow(w: TimeWindow): void {
    this.contents.state.clear()
    if (this.sessions) {
      const b = this.keyedStateBackend
      b.setCurrentNamespace(VOID_NAMESPACE)
      const left = (this.sessions.value() ?? []).filter((x) => x.start !== w.start || x.end !== w.end)
      if (left.length === 0) this.sessions.clear()
      else this.sessions.update(left)
    }
  }

  protected override onEventTime(timer: InternalTimer): void {
    if (this.eventTime) this.onTimer(timer)
  }

  protected override onProcessingTime(timer: InternalTimer): void {
    if (!this.eventTime) this.onTimer(timer)
  }

  /** In-flight windows of one key: the latest (largest start), all, or the one starting at `which`. */
  private async queryWindows(prefix: string, which: WindowSelector): Promise<unknown> {
    const table = this.keyedStateBackend.tableOf(this.stateName)
    return table ? queryWindowsInTable(table, this.contents.state, prefix, which) : undefined
  }
}
