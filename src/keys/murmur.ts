// Flink's MathUtils.murmurHash(int): the key-group scrambler applied to a key's hashCode.
// It is 32-bit MurmurHash3 (seed 0) over the 4 little-endian bytes of one int, made non-negative.

/** Bit-identical to Flink's `MathUtils.murmurHash(int)`; `code` is taken as int32. Result 0..2^31-1. */
export function murmurHash(code: number): number {
  // One body block: k1 = code.
  let h = Math.imul(code | 0, 0xcc9e2d51)
  h = (h << 15) | (h >>> 17)
  h = Math.imul(h, 0x1b873593)
  // h1 = 0 (the seed) ^ k1, then the block's mixing of h1.
  h = (h << 13) | (h >>> 19)
  h = (Math.imul(h, 5) + 0xe6546b64) | 0
  // Finalisation: length 4, then the fmix32 avalanche.
  h ^= 4
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  // Java's `if (h >= 0) h; else if (h != Integer.MIN_VALUE) -h; else 0` (h is int32 here).
  if (h >= 0) return h
  return h === -0x80000000 ? 0 : -h
}
