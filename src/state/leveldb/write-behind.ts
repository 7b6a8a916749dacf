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
/**
 * Largest LevelDB batch: a flush of many dirty entries goes down as several, one after another.
 * Handing a batch to LevelDB copies it into a native WriteBatch on the task's thread (about 0.6 µs
 * per op), so this bounds that step to about a millisecond.
 */
const MAX_BATCH_OPS = 2_048

/** Encoded values by binary-string key; null = deleted. */
export type Batch = Map<string, Uint8Array | null>

interface InflightBatch {
  readonly batch: Batch
  /** Values captured for a checkpoint, older than `batch`'s. */
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
  /** Values captured for a checkpoint and unchanged since, queued by queueCaptured. */
  private pendingCaptured: Batch = new Map()
  private readonly inflight: InflightBatch[] = []
  /** Settles when the last batch handed to the store has been applied (batches are serialised). */
  private writeChain: Promise<void> = Promise.resolve()
  private batchesStarted = 0
  failure: StateBackendError | undefined
  /**
   * Told of every batch of changes sent down (incremental checkpoints); captured values that go down
   * with it are not changes since the checkpoint that holds them.
   */
  onBatch: ((batch: Batch) => void) | undefined
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
   * Queues a value captured for a checkpoint and unchanged since (the checkpoint holds it), encoded
   * already (null: delete); starts a batch when enough are pending, unless `start` is false.
   */
  queueCaptured(key: string, bytes: Uint8Array | null, start = true): void {
    this.pendingCaptured.set(key, bytes)
    if (
      start &&
      this.pending.size + this.pendingCaptured.size >= this.flushAtOps &&
      this.inflight.length < MAX_INFLIGHT
    )
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

  /** Sends the pending batch down (as LevelDB batches of at most MAX_BATCH_OPS). */
  start(): void {
    if ((this.pending.size === 0 && this.pendingCaptured.size === 0) || this.failure) return
    const batch = this.pending
    const captured = this.pendingCaptured
    this.pending = new Map()
    this.pendingCaptured = new Map()
    this.stats.flushes++
    this.stats.flushedOps += batch.size + captured.size
    this.onBatch?.(batch)
    this.batchesStarted++
    const record: InflightBatch = { batch, captured, done: Promise.resolve() }
    // The LevelDB batches are built one at a time, when the one before is written: a flush of many
    // entries builds and hands over a slice per turn, never all at once.
    const write = async () => {
      for (const ops of this.slicesOf(captured, batch)) {
        if (this.failure) throw this.failure
        await this.store.batch(ops)
      }
    }
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

  /** The captured values, then the batch, as LevelDB ops in slices of at most MAX_BATCH_OPS. */
  private *slicesOf(captured: Batch, batch: Batch): Iterable<BatchOp[]> {
    let ops: BatchOp[] = []
    for (const b of [captured, batch])
      for (const [k, v] of b) {
        ops.push(v === null ? { type: 'del', key: this.keys.of(k) } : { type: 'put', key: this.keys.of(k), value: v })
        if (ops.length >= MAX_BATCH_OPS) {
          yield ops
          ops = []
        }
      }
    if (ops.length > 0) yield ops
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
