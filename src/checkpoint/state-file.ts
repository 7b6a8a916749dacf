// Snapshot files of keyed state: framed records [u32 keyLen][key][u32 valLen][value], sorted by
// stored key so each key group is one contiguous segment; the index (kg → offset, length) and the
// sha256 of the file go into the checkpoint manifest. Written then fsynced before any ack.
// A delta file (an incremental checkpoint, see state-chain.ts) also holds deletions (valLen
// TOMBSTONE, no value bytes) and is grouped by key group but not sorted within one; a key may appear
// in it more than once, and its last record wins (readers fold a delta in file order). Full files
// hold no deletions. The framing itself is state/framed-records.ts.
import { createHash } from 'node:crypto'
import { type FileHandle, open } from 'node:fs/promises'
import {
  type FramedGroup,
  framedSize,
  frameRecord,
  keyGroupOfKey,
  parseRecords,
  TOMBSTONE,
} from '../state/framed-records.ts'
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

export { parseRecords, TOMBSTONE }

const FLUSH_BYTES = 1 << 20

/**
 * Writes one state file: records (or runs of records copied as they are) go through one reused
 * buffer, 1 MiB at a time, into the file and its sha256; the key-group index is kept on the way.
 */
export class StateFileSink {
  private buf = Buffer.allocUnsafe(FLUSH_BYTES)
  private used = 0
  private readonly hash = createHash('sha256')
  private readonly index: [number, number, number][] = []
  private offset = 0
  private count = 0
  private kg = -1
  private kgStart = 0

  private constructor(
    private readonly fh: FileHandle,
    private readonly relative: string,
  ) {}

  static async create(path: string, relative: string): Promise<StateFileSink> {
    return new StateFileSink(await open(path, 'w'), relative)
  }

  /** Records from here on belong to key group `kg` (groups come in ascending order). */
  group(kg: number): void {
    if (kg === this.kg) return
    if (this.kg >= 0) this.index.push([this.kg, this.kgStart, this.offset - this.kgStart])
    this.kg = kg
    this.kgStart = this.offset
  }

  /**
   * One record; the key group of a binary-string or byte key is its first two bytes. Returns a
   * promise only when the buffer had to be written out first (await it before the next record).
   */
  record(key: Uint8Array | string, value: Uint8Array | null): Promise<void> | undefined {
    const n = framedSize(key, value)
    if (this.used + n <= this.buf.length) {
      this.put(key, value, n)
      return undefined
    }
    return this.flush().then(() => {
      if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n)
      this.put(key, value, n)
    })
  }

  private put(key: Uint8Array | string, value: Uint8Array | null, n: number): void {
    this.group(keyGroupOfKey(key))
    this.used = frameRecord(this.buf, this.used, key, value)
    this.offset += n
    this.count++
  }

  /** `records` framed records of the current key group, copied as they are. */
  async raw(bytes: Uint8Array, records: number): Promise<void> {
    if (this.used + bytes.length > this.buf.length) await this.flush()
    if (bytes.length > this.buf.length) {
      this.hash.update(bytes)
      await this.fh.write(bytes)
    } else {
      this.buf.set(bytes, this.used)
      this.used += bytes.length
    }
    this.offset += bytes.length
    this.count += records
  }

  private async flush(): Promise<void> {
    if (this.used === 0) return
    const out = this.buf.subarray(0, this.used)
    this.hash.update(out)
    await this.fh.write(out)
    this.used = 0
  }

  /** Writes what is left, fsyncs (after `beforeFsync`) and closes: the file's handle. */
  async finish(beforeFsync?: () => void): Promise<StateFileHandle> {
    if (this.kg >= 0) this.index.push([this.kg, this.kgStart, this.offset - this.kgStart])
    this.kg = -1
    await this.flush()
    beforeFsync?.()
    await this.fh.sync()
    await this.fh.close()
    return {
      file: this.relative,
      size: this.offset,
      sha256: this.hash.digest('hex'),
      entries: this.count,
      index: this.index,
    }
  }

  /** Closes without finishing (an error on the way). */
  async abandon(): Promise<void> {
    await this.fh.close().catch(() => {})
  }
}

export function writeStateFile(
  path: string,
  relative: string,
  chunks: AsyncIterable<readonly SnapshotEntry[]>,
  beforeFsync?: () => void,
): Promise<StateFileHandle> {
  return writeWith(path, relative, beforeFsync, async (sink) => {
    for await (const chunk of chunks)
      for (const [key, value] of chunk) {
        const flushed = sink.record(key, value)
        if (flushed) await flushed
      }
  })
}

/** Writes one delta file from key groups already framed (ascending): their bytes are copied as they are. */
export function writeFramedStateFile(
  path: string,
  relative: string,
  groups: AsyncIterable<FramedGroup>,
  beforeFsync?: () => void,
): Promise<StateFileHandle> {
  return writeWith(path, relative, beforeFsync, async (sink) => {
    for await (const g of groups) {
      sink.group(g.kg)
      await sink.raw(g.bytes, g.records)
    }
  })
}

/** A new file's sink filled by `fill`, then finished (fsynced); abandoned if anything fails. */
async function writeWith(
  path: string,
  relative: string,
  beforeFsync: (() => void) | undefined,
  fill: (sink: StateFileSink) => Promise<void>,
): Promise<StateFileHandle> {
  const sink = await StateFileSink.create(path, relative)
  try {
    await fill(sink)
    return await sink.finish(beforeFsync)
  } catch (e) {
    await sink.abandon()
    throw e
  }
}

/** fsyncs a directory, so the names of the files just written in it survive a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
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
