// Range scans over sorted chunks: HeapScan reads synchronously from one chunk list; HeapCursor is
// the engine cursor, which serves a short first batch from the live map and pins a copy-on-write
// view only when the range holds more, so small scans never make later writes clone chunks.

import type { ResolvedRange } from '../key-range.ts'
import type { Bytes } from '../ordered-store.ts'
import type { EngineCursor } from '../store-engine.ts'
import { type Chunk, lastPosition, type Position, searchKey, seekBackward, seekForward } from './sorted-chunks.ts'

const FIRST_BATCH = 64
const BATCH = 1024

/** A range in search-key form: each bound converted once, compared as strings per entry. */
interface SearchRange {
  gt?: string
  gte?: string
  lt?: string
  lte?: string
  reverse: boolean
}

function toSearchRange(range: ResolvedRange): SearchRange {
  const out: SearchRange = { reverse: range.reverse }
  if (range.gt !== undefined) out.gt = searchKey(range.gt)
  if (range.gte !== undefined) out.gte = searchKey(range.gte)
  if (range.lt !== undefined) out.lt = searchKey(range.lt)
  if (range.lte !== undefined) out.lte = searchKey(range.lte)
  return out
}

function isAboveLower(k: string, r: SearchRange): boolean {
  return r.gt !== undefined ? k > r.gt : r.gte === undefined || k >= r.gte
}

function isBelowUpper(k: string, r: SearchRange): boolean {
  return r.lt !== undefined ? k < r.lt : r.lte === undefined || k <= r.lte
}

export class HeapScan<T> {
  isDone = false
  #chunks: readonly Chunk[]
  readonly #range: SearchRange
  readonly #make: (key: Bytes, value: Bytes) => T
  #pos: Position
  #remaining: number

  constructor(chunks: readonly Chunk[], range: ResolvedRange, make: (key: Bytes, value: Bytes) => T) {
    this.#chunks = chunks
    this.#range = toSearchRange(range)
    this.#make = make
    this.#remaining = range.limit
    this.#pos = startPosition(chunks, this.#range)
    this.#checkDone()
  }

  /** Continue on another chunk list holding the same entries (a frozen copy of the live one). */
  rebase(chunks: readonly Chunk[]): void {
    this.#chunks = chunks
  }

  read(max: number): T[] {
    const out: T[] = []
    if (this.isDone) return out
    const chunks = this.#chunks
    const range = this.#range
    const n = Math.min(max, this.#remaining)
    let { ci, i } = this.#pos
    if (!range.reverse) {
      while (out.length < n && ci < chunks.length) {
        const c = chunks[ci]!
        out.push(this.#make(c.bytes[i]!, c.values[i]!))
        if (++i >= c.keys.length) {
          ci++
          i = 0
        }
        if (ci < chunks.length && !isBelowUpper(chunks[ci]!.keys[i]!, range)) ci = chunks.length
      }
    } else {
      while (out.length < n && ci >= 0) {
        const c = chunks[ci]!
        out.push(this.#make(c.bytes[i]!, c.values[i]!))
        if (--i < 0 && --ci >= 0) i = chunks[ci]!.keys.length - 1
        if (ci >= 0 && !isAboveLower(chunks[ci]!.keys[i]!, range)) ci = -1
      }
    }
    this.#pos = { ci, i }
    this.#remaining -= out.length
    this.#checkDone()
    return out
  }

  #checkDone(): void {
    const { ci, i } = this.#pos
    const range = this.#range
    if (this.#remaining <= 0 || ci < 0 || ci >= this.#chunks.length) this.isDone = true
    else {
      const k = this.#chunks[ci]!.keys[i]!
      this.isDone = range.reverse ? !isAboveLower(k, range) : !isBelowUpper(k, range)
    }
  }
}

function startPosition(chunks: readonly Chunk[], range: SearchRange): Position {
  if (!range.reverse) {
    if (range.gt !== undefined) return seekForward(chunks, range.gt, true)
    if (range.gte !== undefined) return seekForward(chunks, range.gte, false)
    return { ci: 0, i: 0 }
  }
  if (range.lt !== undefined) return seekBackward(chunks, range.lt, true)
  if (range.lte !== undefined) return seekBackward(chunks, range.lte, false)
  return lastPosition(chunks)
}

/** Where a cursor reads: the live map (pin() freezes it) or a snapshot (pin() returns it as is). */
export interface HeapSource {
  assertOpen(): void
  chunks(): readonly Chunk[]
  pin(): { chunks: readonly Chunk[]; release: () => void }
}

/**
 * An iterator abandoned mid-way (neither finished nor broken out of) keeps its view pinned: writes
 * still work, but clone each chunk they touch once per later snapshot.
 */
export class HeapCursor<T> implements EngineCursor<T> {
  readonly #source: HeapSource
  readonly #range: ResolvedRange
  readonly #make: (key: Bytes, value: Bytes) => T
  #scan: HeapScan<T> | undefined
  #release: (() => void) | undefined

  constructor(source: HeapSource, range: ResolvedRange, make: (key: Bytes, value: Bytes) => T) {
    this.#source = source
    this.#range = range
    this.#make = make
  }

  async nextBatch(): Promise<T[]> {
    this.#source.assertOpen()
    if (this.#scan !== undefined) return this.#scan.read(BATCH)
    // Everything below runs in one synchronous step, so the pinned view equals what was read.
    const scan = new HeapScan(this.#source.chunks(), this.#range, this.#make)
    this.#scan = scan
    const batch = scan.read(FIRST_BATCH)
    if (!scan.isDone) {
      const pinned = this.#source.pin()
      scan.rebase(pinned.chunks)
      this.#release = pinned.release
    }
    return batch
  }

  async close(): Promise<void> {
    this.#release?.()
    this.#release = undefined
  }
}
