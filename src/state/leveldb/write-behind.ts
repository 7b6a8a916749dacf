// The write-down half of a LevelStateTable: encoded entries that left the object cache wait in the
// pending batch, go to LevelDB as batches (several may be in flight), and stay readable from memory
// until their batch is on disk. A failed batch poisons the table: the failure is kept with the
// store's stable code, later writes and flushes throw it, and nothing is ever retried.
//
//   queue(key) ─► pending ─start()─► in flight ─batch done─► on disk (dropped from memory)
//                                        └─batch failed─► kept in memory, `failure` set
//
// Values captured for a checkpoint (snapshot-capture.ts) wait apart from the others: they are what
// that checkpoint already holds, so the change log (incremental checkpoints) can leave them out of
// the next checkpoint's delta. Both go down in the same batch, the captured ones first: a key
// captured and then written again in one batch ends with the newer value.
import { encodeMsgpack } from '@livestate/client'
import type { BatchOp, OrderedStore } from '../../../storage/ordered-store.ts'
import { StorageError } from '../../../storage/storage-error.ts'
import type { TableKeys } from './table-keys.ts'

/** Dirty entries per batch; LevelDB applies a batch as one write (one WAL record). */
export const FLUSH_AT_OPS = 2_000
/** Batches in flight before evictions accumulate in the pending batch instead. */
const MAX_INFLIGHT = 4
/** Largest batch: a flush of many dirty entries goes down as several, so no memtable takes it all. */
const MAX_BATCH_OPS = 16_384

/** Encoded values by binary-string key; null = deleted. */
export type Batch = Map<string, Uint8Array | null>

interface InflightBatch {
  readonly batch: Batch
  /** Values captured for checkpoint `captureOf`, older than `batch`'s. */
  readonly captured: Batch
  done: Promise<void>
}

export interface WriteStats {
  flushes: number
  flushedOps: number
  failures: number
}

/** A LevelDB failure under a state table: the store's stable code, the table in the message. */
export class StateBackendError extends StorageError {}

export class WriteBehind {
  private pending: Batch = new Map()
  /** Values captured for a checkpoint (the one in `captureOf`), queued by queueCaptured. */
  private pendingCaptured: Batch = new Map()
  private captureOf: number | undefined
  private readonly inflight: InflightBatch[] = []
  /** Settles when the last batch handed to the store has been applied (batches are serialised). */
  private writeChain: Promise<void> = Promise.resolve()
  private batchesStarted = 0
  failure: StateBackendError | undefined
  /**
   * Told of every batch sent down (incremental checkpoints), with the values in it captured for
   * checkpoint `captureOf` apart (undefined: for a savepoint).
   */
  onBatch: ((batch: Batch, captured: Batch, captureOf: number | undefined) => void) | undefined
  /** Set while the disk range is not ours yet (a replaced table's range being cleared). */
  diskReady: Promise<void> | undefined

  constructor(
    private readonly store: OrderedStore,
    private readonly keys: TableKeys,
    private readonly stats: WriteStats,
    private readonly name: string,
    private readonly flushAtOps: number,
    diskReady: Promise<void> | undefined,
  ) {
    if (diskReady) {
      const ready: Promise<void> = diskReady.then(
        () => {
          if (this.diskReady === ready) this.diskReady = undefined
        },
        (e: unknown) => this.fail(e),
      )
      this.diskReady = ready
    }
  }

  /** Queues a value (undefined: delete); starts a batch when enough are pending. */
  queue(key: string, value: unknown): void {
    this.pending.set(key, value === undefined ? null : encodeMsgpack(value))
    if (this.pending.size >= this.flushAtOps && this.inflight.length < MAX_INFLIGHT) this.start()
  }

  /** Queues without starting a batch (flushes start one batch after queueing all). */
  queueQuietly(key: string, value: unknown): void {
    this.pending.set(key, value === undefined ? null : encodeMsgpack(value))
  }

  /**
   * Queues the value a key had at the barrier of checkpoint `captureOf` (undefined: a savepoint's),
   * encoded already (null: delete); starts a batch when enough are pending. Every capture of one
   * barrier is queued before the next barrier sends the pending batch down (start()).
   */
  queueCaptured(key: string, bytes: Uint8Array | null, captureOf: number | undefined): void {
    if (this.pendingCaptured.size > 0 && this.captureOf !== captureOf) this.start()
    this.pendingCaptured.set(key, bytes)
    this.captureOf = captureOf
    if (this.pending.size + this.pendingCaptured.size >= this.flushAtOps && this.inflight.length < MAX_INFLIGHT)
      this.start()
  }

  /** The batches not on disk yet, oldest first; a batch in flight is never changed again. */
  inflightBatches(): Batch[] {
    const out: Batch[] = []
    for (const b of this.inflight) {
      if (b.captured.size > 0) out.push(b.captured)
      out.push(b.batch)
    }
    return out
  }

