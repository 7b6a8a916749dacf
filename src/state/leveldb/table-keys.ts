// Stored-key bytes of one LevelStateTable: [table prefix][binary-string key]. The prefix is the
// sublevel prefix of (operator uid, state name), byte for byte what storage's sublevel() would add
// ([name length][UTF-8 name] per level), but the table writes whole keys to the root store itself:
// one Buffer per key instead of a Buffer plus a prefixed copy, and classic-level takes Buffers on
// its fast path. Binary strings hold one byte per char (latin1).
import { prefixUpperBound } from '../../../storage/bytes.ts'
import type { KeyRange } from '../../../storage/ordered-store.ts'

/** The key prefix that `store.sublevel(a).sublevel(b)…` gives its keys. */
export function sublevelPrefix(names: readonly string[]): Buffer {
  const parts: Buffer[] = []
  for (const name of names) {
    const bytes = Buffer.from(name, 'utf8')
    if (name.length === 0 || bytes.length > 255)
      throw new TypeError(`sublevel name must be 1..255 UTF-8 bytes, got '${name}'`)
    parts.push(Buffer.from([bytes.length]), bytes)
  }
  return Buffer.concat(parts)
}

/** The least key above every key starting with `prefix` (undefined: empty or all 0xFF). */
export function upperBound(prefix: Uint8Array): Uint8Array | undefined {
  return prefixUpperBound(prefix)
}

export class TableKeys {
  private readonly length: number
  /** Above every key of the table (undefined: the prefix is empty or all 0xFF). */
  private readonly end: Uint8Array | undefined

  constructor(readonly prefix: Buffer = Buffer.alloc(0)) {
    this.length = prefix.length
    this.end = upperBound(prefix)
  }

  /** The stored key of a binary-string key. */
  of(chars: string): Buffer {
    const n = this.length
    const b = Buffer.allocUnsafe(n + chars.length)
    if (n > 0) this.prefix.copy(b, 0)
    b.write(chars, n, 'latin1')
    return b
  }

  /** The stored key of unprefixed key bytes (restore). */
  ofBytes(key: Uint8Array): Uint8Array {
    if (this.length === 0) return key
    const b = Buffer.allocUnsafe(this.length + key.length)
    this.prefix.copy(b, 0)
    b.set(key, this.length)
    return b
  }

  /** The binary-string key of a stored key. */
  chars(stored: Uint8Array): string {
    return Buffer.from(stored.buffer, stored.byteOffset + this.length, stored.byteLength - this.length).toString(
      'latin1',
    )
  }

  /** A stored key without the prefix (a view). */
  strip(stored: Uint8Array): Uint8Array {
    return this.length === 0 ? stored : stored.subarray(this.length)
  }

  /**
   * A range over the table, bounds given as binary-string keys: gt/gte `lower` (or from the table's
   * start), below `upper` (or to the table's end).
   */
  range(lower: { gt: string } | { gte: string } | undefined, upper: string | undefined): KeyRange {
    const r: KeyRange = {}
    if (lower === undefined) {
      if (this.length > 0) r.gte = this.prefix
    } else if ('gt' in lower) r.gt = this.of(lower.gt)
    else r.gte = this.of(lower.gte)
    if (upper !== undefined) r.lt = this.of(upper)
    else if (this.end !== undefined) r.lt = this.end
    return r
  }

  /** The range of the keys that extend `chars` (after `after` when given). */
  extending(chars: string, after?: string): KeyRange {
    const lower = this.of(after === undefined ? chars : chars + after)
    const upper = upperBound(this.of(chars))
    return upper === undefined ? { gt: lower } : { gt: lower, lt: upper }
  }
}
