// Java's hashCode for the boxed types Flink keys by: String, Integer, Long, Double, Boolean.
// All results are int32 JS numbers, bit-identical to the JVM's (String.hashCode over UTF-16 units).

/** Java `String.hashCode`: s[0]*31^(n-1) + … + s[n-1] over UTF-16 code units, int32 arithmetic. */
export function stringHashCode(s: string): number {
  let h = 0
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0
  return h
}

/** Java `Integer.hashCode`: the value itself (`n` is taken as int32, so -0 gives 0). */
export function intHashCode(n: number): number {
  return n | 0
}

/** Java `Long.hashCode`: `(int) (value ^ (value >>> 32))`; `b` is taken as int64 (two's complement). */
export function longHashCode(b: bigint): number {
  // Only the low 32 bits survive the (int) cast: low word ^ high word. `>>` vs Java's `>>>` differ
  // only above bit 31 of the shifted value, which the cast drops.
  return Number(BigInt.asIntN(32, b ^ (b >> 32n)))
}

const TWO_32 = 2 ** 32

/**
 * Java `Long.hashCode` of a safe integer held in a JS number, without a BigInt: the same result as
 * `longHashCode(BigInt(n))` for every `Number.isSafeInteger(n)`.
 */
export function longHashCodeOfSafeInteger(n: number): number {
  const high = Math.floor(n / TWO_32) // two's complement high word (|high| < 2^21)
  const low = n - high * TWO_32 // 0 .. 2^32-1
  return (high ^ low) | 0
}

/** Java `Boolean.hashCode`. */
export function booleanHashCode(b: boolean): number {
  return b ? 1231 : 1237
}

const doubleBits = new DataView(new ArrayBuffer(8))
const CANONICAL_NAN_HASH = 0x7ff80000 // doubleToLongBits(NaN) = 0x7ff8000000000000

/** Java `Double.hashCode`: `bits ^ (bits >>> 32)` of `doubleToLongBits` (one canonical NaN). */
export function doubleHashCode(n: number): number {
  if (Number.isNaN(n)) return CANONICAL_NAN_HASH
  doubleBits.setFloat64(0, n)
  return doubleBits.getInt32(0) ^ doubleBits.getInt32(4)
}
