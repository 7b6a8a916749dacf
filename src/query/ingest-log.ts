// The durable ingest log of one HTTP source: events by offset, which the source reads. An append is
// answered (the 202) once its events are in a synced LevelDB batch, but the source may read them as
// soon as they have their offsets: processing does not wait for the disk. What the job did with
// events that are not durable yet never reaches a completed checkpoint, because a checkpoint waits
// until the log is durable up to the position it records (durable()).
//
//   append ─admit (offsets, in order)─► readable by the source
//                 └─► queued ─one synced batch for all queued (group commit)─► durable ─► 202
//
// Each synced batch stores its events as one LevelDB record, a chunk (ingest-chunks.ts).
//
// A failed batch fails the log: its events (and any admitted after them) are dropped from memory,
// appends are refused from then on, and a reader that already read past the durable end fails, so
// the job restarts from its last checkpoint instead of keeping effects of events the log lost.
// A batch retried with the same Idempotency-Key is appended once (the retry gets the first answer,
// also while the first is still being written). When the job lags more than `maxLag` events behind,
// appends answer RATE_LIMITED instead of growing the log without bound.
import { decodeMsgpack, encodeMsgpack, LivestateError } from '@livestate/client'
import type { BatchOp, OrderedStore } from '../../storage/ordered-store.ts'
import type { IngestLogReader } from '../runtime/sources/http-source.ts'
import { chunkPut, type Piece, StoredChunks } from './ingest-chunks.ts'
import { TAIL_CAPACITY, UnreadTail } from './ingest-tail.ts'
import type { IngestResult } from './query-gateway.ts'

export interface IngestLogOptions {
  /** Largest number of appended-but-unread events before appends are refused. */
  maxLag: number
  /** Idempotency keys remembered (most recent). */
  idempotencyWindow: number
}

export const DEFAULT_INGEST_OPTIONS: IngestLogOptions = { maxLag: 1_000_000, idempotencyWindow: 10_000 }

export interface IngestLogStats {
  /** Appends admitted (given offsets). */
  appends: number
  /** Synced LevelDB batches written: one per group of appends queued while the previous one was written. */
  syncedWrites: number
}

// One keyspace so that events, their idempotency record and the end offset are written by one
// atomic batch: [0x04]… → chunk (ingest-chunks.ts), [0x02][utf-8 idempotency key] → msgpack answer,
// [0x03] → the end offset (so numbering survives truncating every event away).
const END_OFFSET_KEY = Uint8Array.of(0x03)

function idempotencyKeyBytes(key: string): Uint8Array {
  const k = new TextEncoder().encode(key)
  const b = new Uint8Array(k.length + 1)
  b[0] = 0x02
  b.set(k, 1)
  return b
}

function endOffsetValue(end: number): Uint8Array {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, BigInt(end))
  return b
}

interface Settle {
  resolve: () => void
  reject: (e: unknown) => void
}

export class IngestLog implements IngestLogReader {
  /** Events before this offset were deleted by truncateBefore (in this process). */
  private truncatedTo = 0
  /** Offset the next admitted event gets. */
  private end = 0
  /** Every event before this offset is in a synced batch. */
  private durableEnd = 0
  private readOffset = 0
  private readonly tail = new UnreadTail()
  /** Admissions run one at a time (an idempotency key may need a LevelDB read first). */
  private admitting: Promise<unknown> = Promise.resolve()
  /** Admitted appends not handed to LevelDB yet (their events, other ops), and who waits for them. */
  private queuedPieces: Piece[] = []
  private queued: BatchOp[] = []
  private queuedSettles: Settle[] = []
  private writing = false
  /** The running writeQueued loop (settled when idle). */
  private writeLoop: Promise<void> = Promise.resolve()
  private durableWaiters: (Settle & { offset: number })[] = []
  private failure: Error | undefined
  private waiters: (() => void)[] = []
  private readonly recent = new Map<string, IngestResult>()
  /** Answers of keyed appends admitted but not durable yet: a retry meanwhile waits for the same one. */
  private readonly unsettledKeys = new Map<string, Promise<IngestResult>>()
  readonly stats: IngestLogStats = { appends: 0, syncedWrites: 0 }
  private readonly chunks: StoredChunks
  private constructor(
    private readonly store: OrderedStore,
    private readonly options: IngestLogOptions,
  ) {
    this.chunks = new StoredChunks(store)
  }

