// The record framing of snapshot (state) files: [u32 keyLen][key][u32 valLen][value], a deletion as
// valLen TOMBSTONE with no value bytes. It lives under state/ so a table can hand a checkpoint its
// changes already framed (FramedGroups), which the state file then copies as they are: no object per
// record on the way, which for a delta of tens of thousands of records a second is most of its cost.
import { keyGroupOfPrimary } from './namespace.ts'

/** valLen of a deleted key (delta files only). */
export const TOMBSTONE = 0xffffffff

/** Bytes a record takes framed; a string key is a binary string (one char per byte). */
export function framedSize(key: Uint8Array | string, value: Uint8Array | null): number {
  return 8 + key.length + (value === null ? 0 : value.length)
}

/** Frames one record into `buf` at `at` (room checked by the caller); returns the end. */
export function frameRecord(buf: Buffer, at: number, key: Uint8Array | string, value: Uint8Array | null): number {
  buf.writeUInt32BE(key.length, at)
  if (typeof key === 'string') buf.write(key, at + 4, 'latin1')
  else buf.set(key, at + 4)
  at += 4 + key.length
  if (value === null) {
    buf.writeUInt32BE(TOMBSTONE, at)
    return at + 4
  }
  buf.writeUInt32BE(value.length, at)
  buf.set(value, at + 4)
  return at + 4 + value.length
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

/** The key group of a stored key (its first two bytes). */
export function keyGroupOfKey(key: Uint8Array | string): number {
  return typeof key === 'string' ? keyGroupOfPrimary(key) : (key[0]! << 8) | key[1]!
}

/** The framed records of one key group, in the order they were added. */
export interface FramedGroup {
  kg: number
  bytes: Buffer
  records: number
}

interface Growing {
  buf: Buffer
  used: number
  records: number
}

const FIRST_BYTES = 1024

/**
 * Framed records by key group, each group one growing buffer: adding a record copies its bytes and
 * allocates nothing else, and the groups come out ascending, as a delta file lays them out.
 */
export class FramedGroups {
  private readonly byGroup = new Map<number, Growing>()
  records = 0

  add(key: string, value: Uint8Array | null): void {
    const kg = keyGroupOfKey(key)
    const n = framedSize(key, value)
    let g = this.byGroup.get(kg)
    if (g === undefined)
      this.byGroup.set(kg, (g = { buf: Buffer.allocUnsafe(Math.max(FIRST_BYTES, n)), used: 0, records: 0 }))
    else if (g.used + n > g.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(g.buf.length * 2, g.used + n))
      g.buf.copy(bigger, 0, 0, g.used)
      g.buf = bigger
    }
    g.used = frameRecord(g.buf, g.used, key, value)
    g.records++
    this.records++
  }

  /** The groups within [kgStart, kgEnd], ascending. */
  groups(kgStart = 0, kgEnd = 0xffff): FramedGroup[] {
    const out: FramedGroup[] = []
    for (const [kg, g] of this.byGroup)
      if (kg >= kgStart && kg <= kgEnd) out.push({ kg, bytes: g.buf.subarray(0, g.used), records: g.records })
    return out.sort((a, b) => a.kg - b.kg)
  }
}
