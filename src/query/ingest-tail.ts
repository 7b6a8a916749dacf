// The in-memory tail of an IngestLog: events appended but not read yet, so a source keeping up
// reads them without a LevelDB iterator and a decode.

/**
 * Events appended but not read yet, in memory as well as in LevelDB, so a source keeping up reads
 * them without a LevelDB iterator and a decode: [start, start + events.length − head) by offset.
 * Bounded: when full, later events are read from LevelDB until the tail is empty and starts again.
 */
export class UnreadTail {
  start = 0
  head = 0
  events: unknown[] = []
  full = false

  get endOffset(): number {
    return this.start + this.events.length - this.head
  }

  /** Adds events that begin at `offset` when they continue the tail (or it is empty) and fit. */
  add(offset: number, events: unknown[], capacity: number): void {
    const size = this.events.length - this.head
    if (size === 0) {
      this.start = offset
      this.head = 0
      this.events = []
      this.full = false
    }
    if (this.full || offset !== this.endOffset || size + events.length > capacity) {
      this.full = true
      return
    }
    for (const e of events) this.events.push(e)
  }

  /** Forgets the events from `offset` on (they were never written: see IngestLog's failure). */
  dropFrom(offset: number): void {
    if (offset >= this.endOffset) return
    if (offset <= this.start) {
      this.events = []
      this.head = 0
      this.start = offset
    } else this.events.length = this.head + (offset - this.start)
  }

  /**
   * Up to `max` events from `offset` when the tail holds it. What it returns leaves the tail (with
   * anything before it): a rewound source reads those offsets again from LevelDB, as fresh objects,
   * never the instances a failed attempt may have changed.
   */
  read(offset: number, max: number): { offset: number; value: unknown }[] | undefined {
    if (offset < this.start || offset >= this.endOffset) return undefined
    this.head += offset - this.start
    const n = Math.min(max, this.events.length - this.head)
    const out = new Array<{ offset: number; value: unknown }>(n)
    for (let i = 0; i < n; i++) out[i] = { offset: offset + i, value: this.events[this.head + i] }
    this.head += n
    this.start = offset + n
    if (this.head > 4096 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head)
      this.head = 0
    }
    return out
  }
}

/** Unread events kept in memory besides LevelDB (see UnreadTail). */
export const TAIL_CAPACITY = 16_384
