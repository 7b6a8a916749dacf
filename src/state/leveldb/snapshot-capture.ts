// Copy-on-access snapshots of a LevelStateTable, so the processing pause of a checkpoint does not
// grow with the state (Flink's heap backend gets the same from copy-on-write state maps).
//
// At the barrier the table freezes its dirty list as a whole — O(1), nothing is encoded — and the
// values of the frozen entries are captured (msgpack-encoded, as of the barrier) only later:
//   - by the task, right before it would change or hand out such an entry (a write, a get whose
//     result user code may mutate in place, an eviction), so the barrier value is never lost;
//   - by the snapshot's asynchronous phase for all the others, a slice at a time.
// A captured value goes into the snapshot's overlay, and the table places the entry (`placed`): a
// checkpoint's on its list of captured values not on disk yet, which go down only when evicted or
// flushed — not at once, which wrote every value a checkpoint captured to LevelDB a second time
// whenever it changed again before its eviction (a third more LevelDB writes under a checkpoint
// every second).
//
//   barrier ─► frozen lists ──capture (access / async slice)──► captured overlay + placed
//
// A full snapshot's entries are then the pinned LevelDB view merged with the overlay: the batches
// that were not on disk at the barrier (oldest first) and the captured values (newest). The overlay
// is bucketed by key group in slices and each bucket sorted only when the merge reaches it, so no
// step runs longer than a slice (Slicer) however many keys were dirty.
//
// A delta (incremental checkpoint) needs no merge: its captured values are framed at once into one
// growing buffer per key group (FramedGroups), behind the batches sent down since its base, and the
// delta file copies those bytes as they are. No object per captured value outlives the capture, so
// a checkpoint every second of tens of thousands of changed keys leaves the GC nothing to promote.
import { encodeMsgpack } from '@livestate/client'
import { type FramedGroup, FramedGroups, keyGroupOfKey, parseRecords } from '../framed-records.ts'
import type { KeyRange, StoreSnapshot } from '../../../storage/ordered-store.ts'
import type { SnapshotEntry, TableSnapshot } from '../state-table.ts'
import type { CacheEntry, DirtyList } from './object-cache.ts'
import type { Batch } from './write-behind.ts'

/** About how long (ms) a snapshot's asynchronous phase works before it lets the task run again. */
const SLICE_MS = 4
/** Units of work between two looks at the clock. */
const CHECK_EVERY = 64
/** Entries per chunk handed to the snapshot's writer. */
const CHUNK = 512
/** Frozen entries the asynchronous phase captures between looks at its Slicer. */
const CAPTURE_STEP = 32

/** Overlay entries of one key group by binary-string key (null: deleted). */
export type Bucket = Map<string, Uint8Array | null>

export class SnapshotCapture {
  /** Barrier-time values of the frozen entries captured so far, by key group (a full snapshot's). */
  readonly captured = new Map<number, Bucket>()

  constructor(
    /** The lists frozen at the barrier (their entries hold barrier values until captured). */
    readonly frozen: DirtyList[],
    /** A captured entry is off its frozen list: the table puts it where it belongs now. */
    private readonly placed: (e: CacheEntry, from: DirtyList) => void,
    /** A delta's captured values go here instead, framed as its file holds them. */
    readonly framed?: FramedGroups,
  ) {}

  /** Whether entries on `list` wait to be captured. */
  holds(list: DirtyList): boolean {
    for (const f of this.frozen) if (f === list) return true
    return false
  }

  /** Captures one frozen entry (it has not been changed since the barrier). */
  capture(e: CacheEntry): void {
    const from = e.dirtyList!
    from.remove(e)
    const bytes = e.value === undefined ? null : encodeMsgpack(e.value)
    if (this.framed !== undefined) this.framed.add(e.key, bytes)
    else {
      const kg = keyGroupOfKey(e.key)
      let bucket = this.captured.get(kg)
      if (bucket === undefined) this.captured.set(kg, (bucket = new Map()))
      bucket.set(e.key, bytes)
    }
    this.placed(e, from)
  }

