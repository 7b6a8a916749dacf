// The durable ingest log of one HTTP source: events appended with a synced LevelDB batch before the
// 202, keyed by an 8-byte big-endian offset; the source reads by offset. A batch retried with the
// same Idempotency-Key is appended once (the retry gets the first answer). When the job lags more than
// `maxLag` events behind, appends answer RATE_LIMITED instead of growing the log without bound.
import { decodeMsgpack, encodeMsgpack, LivestateError } from '@livestate/client'
import type { BatchOp, OrderedStore } from '../../storage/ordered-store.ts'
import type { IngestLogReader } from '../runtime/sources/http-source.ts'
import type { IngestResult } from './query-gateway.ts'

export interface IngestLogOptions {
  /** Largest number of appended-but-unread events before appends are refused. */
  maxLag: number
  /** Idempotency keys remembered (most recent). */
  idempotencyWindow: number
}

export const DEFAULT_INGEST_OPTIONS: IngestLogOptions = { maxLag: 1_000_000, idempotencyWindow: 10_000 }

// One keyspace so that events, their idempotency record and the end offset are written by one
// atomic batch: [0x01][offset: 8 bytes BE] → msgpack event, [0x02][utf-8 idempotency key] → msgpack
// answer, [0x03] → the end offset (so numbering survives truncating every event away).
const EVENTS_END = Uint8Array.of(0x02)
const END_OFFSET_KEY = Uint8Array.of(0x03)

function offsetKey(offset: number): Uint8Array {
  const b = new Uint8Array(9)
  b[0] = 0x01
  new DataView(b.buffer).setBigUint64(1, BigInt(offset))
  return b
}

function offsetOf(key: Uint8Array): number {
  return Number(new DataView(key.buffer, key.byteOffset + 1, 8).getBigUint64(0))
}

function idempotencyKeyBytes(key: string): Uint8Array {
  const k = new TextEncoder().encode(key)
  const b = new Uint8Array(k.length + 1)
  b[0] = 0x02
  b.set(k, 1)
  return b
}

/**
 * Events appended but not read yet, in memory as well as in LevelDB, so a source keeping up reads
 * them without a LevelDB iterator and a decode: [start, start + events.length − head) by offset.
 * Bounded: when full, later events are read from LevelDB until the tail is empty and starts again.
 */
class UnreadTail {
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
const TAIL_CAPACITY = 16_384

export class IngestLog implements IngestLogReader {
  /** Events before this offset were deleted by truncateBefore (in this process). */
  private truncatedTo = 0
  private end = 0
  private readOffset = 0
  private readonly tail = new UnreadTail()
  private appending: Promise<unknown> = Promise.resolve()
  private waiters: (() => void)[] = []
  private readonly recent = new Map<string, IngestResult>()
  private constructor(
    private readonly store: OrderedStore,
    private readonly options: IngestLogOptions,
  ) {}

  static async open(store: OrderedStore, options: Partial<IngestLogOptions> = {}): Promise<IngestLog> {
    const log = new IngestLog(store, { ...DEFAULT_INGEST_OPTIONS, ...options })
    const stored = await store.get(END_OFFSET_KEY)
    if (stored !== undefined) log.end = Number(new DataView(stored.buffer, stored.byteOffset, 8).getBigUint64(0))
    for await (const [k] of store.iterator({ gte: offsetKey(0), lt: EVENTS_END, reverse: true, limit: 1 })) {
      log.end = Math.max(log.end, offsetOf(k) + 1)
    }
    return log
  }

  get endOffset(): number {
    return this.end
  }

  append(events: unknown[], idempotencyKey?: string): Promise<IngestResult> {
    const run = this.appending.then(() => this.appendNow(events, idempotencyKey))
    this.appending = run.catch(() => {})
    return run
  }

  private async appendNow(events: unknown[], idempotencyKey?: string): Promise<IngestResult> {
    if (idempotencyKey !== undefined) {
      const prior = this.recent.get(idempotencyKey) ?? (await this.storedAnswer(idempotencyKey))
      if (prior) return prior
    }
    const lag = this.end - this.readOffset
    // A batch larger than maxLag is taken when nothing waits unread: refusing it would answer a
    // retryable 429 that no retry can ever get past.
    if (events.length > 0 && lag > 0 && lag + events.length > this.options.maxLag) {
      throw new LivestateError('RATE_LIMITED', `the job is ${lag} events behind this source; retry later`, {
        retryAfter: 1,
      })
    }
    const ops: BatchOp[] = events.map((e, i) => ({
      type: 'put',
      key: offsetKey(this.end + i),
      value: encodeMsgpack(e),
    }))
    const answer: IngestResult = { accepted: events.length, position: String(this.end + events.length) }
    if (idempotencyKey !== undefined) {
      ops.push({ type: 'put', key: idempotencyKeyBytes(idempotencyKey), value: encodeMsgpack(answer) })
    }
    if (ops.length > 0) {
      const end = new Uint8Array(8)
      new DataView(end.buffer).setBigUint64(0, BigInt(this.end + events.length))
      ops.push({ type: 'put', key: END_OFFSET_KEY, value: end })
      await this.store.batch(ops, { sync: true })
    }
    if (events.length > 0) this.tail.add(this.end, events, TAIL_CAPACITY)
    this.end += events.length
    if (idempotencyKey !== undefined) this.remember(idempotencyKey, answer)
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
    return answer
  }

  private async storedAnswer(key: string): Promise<IngestResult | undefined> {
    const v = await this.store.get(idempotencyKeyBytes(key))
    return v === undefined ? undefined : (decodeMsgpack(v) as IngestResult)
  }

  private remember(key: string, answer: IngestResult): void {
    this.recent.set(key, answer)
    if (this.recent.size > this.options.idempotencyWindow) this.recent.delete(this.recent.keys().next().value!)
  }

  async read(offset: number, max: number): Promise<{ offset: number; value: unknown }[]> {
    this.readOffset = Math.max(this.readOffset, offset)
    if (offset >= this.end) return []
    const unread = this.tail.read(offset, max)
    if (unread !== undefined) return unread
    const out: { offset: number; value: unknown }[] = []
    for await (const [k, v] of this.store.iterator({ gte: offsetKey(offset), lt: EVENTS_END, limit: max })) {
      out.push({ offset: offsetOf(k), value: decodeMsgpack(v) })
    }
    return out
  }

  waitFor(offset: number): Promise<void> {
    if (offset < this.end) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  /**
   * Deletes events before `offset` (called behind completed checkpoints). Each call clears only what
   * the calls before it did not: LevelDB keeps deleted keys as tombstones until a compaction, so a
   * clear from offset 0 would walk every event ever truncated, each time (quadratic in the log).
   */
  async truncateBefore(offset: number): Promise<void> {
    const from = this.truncatedTo
    if (offset <= from) return
    this.truncatedTo = offset
    try {
      await this.store.clear({ gte: offsetKey(from), lt: offsetKey(offset) })
    } catch (e) {
      if (this.truncatedTo === offset) this.truncatedTo = from
      throw e
    }
  }

  async close(): Promise<void> {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
    await this.store.close()
  }
}
