// Byte-string helpers for ordered keys: memcmp order, prefix upper bounds, latin1 strings.
// The order is LevelDB's default comparator (bytewise, shorter first on a common prefix).

/** Bytewise comparison: negative, zero or positive like memcmp, a proper prefix sorting first. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number)
    if (d !== 0) return d
  }
  return a.length - b.length
}

/**
 * The smallest byte string greater than every string that starts with `prefix`, i.e. the
 * exclusive upper bound of a prefix scan. `undefined` when there is none (empty or all 0xFF).
 */
export function prefixUpperBound(prefix: Uint8Array): Uint8Array | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const b = prefix[i] as number
    if (b !== 0xff) {
      const out = prefix.slice(0, i + 1)
      out[i] = b + 1
      return out
    }
  }
  return undefined
}

/** The bytes as a JS string of one char per byte (latin1), e.g. for Map keys. */
export function bytesToBinaryString(bytes: Uint8Array): string {
  const CHUNK = 8192 // stays far below the engine's argument-count limit for apply()
  if (bytes.length <= CHUNK) return String.fromCharCode.apply(null, bytes as unknown as number[])
  let out = ''
  for (let i = 0; i < bytes.length; i += CHUNK) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK) as unknown as number[])
  }
  return out
}

/** Inverse of bytesToBinaryString; throws TypeError on a char above 0xFF. */
export function binaryStringToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c > 0xff) throw new TypeError(`binary string has a char above 0xFF at index ${i}`)
    out[i] = c
  }
  return out
}
