// The guarded msgpack decoder: what it accepts and refuses, and that the allocation-free validator
// decides exactly as the first, recursive one did (kept below as the reference) on valid encodings,
// their truncations and corruptions, and random bytes.
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import {
  type DecodeLimits,
  decodeMsgpack,
  decodeUntrustedMsgpack,
  encodeMsgpack,
  encodeMsgpackFrame,
  stripProto,
} from './codec.ts'
import { LivestateError } from './livestate-error.ts'

const LIMITS: DecodeLimits = { maxBytes: 4096, maxDepth: 4, maxLength: 40 }

function bad(message: string): LivestateError {
  return new LivestateError('BAD_REQUEST', `malformed msgpack: ${message}`)
}

// The validator as first written (closures per value, recursive over depth): the reference.
function referenceValidate(b: Uint8Array, pos: number, depth: number, limits: DecodeLimits): number {
  if (depth > limits.maxDepth) throw bad(`nesting deeper than ${limits.maxDepth}`)
  if (pos >= b.length) throw bad('truncated input')
  const t = b[pos]!
  const need = (n: number) => {
    if (pos + n > b.length) throw bad('truncated input')
  }
  const len = (n: number, at: number): number => {
    need(at - pos + n)
    let v = 0
    for (let i = 0; i < n; i++) v = v * 256 + b[at + i]!
    if (v > limits.maxLength) throw bad(`declared length ${v} exceeds ${limits.maxLength}`)
    return v
  }
  const container = (count: number, start: number, perEntry: number): number => {
    if (count > b.length - start) throw bad('declared length larger than the input')
    let p = start
    for (let i = 0; i < count * perEntry; i++) p = referenceValidate(b, p, depth + 1, limits)
    return p
  }
  const blob = (n: number, start: number): number => {
    if (start + n > b.length) throw bad('truncated input')
    return start + n
  }
  if (t <= 0x7f || t >= 0xe0) return pos + 1
  if (t >= 0x80 && t <= 0x8f) return container(t & 0x0f, pos + 1, 2)
  if (t >= 0x90 && t <= 0x9f) return container(t & 0x0f, pos + 1, 1)
  if (t >= 0xa0 && t <= 0xbf) return blob(t & 0x1f, pos + 1)
  switch (t) {
    case 0xc0:
    case 0xc2:
    case 0xc3:
      return pos + 1
    case 0xc4:
      return blob(len(1, pos + 1), pos + 2)
    case 0xc5:
      return blob(len(2, pos + 1), pos + 3)
    case 0xc6:
      return blob(len(4, pos + 1), pos + 5)
    case 0xca:
      need(5)
      return pos + 5
    case 0xcb:
      need(9)
      return pos + 9
    case 0xcc:
    case 0xd0:
      need(2)
      return pos + 2
    case 0xcd:
    case 0xd1:
      need(3)
      return pos + 3
    case 0xce:
    case 0xd2:
      need(5)
      return pos + 5
    case 0xcf:
    case 0xd3:
      need(9)
      return pos + 9
    case 0xd9:
      return blob(len(1, pos + 1), pos + 2)
    case 0xda:
      return blob(len(2, pos + 1), pos + 3)
    case 0xdb:
      return blob(len(4, pos + 1), pos + 5)
    case 0xdc:
      return container(len(2, pos + 1), pos + 3, 1)
    case 0xdd:
      return container(len(4, pos + 1), pos + 5, 1)
    case 0xde:
      return container(len(2, pos + 1), pos + 3, 2)
    case 0xdf:
      return container(len(4, pos + 1), pos + 5, 2)
    case 0xc1:
      throw bad('reserved type byte 0xc1')
    case 0xd4:
      // msgpackr's `undefined` (fixext1 type 0, data 0) is accepted since encodeMsgpack writes it.
      if (pos + 2 < b.length && b[pos + 1] === 0 && b[pos + 2] === 0) return pos + 3
      throw bad('extension type 0xd4 not accepted')
    default:
      // 0xc7-0xc9, 0xd4-0xd8: extension types are never accepted from untrusted peers.
      throw bad(`extension type 0x${t.toString(16)} not accepted`)
  }
}

