// keyHashCode: the Java `hashCode()` Flink's KeyGroupRangeAssignment would see for a key, so that
// a key lands in the same key group as in Flink. Java types per JS value:
//
//   string                          → String.hashCode (UTF-16 units)                  [Flink]
//   number, integer in int32        → Integer.hashCode                                [Flink]
//   number, integer beyond int32 but safe (|n| < 2^53) → Long.hashCode                [Flink]
//   any other finite number         → Double.hashCode (fractions; integers ≥ 2^53,
//                                     which a JS number cannot hold exactly as a long) [Flink]
//   bigint (int64 only, see key.ts) → Long.hashCode                                   [Flink]
//   boolean                         → Boolean.hashCode (1231 / 1237)                  [Flink]
//   array                           → java.util.List.hashCode: h = 1; h = 31*h + hash(e) in int32.
//     Not Flink's Tuple2..25 hash (which starts from 0, not 1): arrays are our composite key, with
//     no Java counterpart to agree with, and List is the nearest general one.
//
// So 42 and 42n share a hash (Integer 42, Long 42) yet are different keys with different bytes.

import {
  booleanHashCode,
  doubleHashCode,
  longHashCode,
  longHashCodeOfSafeInteger,
  stringHashCode,
} from './java-hash.ts'
import type { Key } from './key.ts'
import { MAX_KEY_DEPTH, validateKey } from './key.ts'

/**
 * The Java hashCode of `key` (int32). Throws TypeError if `key` is not a valid key, except that
 * strings are not checked for lone surrogates here (hot path); encodeKey rejects those.
 */
export function keyHashCode(key: Key): number {
  if (typeof key === 'string') return stringHashCode(key) // the hot case first
  return otherHashCode(key, key, 0)
}

function otherHashCode(key: unknown, root: unknown, depth: number): number {
  switch (typeof key) {
    case 'string':
      return stringHashCode(key)
    case 'number':
      if ((key | 0) === key) return key | 0 // Integer.hashCode; `| 0` turns -0 into 0
      if (Number.isSafeInteger(key)) return longHashCodeOfSafeInteger(key)
      if (Number.isFinite(key)) return doubleHashCode(key)
      break
    case 'bigint':
      if (BigInt.asIntN(64, key) === key) return longHashCode(key)
      break
    case 'boolean':
      return booleanHashCode(key)
    case 'object':
      if (Array.isArray(key) && depth < MAX_KEY_DEPTH) {
        let h = 1
        for (let i = 0; i < key.length; i++) h = (Math.imul(31, h) + otherHashCode(key[i], root, depth + 1)) | 0
        return h
      }
  }
  validateKey(root) // throws the precise TypeError
  throw new TypeError('key cannot be hashed')
}
