// What a LevelStateTable sent down to LevelDB since recent checkpoint barriers: the batches of the
// write-behind, kept (by reference: they are the write-behind's own maps) so an incremental snapshot
// can be the changes since the latest completed checkpoint instead of a scan of the whole state.
//
//   barrier c ── batches ── barrier c+1 ── batches ── barrier n: delta(n, base c) = batches since c
//                                                                 + the values dirty at n (captured)
//
// Values captured for a checkpoint c (the values dirty at c, written down later, when evicted or
// flushed) go down apart from the batches and are not kept at all: c holds them, so a delta against
// c (or a later base: they did not change since) does not need them. Only a delta against an older
// base would (c was aborted or is still running): c's barrier says so (leftOut), and then the
// snapshot is a full one instead — rare, and cheaper than holding every captured value in memory,
// which after a burst of writes is most of the object cache.
//
// Batches before the oldest barrier a delta may still be asked against are dropped: the coordinator
// only ever names the latest completed checkpoint as base, and that never moves back. The logs of a
// TaskManager's tables share one byte limit (part of the memory budget's overhead reserve): a log
// that would take it past the limit gives up and its table's next snapshot is a full one.
import type { Batch } from './write-behind.ts'

/** Estimated bytes a batch entry holds besides its key and value (Map slot, Buffer object). */
const ENTRY_OVERHEAD = 96

/** The bytes every change log of a TaskManager holds, against their common limit. */
export interface ChangeLogPool {
  used: number
  readonly limit: number
}

export class ChangeLog {
  private batches: { batch: Batch; bytes: number }[] = []
  /** Checkpoint id of a barrier → index in `batches` of the first batch sent after it. */
  private marks = new Map<number, number>()
  /** Checkpoints that captured values this log does not keep. */
  private capturesLeftOut = new Set<number>()
  private bytes = 0

  constructor(private readonly pool: ChangeLogPool) {}

  /**
   * Checkpoint `checkpointId` captured values, which go down later without being recorded: a delta
   * against an older base cannot be built from what is kept.
   */
  leftOut(checkpointId: number): void {
    if (this.marks.size > 0) this.capturesLeftOut.add(checkpointId)
  }

  /** Whether batches are being kept (some barrier or restore is on record). */
  get tracking(): boolean {
    return this.marks.size > 0
  }

  /** A batch of changes went down (captured values go down apart and are never recorded). */
  record(batch: Batch): void {
    if (batch.size > 0) this.keep(batch)
  }

  /** Keeps a batch, unless that takes the pool past its limit (then the log gives up). */
  private keep(batch: Batch): void {
    if (this.marks.size === 0) return
    let bytes = 0
    for (const [k, v] of batch) bytes += ENTRY_OVERHEAD + k.length + (v === null ? 0 : v.length)
    if (this.pool.used + bytes > this.pool.limit) {
      this.forget()
      return
    }
    this.bytes += bytes
    this.pool.used += bytes
    this.batches.push({ batch, bytes })
  }

  /**
   * Barrier of checkpoint `checkpointId` (every batch queued before it has been sent down): the
   * batches since the barrier of `base`, or undefined when they are not all known (no delta). From
   * now on changes are counted from this barrier too.
   */
  barrier(checkpointId: number, base: number | undefined): Batch[] | undefined {
    const at = base === undefined ? undefined : this.marks.get(base)
    let since: Batch[] | undefined
    if (at === undefined || [...this.capturesLeftOut].some((id) => id > base!)) this.forget()
    else {
      // Nothing before base's barrier is asked for again: dropped.
      this.batches = this.batches.slice(at)
      since = this.batches.map((b) => b.batch)
      const marks = new Map<number, number>()
      for (const [id, i] of this.marks) if (id >= base!) marks.set(id, i - at)
      this.marks = marks
      for (const id of this.capturesLeftOut) if (id <= base!) this.capturesLeftOut.delete(id)
      const bytes = this.batches.reduce((n, b) => n + b.bytes, 0)
      this.pool.used -= this.bytes - bytes
      this.bytes = bytes
    }
    this.marks.set(checkpointId, this.batches.length)
    return since
  }

  /** The table now holds exactly checkpoint `checkpointId`'s entries (a restore). */
  restored(checkpointId: number): void {
    this.forget()
    this.marks.set(checkpointId, 0)
  }

  /** Drops everything (also when the table is closed or fenced, to give its bytes back). */
  forget(): void {
    this.batches = []
    this.marks.clear()
    this.capturesLeftOut.clear()
    this.pool.used -= this.bytes
    this.bytes = 0
  }
}