function referenceDecode(bytes: Uint8Array, limits: DecodeLimits): unknown {
  if (bytes.byteLength > limits.maxBytes) {
    throw new LivestateError(
      'PAYLOAD_TOO_LARGE',
      `msgpack body of ${bytes.byteLength} bytes exceeds ${limits.maxBytes}`,
    )
  }
  const end = referenceValidate(bytes, 0, 0, limits)
  if (end !== bytes.byteLength) throw bad(`trailing bytes after msgpack value at offset ${end}`)
  let value: unknown
  try {
    value = decodeMsgpack(bytes)
  } catch (cause) {
    throw new LivestateError('BAD_REQUEST', `malformed msgpack: ${(cause as Error).message}`, { cause })
  }
  return stripProto(value)
}

function outcome(decode: () => unknown): { value: unknown } | { code: string; message: string } {
  try {
    return { value: decode() }
  } catch (e) {
    if (!(e instanceof LivestateError)) throw e
    return { code: e.code, message: e.message }
  }
}

const scalar = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.string({ maxLength: 45 }),
  fc.boolean(),
  fc.constant(null),
  fc.uint8Array({ maxLength: 45 }),
)
const value = fc.letrec((tie) => ({
  any: fc.oneof({ depthSize: 'small' }, scalar, tie('array'), tie('object')),
  array: fc.array(tie('any'), { maxLength: 45 }),
  object: fc.dictionary(fc.string({ maxLength: 6 }), tie('any'), { maxKeys: 20 }),
})).any
const encoded = value.map((v) => new Uint8Array(encodeMsgpack(v)))

