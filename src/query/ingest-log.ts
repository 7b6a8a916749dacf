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

export class IngestLog implements IngestLogReader {
  private end = 0
  private readOffset = 0
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

  /** Deletes events before `offset` (called behind completed checkpoints). */
  async truncateBefore(offset: number): Promise<void> {
    await this.store.clear({ gte: offsetKey(0), lt: offsetKey(offset) })
  }

  async close(): Promise<void> {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
    await this.store.close()
  }
}
