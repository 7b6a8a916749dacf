// Incremental checkpoints of keyed state (in the spirit of Flink's changelog state backend): a state's
// files in a checkpoint form a chain — one full file, then the delta files of the checkpoints after
// it, each holding only the keys changed since the one before (tombstones for deletions). A chain is
// read as one view by merging, newest file winning; a long chain is compacted into a new full file
// off the task thread (chain-compaction.ts).
//
//   chk-3: full₃            chk-4: full₃ + Δ₄          chk-5: full₃ + Δ₄ + Δ₅ ──compact──► full₅
//
// Files stay in the directory of the checkpoint that wrote them; a later checkpoint's manifest names
// them as ../chk-<id>/<file>, and retention keeps every directory a retained manifest names.
import { join } from 'node:path'
import { parseRecords, readKeyGroupBytes, type StateFileHandle } from './state-file.ts'

/** The files of a state's chain, oldest (the full file) first. */
export function chainOf(handle: StateFileHandle): StateFileHandle[] {
  return handle.base ? [...handle.base, handle] : [handle]
}

/** A file of checkpoint `checkpointId`'s manifest, named from any sibling checkpoint directory. */
export function fromSibling(file: string, checkpointId: number): string {
  return file.startsWith('../') ? file : `../chk-${checkpointId}/${file}`
}

/** The checkpoint directory (chk-<id>) a manifest file name points into, if it is not the manifest's own. */
export function siblingOf(file: string): string | undefined {
  return /^\.\.\/(chk-\d+)\//.exec(file)?.[1]
}

/** Entries per chunk of readChainChunks. */
const CHUNK = 1024

/**
 * The entries of a state within key groups [kgStart, kgEnd] as of the chain's newest file: full
 * records, byte order, no tombstones, in chunks. The deltas are folded in memory first (a chain is
 * compacted before its deltas outgrow a fraction of the full file), then merged with the full file's
 * records; apart from the file reads, the merge runs synchronously a chunk at a time.
 */
export async function* readChainChunks(
  dir: string,
  handle: StateFileHandle,
  kgStart: number,
  kgEnd: number,
): AsyncIterable<[Uint8Array, Uint8Array][]> {
  const [full, ...deltas] = chainOf(handle)
  if (full!.deltaOf !== undefined) throw new Error(`${full!.file}: a chain must start with a full file`)
  const overlay = new Map<string, Uint8Array | null>()
  for (const d of deltas) {
    const bytes = await readKeyGroupBytes(join(dir, d.file), d, kgStart, kgEnd)
    if (bytes === undefined) continue
    for (const [k, v] of parseRecords(bytes, d.file))
      overlay.set(Buffer.from(k.buffer, k.byteOffset, k.length).toString('latin1'), v)
  }
  const base = await readKeyGroupBytes(join(dir, full!.file), full!, kgStart, kgEnd)
  const merged = mergeOverlay(base ? parseRecords(base, full!.file) : [], sortedOverlay(overlay), full!.file)
  let chunk: [Uint8Array, Uint8Array][] = []
  for (const e of merged) {
    chunk.push(e)
    if (chunk.length >= CHUNK) {
      yield chunk
      chunk = []
    }
  }
  if (chunk.length > 0) yield chunk
}

/** readChainChunks one entry at a time. */
export async function* readChain(
  dir: string,
  handle: StateFileHandle,
  kgStart: number,
  kgEnd: number,
): AsyncIterable<[Uint8Array, Uint8Array]> {
  for await (const chunk of readChainChunks(dir, handle, kgStart, kgEnd)) yield* chunk
}

function sortedOverlay(overlay: Map<string, Uint8Array | null>): [string, Uint8Array | null][] {
  return [...overlay].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
}

/** Merges a sorted full file with a sorted overlay (binary-string keys): the overlay wins, its nulls delete. */
function* mergeOverlay(
  base: Iterable<[Uint8Array, Uint8Array | null]>,
  overlay: [string, Uint8Array | null][],
  what: string,
): Iterable<[Uint8Array, Uint8Array]> {
  let i = 0
  let head = overlay.length > 0 ? Buffer.from(overlay[0]![0], 'latin1') : undefined
  const next = () => {
    i++
    head = i < overlay.length ? Buffer.from(overlay[i]![0], 'latin1') : undefined
  }
  for (const [k, v] of base) {
    if (v === null) throw new Error(`${what}: a full state file holds a deletion`)
    let c = -1
    while (head !== undefined && (c = Buffer.compare(head, k)) < 0) {
      const value = overlay[i]![1]
      if (value !== null) yield [head, value]
      next()
    }
    if (head !== undefined && c === 0) {
      const value = overlay[i]![1]
      if (value !== null) yield [k, value]
      next()
    } else yield [k, v]
  }
  while (head !== undefined) {
    const value = overlay[i]![1]
    if (value !== null) yield [head, value]
    next()
  }
}

/** Bytes of the deltas of a chain against its full file: when to compact. */
export function chainWeight(handle: StateFileHandle): { deltas: number; deltaBytes: number; fullBytes: number } {
  const [full, ...deltas] = chainOf(handle)
  return { deltas: deltas.length, deltaBytes: deltas.reduce((n, d) => n + d.size, 0), fullBytes: full!.size }
}
