// Independent oracles for event-time windows, written from Flink's rules with plain loops:
// - watermarks are BoundedOutOfOrderness emitted after every element that raises the maximum:
//   watermark = maxTimestamp - maxOutOfOrderness - 1; the end of input is watermark +∞;
// - a window [start, end) fires when the watermark reaches end-1 (EventTimeTrigger); an element whose
//   window is already past end-1 but within allowed lateness re-fires it at once with all contents;
// - a window is late when end-1 + allowedLateness <= watermark; an element all of whose windows are
//   late is dropped and counted;
// - session windows merge when they intersect or touch (TimeWindow.intersects: start <= other.end &&
//   end >= other.start), and a merged window that is late is retired without the element.

export interface TimedEvent<K> {
  key: K
  ts: number
  value: number
}

export interface Window {
  start: number
  end: number
}

export interface Firing<K, V> {
  key: K
  window: Window
  value: V
}

export interface WindowOracleResult<K, V> {
  fired: Firing<K, V>[]
  dropped: number
  /** Elements accepted into a window whose end-1 was already behind the watermark (late firings). */
  lateFirings: number
}

export interface WindowOracleSpec<K, V> {
  windowsOf: (ts: number) => Window[]
  maxOutOfOrderness: number
  allowedLateness: number
  result: (values: readonly number[], key: K) => V
}

/** Tumbling windows of `size`, offset 0 (Flink's TimeWindow.getWindowStartWithOffset). */
export function tumbling(size: number): (ts: number) => Window[] {
  return (ts) => {
    const start = ts - (((ts % size) + size) % size)
    return [{ start, end: start + size }]
  }
}

/** Sliding windows of `size` every `slide`, offset 0: every window [s, s+size) with s ≡ 0 (mod slide) containing ts. */
export function sliding(size: number, slide: number): (ts: number) => Window[] {
  return (ts) => {
    const out: Window[] = []
    const lastStart = ts - (((ts % slide) + slide) % slide)
    for (let s = lastStart; s > ts - size; s -= slide) out.push({ start: s, end: s + size })
    return out
  }
}

interface LiveWindow<K> {
  key: K
  window: Window
  values: number[]
  /** An end-1 timer is pending (the window was created before the watermark reached end-1). */
  timerPending: boolean
}

export function eventTimeWindowOracle<K, V>(
  events: readonly TimedEvent<K>[],
  spec: WindowOracleSpec<K, V>,
): WindowOracleResult<K, V> {
  const fired: Firing<K, V>[] = []
  const live = new Map<string, LiveWindow<K>>()
  let watermark = Number.NEGATIVE_INFINITY
  let maxTs = Number.NEGATIVE_INFINITY
  let dropped = 0
  let lateFirings = 0
  const emit = (w: LiveWindow<K>) =>
    fired.push({ key: w.key, window: { ...w.window }, value: spec.result(w.values, w.key) })

  const advance = (to: number) => {
    watermark = to
    const due = [...live.entries()].sort(([, a], [, b]) => a.window.end - b.window.end)
    for (const [id, w] of due) {
      if (w.timerPending && w.window.end - 1 <= watermark) {
        w.timerPending = false
        emit(w)
      }
      if (w.window.end - 1 + spec.allowedLateness <= watermark) live.delete(id)
    }
  }

  for (const e of events) {
    let accepted = false
    for (const window of spec.windowsOf(e.ts)) {
      if (window.end - 1 + spec.allowedLateness <= watermark) continue
      accepted = true
      const id = `${JSON.stringify(e.key)}|${window.start}|${window.end}`
      let w = live.get(id)
      if (!w) live.set(id, (w = { key: e.key, window, values: [], timerPending: false }))
      w.values.push(e.value)
      if (window.end - 1 <= watermark) {
        lateFirings++
        emit(w)
      } else w.timerPending = true
    }
    if (!accepted) dropped++
    if (e.ts > maxTs) {
      maxTs = e.ts
      const next = maxTs - spec.maxOutOfOrderness - 1
      if (next > watermark) advance(next)
    }
  }
  advance(Number.POSITIVE_INFINITY)
  return { fired, dropped, lateFirings }
}

export interface SessionOracleResult<K, V> extends WindowOracleResult<K, V> {
  /** Elements whose proto window merged two or more existing sessions into one. */
  bridges: number
}

/** Event-time session windows with `gap`, no allowed lateness. */
export function sessionWindowOracle<K, V>(
  events: readonly TimedEvent<K>[],
  spec: { gap: number; maxOutOfOrderness: number; result: (values: readonly number[], key: K) => V },
): SessionOracleResult<K, V> {
  const fired: Firing<K, V>[] = []
  const sessions = new Map<string, { key: K; window: Window; values: number[] }[]>()
  let watermark = Number.NEGATIVE_INFINITY
  let maxTs = Number.NEGATIVE_INFINITY
  let dropped = 0
  let bridges = 0
  const intersects = (a: Window, b: Window) => a.start <= b.end && a.end >= b.start

  const advance = (to: number) => {
    watermark = to
    const due: { id: string; s: { key: K; window: Window; values: number[] } }[] = []
    for (const [id, list] of sessions) for (const s of list) if (s.window.end - 1 <= watermark) due.push({ id, s })
    due.sort((a, b) => a.s.window.end - b.s.window.end)
    for (const { id, s } of due) {
      fired.push({ key: s.key, window: { ...s.window }, value: spec.result(s.values, s.key) })
      const rest = sessions.get(id)!.filter((x) => x !== s)
      if (rest.length === 0) sessions.delete(id)
      else sessions.set(id, rest)
    }
  }

  for (const e of events) {
    const id = JSON.stringify(e.key)
    const list = sessions.get(id) ?? []
    let merged: Window = { start: e.ts, end: e.ts + spec.gap }
    const absorbed = new Set<(typeof list)[number]>()
    for (let changed = true; changed; ) {
      changed = false
      for (const s of list) {
        if (!absorbed.has(s) && intersects(merged, s.window)) {
          absorbed.add(s)
          merged = { start: Math.min(merged.start, s.window.start), end: Math.max(merged.end, s.window.end) }
          changed = true
        }
      }
    }
    if (merged.end - 1 <= watermark) {
      dropped++ // late: Flink retires the merged window; the session set is unchanged
    } else {
      if (absorbed.size >= 2) bridges++
      const values = [...absorbed].flatMap((s) => s.values)
      values.push(e.value)
      sessions.set(id, [...list.filter((s) => !absorbed.has(s)), { key: e.key, window: merged, values }])
    }
    if (e.ts > maxTs) {
      maxTs = e.ts
      const next = maxTs - spec.maxOutOfOrderness - 1
      if (next > watermark) advance(next)
    }
  }
  advance(Number.POSITIVE_INFINITY)
  return { fired, dropped, lateFirings: 0, bridges }
}

/** Firings grouped by (key, window), in firing order within a group: the part of the order Flink fixes. */
export function firingsByWindow<K, V>(fired: readonly Firing<K, V>[]): Record<string, V[]> {
  const groups: Record<string, V[]> = {}
  for (const f of fired) {
    const id = `${JSON.stringify(f.key)} [${f.window.start},${f.window.end})`
    ;(groups[id] ??= []).push(f.value)
  }
  return Object.fromEntries(Object.entries(groups).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}