describe('decodeUntrustedMsgpack', () => {
  test('decides exactly as the reference on valid encodings', () => {
    fc.assert(
      fc.property(encoded, (bytes) => {
        expect(outcome(() => decodeUntrustedMsgpack(bytes, LIMITS))).toEqual(
          outcome(() => referenceDecode(bytes, LIMITS)),
        )
      }),
      { numRuns: 2000 },
    )
  })

  test('decides exactly as the reference on truncated and corrupted encodings', () => {
    const damaged = fc
      .tuple(encoded, fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('cut', 'flip', 'insert'))
      .filter(([bytes]) => bytes.length > 0)
      .map(([bytes, at, cut, byte, how]) => {
        const i = at % bytes.length
        if (how === 'cut') return bytes.slice(0, cut % bytes.length)
        const out = how === 'flip' ? bytes.slice() : new Uint8Array([...bytes.slice(0, i), byte, ...bytes.slice(i)])
        if (how === 'flip') out[i] = byte
        return out
      })
    fc.assert(
      fc.property(damaged, (bytes) => {
        expect(outcome(() => decodeUntrustedMsgpack(bytes, LIMITS))).toEqual(
          outcome(() => referenceDecode(bytes, LIMITS)),
        )
      }),
      { numRuns: 3000 },
    )
  })

  test('decides exactly as the reference on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(outcome(() => decodeUntrustedMsgpack(bytes, LIMITS))).toEqual(
          outcome(() => referenceDecode(bytes, LIMITS)),
        )
      }),
      { numRuns: 3000 },
    )
  })

  test.each([
    ['a huge declared array length', [0xdd, 0xff, 0xff, 0xff, 0xff], 'declared length 4294967295 exceeds 40'],
    ['more elements declared than bytes left', [0x9f, 0x01], 'declared length larger than the input'],
    ['nesting deeper than maxDepth', [0x91, 0x91, 0x91, 0x91, 0x91, 0x01], 'nesting deeper than 4'],
    ['an extension type', [0xd4, 0x01, 0x02], 'extension type 0xd4 not accepted'],
    ['the reserved type byte', [0xc1], 'reserved type byte 0xc1'],
    ['a truncated string', [0xa5, 0x61], 'truncated input'],
    ['trailing bytes', [0x01, 0x02], 'trailing bytes after msgpack value at offset 1'],
    ['nothing at all', [], 'truncated input'],
  ])('refuses %s', (_, bytes, message) => {
    expect(outcome(() => decodeUntrustedMsgpack(new Uint8Array(bytes), LIMITS))).toEqual({
      code: 'BAD_REQUEST',
      message: `malformed msgpack: ${message}`,
    })
  })

  test('lengths up to maxLength are accepted, one more is refused', () => {
    const str8 = (n: number) => new Uint8Array([0xd9, n, ...new Uint8Array(n).fill(0x61)])
    expect(decodeUntrustedMsgpack(str8(40), LIMITS)).toBe('a'.repeat(40))
    expect(outcome(() => decodeUntrustedMsgpack(str8(41), LIMITS))).toEqual({
      code: 'BAD_REQUEST',
      message: 'malformed msgpack: declared length 41 exceeds 40',
    })
  })

  test('nesting exactly at maxDepth is accepted', () => {
    expect(decodeUntrustedMsgpack(new Uint8Array([0x91, 0x91, 0x91, 0x91, 0x01]), LIMITS)).toEqual([[[[1]]]])
  })

  // The validator tells when a key could decode to "__proto__"; only then is the value walked again.
  const proto = [...new TextEncoder().encode('__proto__')]
  test.each([
    ['fixstr', [0xa9, ...proto]],
    ['str8', [0xd9, 9, ...proto]],
    ['str16', [0xda, 0, 9, ...proto]],
  ])('a __proto__ key as %s, nested in a value, never reaches a prototype', (_, key) => {
    // {v: [ {__proto__: {x: 1}} ]}
    const bytes = new Uint8Array([0x81, 0xa1, 0x76, 0x91, 0x81, ...key, 0x81, 0xa1, 0x78, 0x01])
    const decoded = decodeUntrustedMsgpack(bytes) as { v: Record<string, unknown>[] }
    const inner = decoded.v[0]!
    expect(Object.getPrototypeOf(inner)).toBe(Object.prototype)
    expect(Object.hasOwn(inner, '__proto__')).toBe(false)
    expect(({} as Record<string, unknown>).x).toBeUndefined()
  })

  test('a "__proto__" string that is a value, not a key, stays as it is', () => {
    const bytes = new Uint8Array([0x81, 0xa1, 0x6b, 0xa9, ...proto])
    expect(decodeUntrustedMsgpack(bytes)).toEqual({ k: '__proto__' })
  })

  test('decides exactly as the reference when keys may spell __proto__', () => {
    // Maps built byte by byte, so that "__proto__" keys are really on the wire.
    const keyBytes = fc.constantFrom(
      [0xa9, ...proto],
      [0xd9, 9, ...proto],
      [0xa1, 0x61],
      [0xa2, 0xc3, 0xa9], // "é"
      [0x01],
      [0x91, 0xa9, ...proto], // an array key
    )
    const map = fc.array(fc.tuple(keyBytes, encoded), { maxLength: 3 }).map((entries) => {
      const out = [0x80 | entries.length]
      for (const [k, v] of entries) out.push(...k, ...v)
      return new Uint8Array(out)
    })
    fc.assert(
      fc.property(map, (bytes) => {
        expect(outcome(() => decodeUntrustedMsgpack(bytes, LIMITS))).toEqual(
          outcome(() => referenceDecode(bytes, LIMITS)),
        )
      }),
      { numRuns: 1000 },
    )
  })

  test('a __proto__ key never reaches a prototype', () => {
    const bytes = new Uint8Array([0x81, 0xa9, ...new TextEncoder().encode('__proto__'), 0x81, 0xa1, 0x78, 0x01])
    const decoded = decodeUntrustedMsgpack(bytes) as Record<string, unknown>
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype)
    expect(Object.hasOwn(decoded, '__proto__')).toBe(false)
    expect(({} as Record<string, unknown>).x).toBeUndefined()
  })
})

describe('encodeMsgpack', () => {
  test('drops undefined fields, as JSON does, so untrusted decoders accept the frame', () => {
    const bytes = encodeMsgpack({ id: 1, op: 'get', mapKey: undefined, window: undefined })
    expect(decodeUntrustedMsgpack(bytes)).toEqual({ id: 1, op: 'get' })
  })
})

describe('encodeMsgpackFrame', () => {
  test('writes what encodeMsgpack writes, as far as any decoder can tell', () => {
    const frame = fc.dictionary(fc.string({ maxLength: 8 }), value, { maxKeys: 8 })
    fc.assert(
      fc.property(frame, (f) => {
        const limits = { maxBytes: 1 << 20, maxDepth: 64, maxLength: 100_000 }
        expect(decodeUntrustedMsgpack(encodeMsgpackFrame(f), limits)).toEqual(
          decodeUntrustedMsgpack(encodeMsgpack(f), limits),
        )
      }),
      { numRuns: 500 },
    )
  })

  test('carries bigint keys as int64, never as an extension', () => {
    const frame = { id: 7, op: 'get', job: 'j', state: 's', key: 9_007_199_254_740_993n }
    expect(decodeUntrustedMsgpack(encodeMsgpackFrame(frame))).toEqual(frame)
  })
})
