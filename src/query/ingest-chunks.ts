// The events of an IngestLog as stored: one LevelDB record per synced group-commit write, a chunk
// keyed by its first offset (like a Kafka segment, at the size of a group commit). Writing costs one
// put per write, not per event, and truncating behind a checkpoint deletes a few chunks, not an event
// at a time (per-event keys left a tombstone per event for LevelDB to compact: 30% of a
// checkpointing job's CPU at full load).
//
//   [0x04][first offset: 8 bytes BE] → [u32 events] then, per append, [u32 bytes][msgpack array]
//
// (0x01 held one event per key, in the format before chunks.)
import { decodeMsgpack } from '@livestate/client'
import type { BatchOp, OrderedStore } from '../../storage/ordered-store.ts'

const LEGACY_EVENTS = Uint8Array.of(0x01)
const LEGACY_EVENTS_END = Uint8Array.of(0x02)
const CHUNKS = 0x04
const CHUNKS_END = Uint8Array.of(CHUNKS + 1)

function chunkKey(offset: number): Uint8Array {
  const b = new Uint8Array(9)
  b[0] = CHUNKS
  new DataView(b.buffer).setBigUint64(1, BigInt(offset))
  return b
}

function offsetOf(key: Uint8Array): number {
  return Number(new DataView(key.buffer, key.byteOffset + 1, 8).getBigUint64(0))
}

function chunkCount(chunk: Uint8Array): number {
  return new DataView(chunk.buffer, chunk.byteOffset, 4).getUint32(0)
}

/** The events of one append, encoded when admitted (user code may change the objects later). */
export interface Piece {
  bytes: Uint8Array
  count: number
}

/** The put of one chunk: the appends `pieces`, whose last event is just before `end`. */
export function chunkPut(pieces: Piece[], end: number): BatchOp {
  let bytes = 4
  let count = 0
  for (const p of pieces) {
    bytes += 4 + p.bytes.length
    count += p.count
  }
  const value = Buffer.allocUnsafe(bytes)
  value.writeUInt32BE(count, 0)
  let at = 4
  for (const p of pieces) {
    value.writeUInt32BE(p.bytes.length, at)
    value.set(p.bytes, at + 4)
    at += 4 + p.bytes.length
  }
  return { type: 'put', key: chunkKey(end - count), value }
}

/** A chunk's events, fresh objects in offset order. */
function decodeChunk(chunk: Uint8Array): unknown[] {
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength)
  const events: unknown[] = []
  for (let at = 4; at < chunk.length; ) {
    const n = view.getUint32(at)
    for (const e of decodeMsgpack(chunk.subarray(at + 4, at + 4 + n)) as unknown[]) events.push(e)
    at += 4 + n
  }
  return events
}

/** Where a read stopped: the rest of the chunk it decoded. */
interface ChunkCursor {
  /** Offset of events[i]. */
  next: number
  events: unknown[]
  i: number
}

export class StoredChunks {
  /** The chunk the last read stopped in, so a reader going on does not decode it again. */
  private cursor: ChunkCursor | undefined
  /** Chunks before this offset are deleted: the next truncation clears only from here. */
  private clearedTo = 0
  private clearing: Promise<void> = Promise.resolve()

  constructor(private readonly store: OrderedStore) {}

  /**
   * The offset after the last stored event (0: none). Refuses a store in the format before chunks
   * (`location` names it) rather than skip its events.
   */
  static async end(store: OrderedStore, location: string): Promise<number> {
    for await (const _ of store.iterator({ gte: LEGACY_EVENTS, lt: LEGACY_EVENTS_END, limit: 1 })) {
      throw new Error(
        `the ingest log in ${location} holds events stored one per key by an earlier livestate; let that version run until its job has read them, or remove ${location} to drop them`,
      )
    }
    for await (const [k, v] of store.iterator({ gte: chunkKey(0), lt: CHUNKS_END, reverse: true, limit: 1 }))
      return offsetOf(k) + chunkCount(v)
    return 0
  }

  /** Up to `max` stored events from `offset` on (before `end`). */
  async read(offset: number, max: number, end: number): Promise<{ offset: number; value: unknown }[]> {
    const out: { offset: number; value: unknown }[] = []
    // a cursor hands each decoded event out once: a rewound reader decodes its chunk again (fresh objects)
    let c = this.cursor?.next === offset ? this.cursor : undefined
    this.cursor = undefined
    while (out.length < max && offset < end) {
      c ??= await this.chunkFrom(offset)
      if (c === undefined) break
      for (; c.i < c.events.length && out.length < max; c.i++, c.next++) {
        out.push({ offset: c.next, value: c.events[c.i] })
        c.events[c.i] = undefined
      }
      offset = c.next
      if (c.i < c.events.length) this.cursor = c
      c = undefined
    }
    return out
  }

  /** The last stored chunk starting at or before `offset` (and at or after `from`). */
  private async chunkAtOrBefore(offset: number, from = 0): Promise<[number, Uint8Array] | undefined> {
    const range = { gte: chunkKey(from), lte: chunkKey(offset), reverse: true, limit: 1 }
    for await (const [k, v] of this.store.iterator(range)) return [offsetOf(k), v]
    return undefined
  }

  /** The stored chunk holding `offset` (or the first one after it), decoded, at that offset. */
  private async chunkFrom(offset: number): Promise<ChunkCursor | undefined> {
    const before = await this.chunkAtOrBefore(offset)
    if (before !== undefined && before[0] + chunkCount(before[1]) > offset)
      return { next: offset, events: decodeChunk(before[1]), i: offset - before[0] }
    for await (const [k, v] of this.store.iterator({ gt: chunkKey(offset), lt: CHUNKS_END, limit: 1 }))
      return { next: offsetOf(k), events: decodeChunk(v), i: 0 }
    return undefined
  }

  /**
   * Deletes the chunks wholly before `offset`; the one that holds it goes at a later truncation.
   * Each clear starts where the one before stopped: LevelDB keeps deleted keys as tombstones until
   * a compaction, so a clear from offset 0 would walk them all, each time.
   */
  truncateBefore(offset: number): Promise<void> {
    if (this.cursor !== undefined && this.cursor.next < offset) this.cursor = undefined
    const done = this.clearing.then(() => this.clearBefore(offset))
    this.clearing = done.catch(() => {})
    return done
  }

  private async clearBefore(offset: number): Promise<void> {
    const from = this.clearedTo
    const last = await this.chunkAtOrBefore(offset, from)
    if (last === undefined) return
    const to = last[0] + chunkCount(last[1]) <= offset ? last[0] + 1 : last[0]
    if (to <= from) return
    this.clearedTo = to
    try {
      await this.store.clear({ gte: chunkKey(from), lt: chunkKey(to) })
    } catch (e) {
      if (this.clearedTo === to) this.clearedTo = from
      throw e
    }
  }
}