  /** Captures up to `n` frozen entries; false once none is left. */
  captureSome(n: number): boolean {
    let left = n
    for (const list of this.frozen) {
      while (left > 0) {
        const e = list.peek()
        if (e === undefined) break
        this.capture(e)
        left--
      }
    }
    return this.frozen.some((f) => f.size > 0)
  }

  captureAll(): void {
    this.captureSome(Number.POSITIVE_INFINITY)
  }

  /** Captures every frozen entry left, a slice at a time (the snapshot's asynchronous phase). */
  async captureSliced(): Promise<void> {
    const slicer = new Slicer()
    while (this.captureSome(CAPTURE_STEP)) {
      const pause = slicer.tick(CAPTURE_STEP)
      if (pause) await pause
    }
  }
}

/** A delta against checkpoint `base`: the batches sent down since its barrier, then the captured values. */
export function deltaSnapshot(
  base: number,
  since: readonly Batch[],
  capture: SnapshotCapture,
  kgStart: number,
  kgEnd: number,
): TableSnapshot {
  const groups = () => framedDelta(since, capture, kgStart, kgEnd)
  return {
    deltaOf: base,
    framed: groups,
    entries: () => framedEntries(groups()),
    release: async () => {},
  }
}

/**
 * A full snapshot: the pinned LevelDB view (`snap`, none while a replaced range is cleared: disk
 * counts as empty) within `range`, merged with the batches not on disk and the captured values.
 */
export function fullSnapshot(
  snap: StoreSnapshot | undefined,
  range: KeyRange,
  strip: (stored: Uint8Array) => Uint8Array,
  notOnDisk: readonly Batch[],
  capture: SnapshotCapture,
  kgStart: number,
  kgEnd: number,
): TableSnapshot {
  return {
    entries: async function* () {
      await capture.captureSliced()
      const buckets = await overlayBuckets(notOnDisk, capture.captured, kgStart, kgEnd)
      yield* mergeBuckets(snap ? snap.iterator(range) : NO_ENTRIES(), strip, buckets)
    },
    release: async () => {
      await snap?.close()
    },
  }
}

async function* NO_ENTRIES(): AsyncIterable<[Uint8Array, Uint8Array]> {}

export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/**
 * Cuts a snapshot's asynchronous work into slices of about SLICE_MS, each followed by a turn of the
 * event loop: no slice stalls the task longer than that, and under load (where every turn is long)
 * the work still takes few turns. `tick(n)` after n units of work: a promise to await, or undefined.
 */
export class Slicer {
  private units = 0
  private deadline = performance.now() + SLICE_MS

  tick(n = 1): Promise<void> | undefined {
    this.units += n
    if (this.units < CHECK_EVERY) return undefined
    this.units = 0
    if (performance.now() < this.deadline) return undefined
    return nextTurn().then(() => {
      this.deadline = performance.now() + SLICE_MS
    })
  }
}

/**
 * The overlay of a snapshot within key groups [kgStart, kgEnd]: the batches not on disk at the
 * barrier (oldest first), then the captured values on top (newest). The captured buckets are used as
 * they are unless a batch holds keys of the same key group. Yields to the event loop between slices.
 */
export async function overlayBuckets(
  notOnDisk: readonly Batch[],
  captured: Map<number, Bucket>,
  kgStart: number,
  kgEnd: number,
): Promise<Map<number, Bucket>> {
  const buckets = new Map<number, Bucket>()
  const slicer = new Slicer()
  for (const batch of notOnDisk) {
    for (const [k, v] of batch) {
      const pause = slicer.tick()
      if (pause) await pause
      const kg = keyGroupOfKey(k)
      if (kg < kgStart || kg > kgEnd) continue
      let bucket = buckets.get(kg)
      if (bucket === undefined) buckets.set(kg, (bucket = new Map()))
      bucket.set(k, v)
    }
  }
  for (const [kg, bucket] of captured) {
    if (kg < kgStart || kg > kgEnd) continue
    const older = buckets.get(kg)
    if (older === undefined) {
      buckets.set(kg, bucket)
      continue
    }
    for (const [k, v] of bucket) {
      const pause = slicer.tick()
      if (pause) await pause
      older.set(k, v)
    }
  }
  return buckets
}

