import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { prefixUpperBound } from './bytes.ts'
import type { Key } from './key.ts'
import { anyKey, bigintKey, naturalCompare, normalizeKey, numberKey, stringKey } from './key-arbitraries.ts'
import {
  compareBytes,
  decodeKey,
  encodeKey,
  encodeKeyToBinaryString,
  encodeStringPrefix,
  TAG_NUMBER,
  TAG_STRING,
} from './key-codec.ts'

const sign = (n: number) => Math.sign(n) || 0
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]))
const startsWith = (a: Uint8Array, p: Uint8Array) => a.length >= p.length && p.every((x, i) => a[i] === x)
const bytes = fc.uint8Array({ maxLength: 12 })

describe('encodeKey / decodeKey round trip', () => {
  test.prop([anyKey], { numRuns: 2000 })('decodes every key to itself (-0 as 0)', (key) => {
    const enc = encodeKey(key)
    const { key: back, end } = decodeKey(enc)
    expect(back).toEqual(normalizeKey(key))
    expect(end).toBe(enc.length)
  })

  test.each<[string, Key]>([
    ['empty string', ''],
    ['NUL only', '\0'],
    ['NULs around text', '\0a\0\0b\0'],
    ['0x01 chars', '\x01\x01'],
    ['unicode', 'ünïcødé😀'],
    ['BOM first', '\ufeffx'],
    ['long ASCII', 'x'.repeat(100_000)],
    ['long unicode', 'é😀'.repeat(50_000)],
    ['zero', 0],
    ['max safe', Number.MAX_SAFE_INTEGER],
    ['smallest subnormal', Number.MIN_VALUE],
    ['int64 min', -(1n << 63n)],
    ['int64 max', (1n << 63n) - 1n],
    ['false', false],
    ['true', true],
    ['empty array', []],
    ['nested arrays', [[], [[]], ['a', [1, [2n, [true]]]]]],
    ['array of strings with NULs', ['\0', '', 'a\0']],
  ])('round-trips %s', (_, key) => {
    expect(decodeKey(encodeKey(key)).key).toEqual(key)
  })

  test('writes -0 as 0', () => {
    expect(hex(encodeKey(-0))).toBe(hex(encodeKey(0)))
    expect(Object.is(decodeKey(encodeKey(-0)).key, 0)).toBe(true)
  })

  test('writes ASCII strings as tag, chars, 00 01', () => {
    expect(hex(encodeKey('ab'))).toBe('02616200' + '01')
    expect(hex(encodeKey('a\0b'))).toBe('026100ff620001')
    expect(hex(encodeKey(['a', true]))).toBe('0502610001' + '27' + '00')
  })
})

describe('order: bytes compare like keys', () => {
  const samePair = <T>(a: fc.Arbitrary<T>) => fc.tuple(a, a)

  test.prop([samePair(stringKey)], { numRuns: 2000 })('strings by code point', ([a, b]) => {
    expect(sign(compareBytes(encodeKey(a), encodeKey(b)))).toBe(sign(naturalCompare(a, b)))
  })

  test.prop([samePair(numberKey)], { numRuns: 2000 })('numbers numerically, negatives and fractions', ([a, b]) => {
    expect(sign(compareBytes(encodeKey(a), encodeKey(b)))).toBe(sign(naturalCompare(a, b)))
  })

  test.prop([samePair(bigintKey)], { numRuns: 2000 })('bigints numerically', ([a, b]) => {
    expect(sign(compareBytes(encodeKey(a), encodeKey(b)))).toBe(sign(naturalCompare(a, b)))
  })

  test.prop([samePair(fc.array(anyKey, { maxLength: 4 }))], { numRuns: 1000 })(
    'arrays element-wise, a proper prefix first',
    ([a, b]) => {
      expect(sign(compareBytes(encodeKey(a), encodeKey(b)))).toBe(sign(naturalCompare(a, b)))
    },
  )

  test.prop([samePair(anyKey)], { numRuns: 2000 })('mixed types by tag, then by value', ([a, b]) => {
    expect(sign(compareBytes(encodeKey(a), encodeKey(b)))).toBe(sign(naturalCompare(a, b)))
  })

  test('known orders', () => {
    const sorted: Key[] = [
      '',
      '\0',
      '\0\0',
      '\x01',
      'a',
      'a\0',
      'a\x01',
      'ab',
      '\uffff',
      '😀', // above U+FFFF: after U+FFFF by code point, although JS '<' says otherwise
      [],
      [''],
      ['a'],
      ['a', 1],
      ['b'],
      [[]],
      -(1n << 63n),
      -1n,
      0n,
      1n,
      (1n << 63n) - 1n,
      -Number.MAX_VALUE,
      -1,
      -0.5,
      -Number.MIN_VALUE,
      0,
      Number.MIN_VALUE,
      0.5,
      1,
      2 ** 53,
      Number.MAX_VALUE,
      false,
      true,
    ]
    const shuffled = [...sorted].reverse()
    shuffled.sort((a, b) => compareBytes(encodeKey(a), encodeKey(b)))
    expect(shuffled).toEqual(sorted)
  })
})