  /** Newest bytes of a key still in memory (pending, then in flight newest first); undefined: disk. */
  unflushed(key: string): Uint8Array | null | undefined {
    let raw: Uint8Array | null | undefined = this.pending.get(key)
    if (raw === undefined && this.pendingCaptured.size > 0) raw = this.pendingCaptured.get(key)
    for (let i = this.inflight.length - 1; raw === undefined && i >= 0; i--) {
      const b = this.inflight[i]!
      raw = b.batch.get(key)
      if (raw === undefined && b.captured.size > 0) raw = b.captured.get(key)
    }
    return raw
  }

  /** Sends the pending batch down (split into batches of at most MAX_BATCH_OPS). */
  start(): void {
    if ((this.pending.size === 0 && this.pendingCaptured.size === 0) || this.failure) return
    const all = this.pending
    const captured = this.pendingCaptured
    this.pending = new Map()
    this.pendingCaptured = new Map()
    if (all.size + captured.size <= MAX_BATCH_OPS) {
      this.write(all, captured)
      return
    }
    // The captured values go down first, in batches of their own.
    for (const chunk of chunksOf(captured)) this.write(new Map(), chunk)
    for (const chunk of chunksOf(all)) this.write(chunk, new Map())
  }

  private write(batch: Batch, captured: Batch): void {
    const ops: BatchOp[] = []
    for (const b of [captured, batch])
      for (const [k, v] of b)
        ops.push(v === null ? { type: 'del', key: this.keys.of(k) } : { type: 'put', key: this.keys.of(k), value: v })
    this.stats.flushes++
    this.stats.flushedOps += ops.length
    this.onBatch?.(batch, captured, this.captureOf)
    this.batchesStarted++
    const record: InflightBatch = { batch, captured, done: Promise.resolve() }
    const write = () => (this.failure ? Promise.reject(this.failure) : this.store.batch(ops))
    // Batches go to LevelDB one after another: classic-level runs concurrent batches on its thread
    // pool in no guaranteed order, and a newer batch must never be overwritten by an older one
    // holding the same key (a put after a delete would come back deleted).
    const previous = this.writeChain
    const run = previous.then(() => (this.diskReady === undefined ? write() : this.diskReady.then(write)))
    this.writeChain = run.then(
      () => {},
      () => {},
    )
    record.done = run.then(
      () => {
        this.inflight.splice(this.inflight.indexOf(record), 1)
        // Evictions that piled up while MAX_INFLIGHT batches were under way go next.
        if (this.pending.size + this.pendingCaptured.size >= this.flushAtOps && this.inflight.length < MAX_INFLIGHT)
          this.start()
      },
      // The batch stays in `inflight`: its values remain readable, and nothing retries it.
      (e: unknown) => this.fail(e),
    )
    this.inflight.push(record)
  }

  private fail(e: unknown): void {
    if (this.failure) return
    this.stats.failures++
    const code = e instanceof StorageError ? e.code : 'STORE_IO_ERROR'
    const why = e instanceof Error ? e.message : String(e)
    this.failure = new StateBackendError(code, `writing state '${this.name}' to LevelDB failed: ${why}`, { cause: e })
  }

  /** Waits until nothing is in flight; throws the failure if a batch failed. */
  async settle(): Promise<void> {
    while (this.inflight.length > 0 && !this.failure) await Promise.all(this.inflight.map((b) => b.done))
    if (this.failure) throw this.failure
  }

  /**
   * A stamp for a disk iterator opened now: it stays current for keys not in memory until a batch
   * lands after it opened (one in flight now, or one started later). -1: not current at all.
   */
  viewStamp(): number {
    return this.inflight.length === 0 && this.diskReady === undefined ? this.batchesStarted : -1
  }

  isViewCurrent(stamp: number): boolean {
    return stamp === this.batchesStarted
  }

  /** Drops the pending batch; resolves when batches in flight have settled (either way). */
  discard(): Promise<void> {
    this.pending = new Map()
    this.pendingCaptured = new Map()
    return Promise.all(this.inflight.map((b) => b.done.catch(() => {}))).then(() => {})
  }
}

/** A batch cut into batches of at most MAX_BATCH_OPS, in order. */
function* chunksOf(all: Batch): Iterable<Batch> {
  if (all.size <= MAX_BATCH_OPS) {
    if (all.size > 0) yield all
    return
  }
  let chunk: Batch = new Map()
  for (const [k, v] of all) {
    chunk.set(k, v)
    if (chunk.size >= MAX_BATCH_OPS) {
      yield chunk
      chunk = new Map()
    }
  }
  if (chunk.size > 0) yield chunk
}