  /** Opens the log in `store`; `location` (its directory) names it in errors. */
  static async open(
    store: OrderedStore,
    options: Partial<IngestLogOptions> = {},
    location = 'the ingest log directory',
  ): Promise<IngestLog> {
    const log = new IngestLog(store, { ...DEFAULT_INGEST_OPTIONS, ...options })
    const stored = await store.get(END_OFFSET_KEY)
    if (stored !== undefined) log.end = Number(new DataView(stored.buffer, stored.byteOffset, 8).getBigUint64(0))
    try {
      log.end = Math.max(log.end, await StoredChunks.end(store, location))
    } catch (e) {
      await store.close()
      throw e
    }
    log.durableEnd = log.end
    return log
  }

  get endOffset(): number {
    return this.end
  }

  /** Appends `events`; resolves with the answer once they are durably in the log. */
  append(events: unknown[], idempotencyKey?: string): Promise<IngestResult> {
    const admitted = this.admitting.then(() => this.admit(events, idempotencyKey))
    this.admitting = admitted.catch(() => {})
    return admitted.then((a) => a.durable)
  }

  /** Gives the events their offsets and makes them readable; `durable` settles with the write. */
  private async admit(events: unknown[], idempotencyKey?: string): Promise<{ durable: Promise<IngestResult> }> {
    if (this.failure) throw this.failure
    if (idempotencyKey !== undefined) {
      const unsettled = this.unsettledKeys.get(idempotencyKey)
      if (unsettled) return { durable: unsettled }
      const prior = this.recent.get(idempotencyKey) ?? (await this.storedAnswer(idempotencyKey))
      if (prior) return { durable: Promise.resolve(prior) }
      if (this.failure) throw this.failure
    }
    const lag = this.end - this.readOffset
    // A batch larger than maxLag is taken when nothing waits unread: refusing it would answer a
    // retryable 429 that no retry can ever get past.
    if (events.length > 0 && lag > 0 && lag + events.length > this.options.maxLag) {
      throw new LivestateError('RATE_LIMITED', `the job is ${lag} events behind this source; retry later`, {
        retryAfter: 1,
      })
    }
    const start = this.end
    const answer: IngestResult = { accepted: events.length, position: String(start + events.length) }
    if (events.length === 0 && idempotencyKey === undefined) return { durable: Promise.resolve(answer) }
    const piece = { bytes: encodeMsgpack(events), count: events.length }
    const ops: BatchOp[] = []
    if (idempotencyKey !== undefined) {
      ops.push({ type: 'put', key: idempotencyKeyBytes(idempotencyKey), value: encodeMsgpack(answer) })
    }
    this.stats.appends++
    this.end += events.length
    if (events.length > 0) {
      this.tail.add(start, events, TAIL_CAPACITY)
      this.wakeReaders()
    }
    const written = this.enqueue(piece, ops)
    if (idempotencyKey === undefined) return { durable: written.then(() => answer) }
    const durable = written.then(
      () => {
        this.unsettledKeys.delete(idempotencyKey)
        this.remember(idempotencyKey, answer)
        return answer
      },
      (e: unknown) => {
        this.unsettledKeys.delete(idempotencyKey)
        throw e
      },
    )
    this.unsettledKeys.set(idempotencyKey, durable)
    return { durable }
  }

  private enqueue(piece: Piece, ops: BatchOp[]): Promise<void> {
    if (piece.count > 0) this.queuedPieces.push(piece)
    for (const op of ops) this.queued.push(op)
    const written = new Promise<void>((resolve, reject) => this.queuedSettles.push({ resolve, reject }))
    if (!this.writing) this.writeLoop = this.writeQueued()
    return written
  }