describe('self-delimiting', () => {
  test.prop([anyKey, bytes, bytes])('decodes with any bytes before (offset) and after', (key, before, after) => {
    const enc = encodeKey(key)
    const { key: back, end } = decodeKey(concat(before, enc, after), before.length)
    expect(back).toEqual(normalizeKey(key))
    expect(end).toBe(before.length + enc.length)
  })

  test.prop([anyKey, anyKey, bytes, bytes], { numRuns: 2000 })(
    'suffixes never change the order of different keys (no encoding is a prefix of another)',
    (a, b, sa, sb) => {
      const ea = encodeKey(a)
      const eb = encodeKey(b)
      if (hex(ea) === hex(eb)) return
      expect(startsWith(ea, eb) || startsWith(eb, ea)).toBe(false)
      expect(sign(compareBytes(concat(ea, sa), concat(eb, sb)))).toBe(sign(compareBytes(ea, eb)))
    },
  )

  test('a key followed by 0xFF bytes still decodes (FoundationDB-style 00 terminator would not)', () => {
    const stored = concat(encodeKey('a'), Uint8Array.of(0xff, 0x00, 0x01))
    expect(decodeKey(stored)).toEqual({ key: 'a', end: 4 })
  })
})

describe('encodeStringPrefix', () => {
  const prefixAndString = fc
    .tuple(stringKey, stringKey, fc.boolean())
    .map(([p, t, extend]) => [p, extend ? p + t : t] as const)

  test.prop([prefixAndString], { numRuns: 2000 })(
    'a string key starts with the prefix bytes iff the string starts with the prefix',
    ([p, s]) => {
      expect(startsWith(encodeKey(s), encodeStringPrefix(p))).toBe(s.startsWith(p))
    },
  )

  test.prop([prefixAndString, anyKey])(
    '[prefix, prefixUpperBound(prefix)) holds exactly the keys starting with it',
    ([p, s], other) => {
      const gte = encodeStringPrefix(p)
      const lt = prefixUpperBound(gte)
      const inRange = (k: Key) => {
        const e = encodeKey(k)
        return compareBytes(e, gte) >= 0 && (lt === undefined || compareBytes(e, lt) < 0)
      }
      expect(inRange(s)).toBe(s.startsWith(p))
      expect(inRange(other)).toBe(typeof other === 'string' && other.startsWith(p))
    },
  )

  test('is the tag and escaped UTF-8 without the terminator', () => {
    expect(hex(encodeStringPrefix(''))).toBe('02')
    expect(hex(encodeStringPrefix('a\0'))).toBe('026100ff')
    expect(hex(encodeStringPrefix('é'))).toBe('02c3a9')
  })

  test('rejects a prefix with a lone surrogate', () => {
    expect(() => encodeStringPrefix('a\ud800')).toThrow(/prefix must be a well-formed string/)
  })
})

describe('encodeKeyToBinaryString', () => {
  test.prop([anyKey], { numRuns: 2000 })('is latin1 of encodeKey', (key) => {
    expect(encodeKeyToBinaryString(key)).toBe(Buffer.from(encodeKey(key)).toString('latin1'))
  })

  test('takes the fast path for ASCII and escapes NUL otherwise', () => {
    expect(encodeKeyToBinaryString('user-1')).toBe('\x02user-1\x00\x01')
    expect(encodeKeyToBinaryString('a\0')).toBe('\x02a\x00\xff\x00\x01')
  })
})

