// Snapshot files of keyed state: framed records [u32 keyLen][key][u32 valLen][value], sorted by
// stored key so each key group is one contiguous segment; the index (kg → offset, length) and the
// sha256 of the file go into the checkpoint manifest. Written then fsynced before any ack.
// A delta file (an incremental checkpoint, see state-chain.ts) also holds deletions (valLen
// TOMBSTONE, no value bytes) and is grouped by key group but not sorted within one. Full files
// hold no deletions.
import { createHash } from 'node:crypto'
import { open } from 'node:fs/promises'
import type { SnapshotEntry } from '../state/state-table.ts'

export interface StateFileHandle {
  /** Path relative to the checkpoint directory. */
  file: string
  size: number
  sha256: string
  entries: number
  /** [keyGroup, offset, length] per key group present, ascending. */
  index: [number, number, number][]
  /**
   * Set on a delta file: the changes (tombstones included) since the checkpoint with this id, whose
   * files for the same state and key groups it applies on top of.
   */
  deltaOf?: number
  /** In a manifest, on a delta file: the older files of its chain, oldest (a full file) first. */
  base?: StateFileHandle[]
}

/** valLen of a deleted key in a delta file. */
export const TOMBSTONE = 0xffffffff

const FLUSH_BYTES = 1 << 20

export async function writeStateFile(
  path: string,
  relative: string,
  chunks: AsyncIterable<readonly SnapshotEntry[]>,
  beforeFsync?: () => void,
): Promise<StateFileHandle> {
  const fh = await open(path, 'w')
  try {
    const hash = createHash('sha256')
    const index: [number, number, number][] = []
    // Records are copied into one reused buffer: no allocation per record.
    let buf = Buffer.allocUnsafe(FLUSH_BYTES)
    let used = 0
    let offset = 0
    let count = 0
    let kg = -1
    let kgStart = 0
    const write = async () => {
      if (used === 0) return
      const out = buf.subarray(0, used)
      hash.update(out)
      await fh.write(out)
      used = 0
    }
    for await (const chunk of chunks) {
      for (const [key, value] of chunk) {
        const binary = typeof key === 'string'
        const g = binary ? (key.charCodeAt(0) << 8) | key.charCodeAt(1) : (key[0]! << 8) | key[1]!
        if (g !== kg) {
          if (kg >= 0) index.push([kg, kgStart, offset - kgStart])
          kg = g
          kgStart = offset
        }
        const n = 8 + key.length + (value === null ? 0 : value.length)
        if (used + n > buf.length) {
          await write()
          if (n > buf.length) buf = Buffer.allocUnsafe(n)
        }
        buf.writeUInt32BE(key.length, used)
        if (binary) buf.write(key, used + 4, 'latin1')
        else buf.set(key, used + 4)
        if (value === null) buf.writeUInt32BE(TOMBSTONE, used + 4 + key.length)
        else {
          buf.writeUInt32BE(value.length, used + 4 + key.length)
          buf.set(value, used + 8 + key.length)
        }
        used += n
        offset += n
        count++
      }
    }
    if (kg >= 0) index.push([kg, kgStart, offset - kgStart])
    await write()
    beforeFsync?.()
    await fh.sync()
    return { file: relative, size: offset, sha256: hash.digest('hex'), entries: count, index }
  } finally {
    await fh.close()
  }
}

/** Entries one at a time → the chunks writeStateFile takes. */
export async function* inChunks(
  entries: AsyncIterable<SnapshotEntry> | Iterable<SnapshotEntry>,
  size = 512,
): AsyncIterable<SnapshotEntry[]> {
  let chunk: SnapshotEntry[] = []
  for await (const e of entries) {
    chunk.push(e)
    if (chunk.length >= size) {
      yield chunk
      chunk = []
    }
  }
  if (chunk.length > 0) yield chunk
}

/** The bytes of the key groups [kgStart, kgEnd] of a file (one read), undefined when it has none. */
export async function readKeyGroupBytes(
  path: string,
  handle: StateFileHandle,
  kgStart: number,
  kgEnd: number,
): Promise<Buffer | undefined> {
  const wanted = handle.index.filter(([kg]) => kg >= kgStart && kg <= kgEnd)
  if (wanted.length === 0) return undefined
  const fh = await open(path, 'r')
  try {
    const from = wanted[0]![1]
    const last = wanted[wanted.length - 1]!
    const to = last[1] + last[2]
    const buf = Buffer.allocUnsafe(to - from)
    const { bytesRead } = await fh.read(buf, 0, buf.length, from)
    if (bytesRead !== buf.length)
      throw new Error(`${path} is truncated (wanted ${buf.length} bytes at ${from}, got ${bytesRead})`)
    return buf
  } finally {
    await fh.close()
  }
}

/** Reads the records of the key groups [kgStart, kgEnd]. */
export async function* readKeyGroups(
  path: string,
  handle: StateFileHandle,
  kgStart: number,
  kgEnd: number,
): AsyncIterable<[Uint8Array, Uint8Array | null]> {
  const buf = await readKeyGroupBytes(path, handle, kgStart, kgEnd)
  if (buf) yield* parseRecords(buf, path)
}

/** The records of a file's bytes; null values are tombstones (delta files only). */
export function* parseRecords(buf: Buffer, what: string): Iterable<[Uint8Array, Uint8Array | null]> {
  let p = 0
  while (p < buf.length) {
    if (p + 4 > buf.length) throw new Error(`${what}: truncated record header at ${p}`)
    const kl = buf.readUInt32BE(p)
    p += 4
    const key = buf.subarray(p, p + kl)
    p += kl
    if (p + 4 > buf.length) throw new Error(`${what}: truncated record at ${p}`)
    const vl = buf.readUInt32BE(p)
    p += 4
    if (vl === TOMBSTONE) {
      yield [key, null]
      continue
    }
    if (p + vl > buf.length) throw new Error(`${what}: truncated value at ${p}`)
    yield [key, buf.subarray(p, p + vl)]
    p += vl
  }
}

/** sha256 of a whole file, to verify a checkpoint before restoring from it. */
export async function fileSha256(path: string): Promise<string> {
  const fh = await open(path, 'r')
  try {
    const hash = createHash('sha256')
    const buf = Buffer.allocUnsafe(1 << 20)
    for (let pos = 0; ; ) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos)
      if (bytesRead === 0) break
      hash.update(buf.subarray(0, bytesRead))
      pos += bytesRead
    }
    return hash.digest('hex')
  } finally {
    await fh.close()
  }
}
