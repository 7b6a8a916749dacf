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
import { closeSync, openSync, readSync } from 'node:fs'
import { join } from 'node:path'
import { parseRecords, type StateFileHandle } from './state-file.ts'

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

/** One key group of a chain: the full file's records (bytes) and the deltas folded, sorted by key. */
export interface ChainSegment {
  kg: number
  base: Buffer | undefined
  overlay: [string, Uint8Array | null][]
}

/**
 * Reads a chain one key group at a time, so what it holds is one key group's records of each file
 * (about 1/maxParallelism of the state), whatever the size of the state or of its deltas. Reads are
 * synchronous positional reads of a few hundred KiB at most: a chain of many files made thousands of
 * small promise-based reads per restore, which under load were seen never to settle (two of them,
 * with nothing failing), stalling a restore for good; until that is understood, no FileHandle here.
 */
export class ChainReader {
  private constructor(
    private readonly files: { handle: StateFileHandle; fd: number; at: Map<number, [number, number]> }[],
    /** Key groups any file of the chain holds within the range, ascending. */
    readonly groups: number[],
  ) {}

  static open(dir: string, handle: StateFileHandle, kgStart: number, kgEnd: number): ChainReader {
    const chain = chainOf(handle)
    if (chain[0]!.deltaOf !== undefined) throw new Error(`${chain[0]!.file}: a chain must start with a full file`)
    const files: ChainReader['files'] = []
    const groups = new Set<number>()
    try {
      for (const h of chain) {
        const at = new Map<number, [number, number]>()
        for (const [kg, offset, length] of h.index) {
          if (kg < kgStart || kg > kgEnd) continue
          at.set(kg, [offset, length])
          groups.add(kg)
        }
        files.push({ handle: h, fd: openSync(join(dir, h.file), 'r'), at })
      }
    } catch (e) {
      for (const f of files) closeSync(f.fd)
      throw e
    }
    return new ChainReader(
      files,
      [...groups].sort((a, b) => a - b),
    )
  }

  segment(kg: number): ChainSegment {
    const [full, ...deltas] = this.files
    const folded = new Map<string, Uint8Array | null>()
    for (const d of deltas) {
      const bytes = this.read(d, kg)
      if (bytes === undefined) continue
      for (const [k, v] of parseRecords(bytes, d.handle.file))
        folded.set(Buffer.from(k.buffer, k.byteOffset, k.length).toString('latin1'), v)
    }
    const overlay = [...folded].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    return { kg, base: this.read(full!, kg), overlay }
  }

  private read(f: ChainReader['files'][number], kg: number): Buffer | undefined {
    const at = f.at.get(kg)
    if (at === undefined) return undefined
    const buf = Buffer.allocUnsafe(at[1])
    const bytesRead = readSync(f.fd, buf, 0, at[1], at[0])
    if (bytesRead !== at[1]) throw new Error(`${f.handle.file} is truncated (key group ${kg})`)
    return buf
  }

  close(): void {
    for (const f of this.files.splice(0)) closeSync(f.fd)
  }
}

/**
 * The entries of a state within key groups [kgStart, kgEnd] as of the chain's newest file: full
 * records, byte order, no tombstones, in chunks — one key group at a time (ChainReader): its deltas
 * folded, then merged with the full file's records, synchronously apart from the file reads.
 */
export async function* readChainChunks(
  dir: string,
  handle: StateFileHandle,
  kgStart: number,
  kgEnd: number,
): AsyncIterable<[Uint8Array, Uint8Array][]> {
  const reader = ChainReader.open(dir, handle, kgStart, kgEnd)
  try {
    let chunk: [Uint8Array, Uint8Array][] = []
    for (const kg of reader.groups) {
      const { base, overlay } = reader.segment(kg)
      for (const e of mergeOverlay(base ? parseRecords(base, handle.file) : [], overlay, handle.file)) {
        chunk.push(e)
        if (chunk.length >= CHUNK) {
          yield chunk
          chunk = []
        }
      }
    }
    if (chunk.length > 0) yield chunk
  } finally {
    reader.close()
  }
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