describe('encodeKey rejects what is not a key', () => {
  const holey: unknown[] = [1]
  holey[2] = 2
  test.each<[string, unknown, RegExp]>([
    ['NaN', Number.NaN, /key must be a finite number; got NaN/],
    ['Infinity', Number.POSITIVE_INFINITY, /finite number; got Infinity/],
    ['bigint above int64', 1n << 63n, /int64 range/],
    ['bigint below int64', -(1n << 63n) - 1n, /int64 range/],
    ['lone high surrogate', 'a\ud800', /well-formed string/],
    ['lone low surrogate', '\udc00b', /well-formed string/],
    ['object', { a: 1 }, /got object/],
    ['null', null, /got null/],
    ['undefined', undefined, /got undefined/],
    ['Uint8Array', new Uint8Array(1), /got Uint8Array/],
    ['nested bad element', ['a', [1, {}]], /key\[1\]\[1\] must be a string/],
    ['array hole', holey, /key\[1\] must be .* got undefined/],
  ])('%s', (_, value, message) => {
    expect(() => encodeKey(value as Key)).toThrow(TypeError)
    expect(() => encodeKey(value as Key)).toThrow(message)
    expect(() => encodeKeyToBinaryString(value as Key)).toThrow(message)
  })

  test('rejects arrays nested deeper than 32', () => {
    let deep: Key = []
    for (let i = 0; i < 32; i++) deep = [deep]
    expect(() => encodeKey(deep)).toThrow(/more than 32 deep/)
    expect(decodeKey(encodeKey((deep as Key[])[0] as Key)).key).toEqual((deep as Key[])[0])
  })

  test('is usable again after a failure', () => {
    expect(() => encodeKey(['x'.repeat(1000), Number.NaN])).toThrow(TypeError)
    expect(decodeKey(encodeKey(['é', 1])).key).toEqual(['é', 1])
  })
})

describe('decodeKey rejects malformed or non-canonical bytes', () => {
  const numberBytes = (hexBits: string) => {
    const b = Buffer.from(hexBits, 'hex')
    if (b[0]! & 0x80) for (let i = 0; i < 8; i++) b[i] = ~b[i]! & 0xff
    else b[0] = b[0]! | 0x80
    return Uint8Array.of(TAG_NUMBER, ...b)
  }

  test.each<[string, Uint8Array, RegExp]>([
    ['empty input', Uint8Array.of(), /truncated/],
    ['unknown tag', Uint8Array.of(0x03), /unknown type tag 0x03/],
    ['string without terminator', Uint8Array.of(TAG_STRING, 0x61), /truncated string/],
    ['string ending in 00', Uint8Array.of(TAG_STRING, 0x61, 0x00), /truncated string/],
    ['bad escape', Uint8Array.of(TAG_STRING, 0x00, 0x02, 0x00, 0x01), /bad escape/],
    ['overlong UTF-8', Uint8Array.of(TAG_STRING, 0xc0, 0x80, 0x00, 0x01), /invalid UTF-8/],
    ['UTF-8 surrogate', Uint8Array.of(TAG_STRING, 0xed, 0xa0, 0x80, 0x00, 0x01), /invalid UTF-8/],
    ['escaped then bad UTF-8', Uint8Array.of(TAG_STRING, 0x00, 0xff, 0xff, 0x00, 0x01), /invalid UTF-8/],
    ['truncated number', Uint8Array.of(TAG_NUMBER, 0x80, 0), /expected 8 bytes/],
    ['truncated bigint', Uint8Array.of(0x1f, 0x80), /expected 8 bytes/],
    ['NaN', numberBytes('7ff8000000000000'), /non-canonical number NaN/],
    ['Infinity', numberBytes('7ff0000000000000'), /non-canonical number Infinity/],
    ['-0', numberBytes('8000000000000000'), /non-canonical number -0/],
    ['unterminated array', Uint8Array.of(0x05, 0x26), /truncated array/],
    ['array with bad element', Uint8Array.of(0x05, 0x99, 0x00), /unknown type tag 0x99/],
    ['arrays nested too deep', new Uint8Array(40).fill(0x05), /nested more than 32 deep/],
  ])('%s', (_, input, message) => {
    expect(() => decodeKey(input)).toThrow(TypeError)
    expect(() => decodeKey(input)).toThrow(message)
  })

  test('rejects an offset outside the bytes', () => {
    expect(() => decodeKey(encodeKey(1), 10)).toThrow(/offset 10 is outside/)
    expect(() => decodeKey(encodeKey(1), -1)).toThrow(TypeError)
  })

  // Built from bytes that mean something to the decoder, so many inputs decode.
  const keyishBytes = fc
    .array(fc.constantFrom(0x00, 0x01, 0x02, 0x05, 0x1f, 0x21, 0x26, 0x27, 0xff, 0x61, 0xc3, 0xa9, 0x80, 0x7f), {
      maxLength: 24,
    })
    .map((a) => Uint8Array.from(a))

  test.prop([keyishBytes], { numRuns: 5000 })(
    'either throws TypeError or decodes bytes that are exactly the canonical encoding',
    (input) => {
      let decoded: { key: Key; end: number }
      try {
        decoded = decodeKey(input)
      } catch (e) {
        expect(e).toBeInstanceOf(TypeError)
        return
      }
      expect(hex(encodeKey(decoded.key))).toBe(hex(input.subarray(0, decoded.end)))
    },
  )
})

describe('compareBytes', () => {
  test.prop([bytes, bytes])('agrees with Buffer.compare', (a, b) => {
    expect(sign(compareBytes(a, b))).toBe(Buffer.compare(a, b))
  })
})
