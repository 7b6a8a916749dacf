// Window assigners (Flink's TumblingEventTimeWindows, SlidingEventTimeWindows, EventTimeSessionWindows
// and their processing-time twins). An assigner is a small immutable value; the WindowOperator in
// src/runtime interprets it. Windows are [start, end) in milliseconds.

export interface TimeWindow {
  start: number
  end: number
}

export type WindowAssigner =
  | { type: 'tumbling'; size: number; offset: number; eventTime: boolean }
  | { type: 'sliding'; size: number; slide: number; offset: number; eventTime: boolean }
  | { type: 'session'; gap: number; eventTime: boolean }

function positive(what: string, ms: number): number {
  if (!Number.isFinite(ms) || ms <= 0)
    throw new TypeError(`${what} must be a positive number of milliseconds, got ${ms}`)
  return ms
}

export const TumblingEventTimeWindows = {
  of: (size: number, offset = 0): WindowAssigner => ({
    type: 'tumbling',
    size: positive('window size', size),
    offset,
    eventTime: true,
  }),
}

export const TumblingProcessingTimeWindows = {
  of: (size: number, offset = 0): WindowAssigner => ({
    type: 'tumbling',
    size: positive('window size', size),
    offset,
    eventTime: false,
  }),
}

export const SlidingEventTimeWindows = {
  of: (size: number, slide: number, offset = 0): WindowAssigner => ({
    type: 'sliding',
    size: positive('window size', size),
    slide: positive('window slide', slide),
    offset,
    eventTime: true,
  }),
}

export const SlidingProcessingTimeWindows = {
  of: (size: number, slide: number, offset = 0): WindowAssigner => ({
    type: 'sliding',
    size: positive('window size', size),
    slide: positive('window slide', slide),
    offset,
    eventTime: false,
  }),
}

export const EventTimeSessionWindows = {
  withGap: (gap: number): WindowAssigner => ({ type: 'session', gap: positive('session gap', gap), eventTime: true }),
}

export const ProcessingTimeSessionWindows = {
  withGap: (gap: number): WindowAssigner => ({ type: 'session', gap: positive('session gap', gap), eventTime: false }),
}

/** Flink's TimeWindow.getWindowStartWithOffset. */
export function windowStartWithOffset(timestamp: number, offset: number, size: number): number {
  const remainder = (timestamp - offset) % size
  return remainder < 0 ? timestamp - (remainder + size) : timestamp - remainder
}

/** The windows an element with this timestamp belongs to (sessions: its own proto-window). */
export function assignWindows(assigner: WindowAssigner, timestamp: number): TimeWindow[] {
  switch (assigner.type) {
    case 'tumbling': {
      const start = windowStartWithOffset(timestamp, assigner.offset, assigner.size)
      return [{ start, end: start + assigner.size }]
    }
    case 'sliding': {
      const windows: TimeWindow[] = []
      const last = windowStartWithOffset(timestamp, assigner.offset, assigner.slide)
      for (let start = last; start > timestamp - assigner.size; start -= assigner.slide) {
        windows.push({ start, end: start + assigner.size })
      }
      return windows
    }
    case 'session':
      return [{ start: timestamp, end: timestamp + assigner.gap }]
  }
}

/** The record a windowed aggregate emits per fired window (DESIGN.md §2). */
export interface WindowResult<K, V> {
  key: K
  window: TimeWindow
  value: V
}
