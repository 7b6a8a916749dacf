// Test support (not shipped code): fast-check arbitraries for keys, and naturalCompare, the
// written-out order the canonical key bytes must follow — an oracle independent of the codec.

import { fc } from '@fast-check/vitest'
import type { Key } from './key.ts'

export const INT64_MIN = -(1n << 63n)
export const INT64_MAX = (1n << 63n) - 1n

/** Characters that stress the codec: NUL (escaped), 01 (terminator byte), UTF-8 length edges. */
const trickyChars = fc.constantFrom(
  '\0',
  '\x01',
  'a',
  'b',
  '\x7f',
  '\x80',
  '\xff',
  '\u07ff',
  '\u0800',
  '\ud7ff',
  '\ue000',
  '\uffff',
  '\u{10000}',
  '\u{1f600}',
  '\u{10ffff}',
)

/** Well-formed strings: any code points, or short ones over tricky chars (shared prefixes likely). */
export const stringKey: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: trickyChars, maxLength: 6 }),
  fc.string({ unit: 'binary-ascii' }),
)

export const numberKey: fc.Arbitrary<number> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
  fc.constantFrom(0, -0, 1, -1, 0.5, -0.5, Number.MIN_VALUE, -Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE),
)

export const bigintKey: fc.Arbitrary<bigint> = fc.oneof(
  fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
  fc.bigInt({ min: -1000n, max: 1000n }),
  fc.constantFrom(INT64_MIN, INT64_MAX, 0n, -1n, 1n, 1n << 32n, -(1n << 32n)),
)

export const scalarKey: fc.Arbitrary<Key> = fc.oneof(stringKey, numberKey, bigintKey, fc.boolean())

export const anyKey: fc.Arbitrary<Key> = fc.letrec<{ key: Key }>((tie) => ({
  key: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalarKey,
    fc.array(tie('key'), { maxLength: 4 }) as fc.Arbitrary<Key>,
  ),
})).key

/** -0 → 0 throughout, the form decodeKey returns. */
export function normalizeKey(key: Key): Key {
  if (typeof key === 'number') return key === 0 ? 0 : key
  if (Array.isArray(key)) return key.map(normalizeKey)
  return key
}

const RANK: Record<string, number> = { string: 0, object: 1, bigint: 2, number: 3, boolean: 4 }

/** The intended key order: by type (string < array < bigint < number < boolean), then by value. */
export function naturalCompare(a: Key, b: Key): number {
  const ra = RANK[typeof a] as number
  const rb = RANK[typeof b] as number
  if (ra !== rb) return ra - rb
  if (typeof a === 'string') return compareCodePoints(a, b as string)
  if (Array.isArray(a)) {
    const bb = b as readonly Key[]
    for (let i = 0; i < Math.min(a.length, bb.length); i++) {
      const c = naturalCompare(a[i] as Key, bb[i] as Key)
      if (c !== 0) return c
    }
    return a.length - bb.length
  }
  const x = a as number | bigint | boolean
  const y = b as number | bigint | boolean
  return x < y ? -1 : x > y ? 1 : 0
}

function compareCodePoints(a: string, b: string): number {
  const ca = Array.from(a, (c) => c.codePointAt(0) as number)
  const cb = Array.from(b, (c) => c.codePointAt(0) as number)
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const d = (ca[i] as number) - (cb[i] as number)
    if (d !== 0) return d
  }
  return ca.length - cb.length
}
