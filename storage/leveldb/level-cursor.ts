// Batched reads from classic-level iterators with nextv(): one round trip to the LevelDB thread
// pool per batch instead of per entry. The native iterator (and its implicit snapshot) is created
// at the first batch, so the view is fixed when iteration starts, as for the heap store.

import type { ClassicLevel, Snapshot } from 'classic-level'
import type { ResolvedRange } from '../key-range.ts'
import type { Bytes } from '../ordered-store.ts'
import type { EngineCursor } from '../store-engine.ts'

export type LevelDb = ClassicLevel<Bytes, Bytes>
export type LevelSnapshotToken = Snapshot

/** What cursors and snapshots share with their engine. */
export interface LevelContext {
  readonly db: LevelDb
  readonly location: string
  /** Throws STORE_CLOSED once the engine is closed. */
  assertOpen(): void
  /** Maps a classic-level failure to a StorageError. */
  failure(err: unknown): unknown
}

interface NativeIterator<T> {
  nextv(size: number): Promise<T[]>
  close(): Promise<void>
}

/** A small first batch serves point-ish scans quickly; later batches amortise the round trip. */
const FIRST_BATCH = 64
const BATCH = 1024
/** classic-level stops a nextv() early past this many bytes (its default, 16 KiB, cuts batches short). */
export const HIGH_WATER_MARK_BYTES = 256 * 1024

export interface LevelRangeOptions {
  gt?: Bytes
  gte?: Bytes
  lt?: Bytes
  lte?: Bytes
  reverse: boolean
  limit: number
}

/** classic-level's range options: absent bounds omitted, -1 for no limit. */
export function levelRange(range: ResolvedRange): LevelRangeOptions {
  const out: LevelRangeOptions = {
    reverse: range.reverse,
    limit: range.limit === Number.POSITIVE_INFINITY ? -1 : range.limit,
  }
  if (range.gt !== undefined) out.gt = range.gt
  if (range.gte !== undefined) out.gte = range.gte
  if (range.lt !== undefined) out.lt = range.lt
  if (range.lte !== undefined) out.lte = range.lte
  return out
}

export function openEntries(
  ctx: LevelContext,
  range: ResolvedRange,
  snapshot: LevelSnapshotToken | undefined,
): EngineCursor<[Bytes, Bytes]> {
  const options = { ...levelRange(range), highWaterMarkBytes: HIGH_WATER_MARK_BYTES, snapshot }
  return new LevelCursor(ctx, () => ctx.db.iterator(options))
}

export function openKeys(
  ctx: LevelContext,
  range: ResolvedRange,
  snapshot: LevelSnapshotToken | undefined,
): EngineCursor<Bytes> {
  const options = { ...levelRange(range), highWaterMarkBytes: HIGH_WATER_MARK_BYTES, snapshot }
  return new LevelCursor(ctx, () => ctx.db.keys(options))
}

class LevelCursor<T> implements EngineCursor<T> {
  readonly #ctx: LevelContext
  readonly #open: () => NativeIterator<T>
  #iterator: NativeIterator<T> | undefined
  #size = FIRST_BATCH

  constructor(ctx: LevelContext, open: () => NativeIterator<T>) {
    this.#ctx = ctx
    this.#open = open
  }

  async nextBatch(): Promise<T[]> {
    this.#ctx.assertOpen()
    try {
      this.#iterator ??= this.#open()
      const batch = await this.#iterator.nextv(this.#size)
      this.#size = BATCH
      return batch
    } catch (err) {
      throw this.#ctx.failure(err)
    }
  }

  async close(): Promise<void> {
    const iterator = this.#iterator
    this.#iterator = undefined
    if (iterator === undefined) return
    try {
      await iterator.close()
    } catch (err) {
      throw this.#ctx.failure(err)
    }
  }
}