/**
 * Merges the pinned disk view (byte order; `strip` drops the table's own key prefix) with the
 * bucketed overlay: the overlay wins on equal keys and its nulls delete. Disk keys are compared as
 * bytes, so a key the overlay does not touch costs no string.
 */
export async function* mergeBuckets(
  disk: AsyncIterable<[Uint8Array, Uint8Array]>,
  strip: (stored: Uint8Array) => Uint8Array,
  buckets: Map<number, Bucket>,
): AsyncIterable<SnapshotEntry[]> {
  const groups = [...buckets.keys()].sort((a, b) => a - b)
  let g = 0
  let run: [string, Uint8Array | null][] = []
  let i = 0
  /** The next overlay entry's key as bytes (undefined: none left), sorting a bucket when reached. */
  let headKey: Buffer | undefined
  const advance = (): void => {
    while (i >= run.length) {
      if (g >= groups.length) {
        headKey = undefined
        return
      }
      run = [...buckets.get(groups[g++]!)!].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      i = 0
    }
    headKey = Buffer.from(run[i]![0], 'latin1')
  }
  advance()
  const slicer = new Slicer()
  let chunk: SnapshotEntry[] = []
  for await (const [stored, v] of disk) {
    const k = strip(stored)
    let c = -1
    while (headKey !== undefined && (c = Buffer.compare(headKey, k)) < 0) {
      const value = run[i++]![1]
      if (value !== null) chunk.push([headKey, value])
      advance()
    }
    if (headKey !== undefined && c === 0) {
      const value = run[i++]![1]
      if (value !== null) chunk.push([k, value])
      advance()
    } else chunk.push([k, v])
    if (chunk.length >= CHUNK) {
      yield chunk
      chunk = []
    }
    const pause = slicer.tick()
    if (pause) await pause
  }
  while (headKey !== undefined) {
    const value = run[i++]![1]
    if (value !== null) chunk.push([headKey, value])
    advance()
    if (chunk.length >= CHUNK) {
      yield chunk
      chunk = []
    }
    const pause = slicer.tick()
    if (pause) await pause
  }
  if (chunk.length > 0) yield chunk
}

/**
 * A delta's records within key groups [kgStart, kgEnd], framed: per key group (ascending) the batches
 * sent down since its base (oldest first), then the values captured at its barrier, so a key in both
 * ends with the captured (newer) one. Finishes the capture first; yields between slices.
 */
export async function* framedDelta(
  since: readonly Batch[],
  capture: SnapshotCapture,
  kgStart: number,
  kgEnd: number,
): AsyncIterable<FramedGroup> {
  const older = new FramedGroups()
  const slicer = new Slicer()
  for (const batch of since)
    for (const [k, v] of batch) {
      const pause = slicer.tick()
      if (pause) await pause
      const kg = keyGroupOfKey(k)
      if (kg >= kgStart && kg <= kgEnd) older.add(k, v)
    }
  await capture.captureSliced()
  const a = older.groups(kgStart, kgEnd)
  const b = capture.framed!.groups(kgStart, kgEnd)
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]!.kg <= b[j]!.kg)) yield a[i++]!
    else yield b[j++]!
    const pause = slicer.tick(CHUNK)
    if (pause) await pause
  }
}

/** Framed groups as entries, in chunks (a delta read as entries: deletions as null). */
export async function* framedEntries(groups: AsyncIterable<FramedGroup>): AsyncIterable<SnapshotEntry[]> {
  for await (const g of groups) {
    let chunk: SnapshotEntry[] = []
    for (const entry of parseRecords(g.bytes, `key group ${g.kg}`)) {
      chunk.push(entry)
      if (chunk.length >= CHUNK) {
        yield chunk
        chunk = []
      }
    }
    if (chunk.length > 0) yield chunk
  }
}