  /** Writes what is queued as one synced batch, again until nothing is (group commit). */
  private async writeQueued(): Promise<void> {
    this.writing = true
    while (this.queuedSettles.length > 0 && !this.failure) {
      const ops = this.queued
      const settles = this.queuedSettles
      // Admission queues synchronously after taking its offsets: everything before `end` is queued.
      const end = this.end
      if (this.queuedPieces.length > 0) ops.push(chunkPut(this.queuedPieces, end))
      this.queued = []
      this.queuedPieces = []
      this.queuedSettles = []
      ops.push({ type: 'put', key: END_OFFSET_KEY, value: endOffsetValue(end) })
      try {
        await this.store.batch(ops, { sync: true })
      } catch (e) {
        this.fail(e instanceof Error ? e : new Error(String(e)), settles)
        break
      }
      this.stats.syncedWrites++
      this.durableEnd = end
      for (const s of settles) s.resolve()
      // events the tail had no room for are readable from LevelDB now
      this.wakeReaders()
      this.durableWaiters = this.durableWaiters.filter((w) => {
        if (w.offset > end) return true
        w.resolve()
        return false
      })
    }
    this.writing = false
  }

  /** A batch failed: nothing from the durable end on is in the log, so nothing of it is kept. */
  private fail(e: Error, settles: Settle[]): void {
    this.failure = e
    for (const s of [...settles, ...this.queuedSettles, ...this.durableWaiters]) s.reject(e)
    this.queued = []
    this.queuedPieces = []
    this.queuedSettles = []
    this.durableWaiters = []
    this.end = this.durableEnd
    this.tail.dropFrom(this.durableEnd)
    // readers waiting for data look again and learn what happened (read throws past the end)
    this.wakeReaders()
  }

  private wakeReaders(): void {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }

  /**
   * Resolves once every event before `offset` is in a synced batch (a checkpoint recording that
   * source position may then complete); rejects if writing them failed.
   */
  durable(offset: number): Promise<void> {
    if (offset <= this.durableEnd) return Promise.resolve()
    if (this.failure) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => this.durableWaiters.push({ offset, resolve, reject }))
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
    if (offset > this.end) {
      // only after a failed write: the reader read events the log then dropped
      throw new Error(
        `the ingest log could not write the events from offset ${this.end} on, which the job has read (${this.failure?.message}); the job restarts from its last checkpoint`,
        { cause: this.failure },
      )
    }
    // what is before a truncation is not read, whether its chunk is gone yet or not
    const from = Math.max(offset, this.truncatedTo)
    this.readOffset = Math.max(this.readOffset, from)
    if (from >= this.end) return []
    const unread = this.tail.read(from, max)
    if (unread !== undefined) return unread
    // Not in the tail (it was full): from LevelDB, where only what is durable is.
    return this.chunks.read(from, max, this.durableEnd)
  }

  /** Whether read(offset) has an event to return now. */
  private readable(offset: number): boolean {
    // the tail holds only admitted events, so its range never passes `end`
    return offset < this.durableEnd || (offset >= this.tail.start && offset < this.tail.endOffset)
  }

  waitFor(offset: number): Promise<void> {
    if (this.readable(offset) || offset > this.end) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  /**
   * Deletes events before `offset` (called behind completed checkpoints): the stored chunks wholly
   * before it; the events before it in the chunk that holds it are no longer read.
   */
  truncateBefore(offset: number): Promise<void> {
    if (offset <= this.truncatedTo) return Promise.resolve()
    this.truncatedTo = offset
    return this.chunks.truncateBefore(offset)
  }

  async close(): Promise<void> {
    this.wakeReaders()
    // what was admitted is answered first (written, or failed): the store closes under no batch
    await this.admitting
    await this.writeLoop
    await this.store.close()
  }
}
