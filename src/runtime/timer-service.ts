// InternalTimerService (Flink's InternalTimerServiceImpl): event-time and processing-time timers per
// (timestamp, key, namespace), deduplicated, fired in timestamp order with the key context restored.
// Event-time timers fire when the watermark passes them; processing-time timers via the task mailbox.
import type { Key } from '../keys/key-codec.ts'
import type { KeyedStateBackend } from '../state/keyed-state-backend.ts'

export interface InternalTimer {
  timestamp: number
  key: Key
  keyPrefix: string
  namespace: string
}

export type TimerCallback = (timer: InternalTimer) => void | Promise<void>

/** A min-heap of timers by timestamp with lazy deletion via the id map. */
class TimerQueue {
  private heap: InternalTimer[] = []
  readonly byId = new Map<string, InternalTimer>()

  static id(t: { timestamp: number; keyPrefix: string; namespace: string }): string {
    return `${t.timestamp}|${t.keyPrefix}|${t.namespace}`
  }

  add(t: InternalTimer): void {
    const id = TimerQueue.id(t)
    if (this.byId.has(id)) return
    this.byId.set(id, t)
    const h = this.heap
    h.push(t)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (h[p]!.timestamp <= t.timestamp) break
      h[i] = h[p]!
      i = p
    }
    h[i] = t
  }

  delete(t: { timestamp: number; keyPrefix: string; namespace: string }): void {
    this.byId.delete(TimerQueue.id(t))
  }

  /** Earliest live timer, dropping deleted ones. */
  peek(): InternalTimer | undefined {
    while (this.heap.length > 0) {
      const top = this.heap[0]!
      if (this.byId.get(TimerQueue.id(top)) === top) return top
      this.pop()
    }
    return undefined
  }

  pop(): InternalTimer | undefined {
    const h = this.heap
    if (h.length === 0) return undefined
    const top = h[0]!
    const last = h.pop()!
    if (h.length > 0) {
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        let mv = last
        if (l < h.length && h[l]!.timestamp < mv.timestamp) {
          m = l
          mv = h[l]!
        }
        if (r < h.length && h[r]!.timestamp < mv.timestamp) {
          m = r
          mv = h[r]!
        }
        if (m === i) break
        h[i] = h[m]!
        i = m
      }
      h[i] = last
    }
    return top
  }

  get size(): number {
    return this.byId.size
  }

  all(): InternalTimer[] {
    return [...this.byId.values()]
  }
}

export class InternalTimerService {
  private readonly eventTimers = new TimerQueue()
  private readonly processingTimers = new TimerQueue()
  private watermark = Number.NEGATIVE_INFINITY
  private scheduled: { at: number; handle: NodeJS.Timeout } | undefined
  private closed = false

  constructor(
    private readonly backend: KeyedStateBackend,
    private readonly onEventTime: TimerCallback,
    private readonly onProcessingTime: TimerCallback,
    private readonly mailbox: (action: () => void | Promise<void>) => void,
    private readonly now: () => number = Date.now,
  ) {}

  currentWatermark(): number {
    return this.watermark
  }

  currentProcessingTime(): number {
    return this.now()
  }

  private timerFor(timestamp: number, namespace: string): InternalTimer {
    if (!Number.isFinite(timestamp)) throw new TypeError(`timer timestamp must be a finite number, got ${timestamp}`)
    return {
      timestamp,
      key: this.backend.getCurrentKey(),
      keyPrefix: this.backend.currentKeyPrefix(),
      namespace,
    }
  }

  registerEventTimeTimer(namespace: string, timestamp: number): void {
    this.eventTimers.add(this.timerFor(timestamp, namespace))
  }

  deleteEventTimeTimer(namespace: string, timestamp: number): void {
    this.eventTimers.delete({ timestamp, keyPrefix: this.backend.currentKeyPrefix(), namespace })
  }

  registerProcessingTimeTimer(namespace: string, timestamp: number): void {
    this.processingTimers.add(this.timerFor(timestamp, namespace))
    this.schedule()
  }

  deleteProcessingTimeTimer(namespace: string, timestamp: number): void {
    this.processingTimers.delete({ timestamp, keyPrefix: this.backend.currentKeyPrefix(), namespace })
  }

  /** Fires every event-time timer with timestamp <= watermark, in order. */
  async advanceWatermark(watermark: number): Promise<void> {
    this.watermark = watermark
    await this.fire(this.eventTimers, watermark, this.onEventTime)
  }

  private async fire(
    queue: TimerQueue,
    upTo: number,
    callback: TimerCallback,
    isDue: (t: InternalTimer) => boolean = () => true,
  ): Promise<void> {
    for (let t = queue.peek(); t !== undefined && t.timestamp <= upTo; t = queue.peek()) {
      queue.pop()
      queue.delete(t)
      if (!isDue(t)) continue
      this.backend.setCurrentKeyContext(t.key, t.keyPrefix)
      this.backend.setCurrentNamespace(t.namespace)
      const r = callback(t)
      if (r !== undefined) await r
    }
  }

  private schedule(): void {
    if (this.closed) return
    const next = this.processingTimers.peek()
    if (!next) return
    if (this.scheduled && this.scheduled.at <= next.timestamp) return
    if (this.scheduled) clearTimeout(this.scheduled.handle)
    const delay = Math.max(0, next.timestamp - this.now())
    const handle = setTimeout(() => {
      this.scheduled = undefined
      this.mailbox(() => this.fireProcessingTimers(this.now()))
    }, delay)
    handle.unref()
    this.scheduled = { at: next.timestamp, handle }
  }

  async fireProcessingTimers(now: number): Promise<void> {
    await this.fire(this.processingTimers, now, this.onProcessingTime)
    this.schedule()
  }

  /**
   * End of input: fire the processing-time timers pending now, once, so bounded jobs emit every
   * window. Timers registered by these firings are dropped: a function that re-registers a timer from
   * onTimer (a periodic timer) would otherwise keep the task from ever finishing.
   */
  async fireAllProcessingTimers(): Promise<void> {
    const pending = new Set(this.processingTimers.all())
    await this.fire(this.processingTimers, Number.POSITIVE_INFINITY, this.onProcessingTime, (t) => pending.has(t))
  }

  get numEventTimers(): number {
    return this.eventTimers.size
  }

  get numProcessingTimers(): number {
    return this.processingTimers.size
  }

  snapshotTimers(): { event: InternalTimer[]; processing: InternalTimer[] } {
    return { event: this.eventTimers.all(), processing: this.processingTimers.all() }
  }

  restoreTimers(timers: { event: InternalTimer[]; processing: InternalTimer[] }): void {
    for (const t of timers.event) this.eventTimers.add(t)
    for (const t of timers.processing) this.processingTimers.add(t)
    this.schedule()
  }

  close(): void {
    this.closed = true
    if (this.scheduled) clearTimeout(this.scheduled.handle)
    this.scheduled = undefined
  }
}
