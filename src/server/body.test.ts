import { encodeMsgpack } from '@livestate/client'
import { describe, expect, it } from 'vitest'
import { bodyFormatOf, decodeBody } from './body.ts'

const limits = { maxBytes: 1024, maxDepth: 8 }
const bytes = (...b: number[]) => new Uint8Array(b)
const badRequest = expect.objectContaining({ code: 'BAD_REQUEST' })

describe('bodyFormatOf', () => {
  it('maps content types to formats', () => {
    expect(bodyFormatOf('application/json; charset=utf-8', ['json'])).toBe('json')
    expect(bodyFormatOf('application/msgpack', ['json', 'msgpack'])).toBe('msgpack')
    expect(bodyFormatOf('application/x-ndjson', ['ndjson'])).toBe('ndjson')
  })

  it.each([undefined, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'application/jsonx'])(
    'rejects Content-Type %s with BAD_REQUEST',
    (type) => {
      expect(() => bodyFormatOf(type, ['json', 'msgpack'])).toThrow(badRequest)
    },
  )

  it('rejects a known format the route does not take', () => {
    expect(() => bodyFormatOf('application/x-ndjson', ['json', 'msgpack'])).toThrow(badRequest)
  })
})

describe('decodeBody', () => {
  it('decodes JSON, NDJSON and msgpack', () => {
    expect(decodeBody(new TextEncoder().encode('{"keys":[1]}'), 'json', limits)).toEqual({ keys: [1] })
    expect(decodeBody(new TextEncoder().encode('1\n2\n'), 'ndjson', limits)).toEqual([1, 2])
    expect(decodeBody(encodeMsgpack({ keys: ['a'] }), 'msgpack', limits)).toEqual({ keys: ['a'] })
  })

  it.each([
    ['truncated msgpack', bytes(0x92, 0x01)],
    ['reserved byte 0xc1', bytes(0xc1)],
    ['array32 declaring 4 billion elements', bytes(0xdd, 0xff, 0xff, 0xff, 0xff, 0x01)],
    ['map16 declaring more entries than bytes', bytes(0xde, 0xff, 0xff)],
    ['str32 longer than the input', bytes(0xdb, 0x00, 0x10, 0x00, 0x00, 0x61)],
    ['extension type', bytes(0xd4, 0x01, 0x02)],
    ['trailing bytes', bytes(0x01, 0x02)],
    ['empty body', bytes()],
    ['nesting deeper than maxDepth', new Uint8Array(40).fill(0x91)],
  ])('rejects %s as BAD_REQUEST', (_name, body) => {
    expect(() => decodeBody(body, 'msgpack', limits)).toThrow(badRequest)
  })

  it('never lets a msgpack __proto__ key reach an object as __proto__ (msgpackr renames it)', () => {
    const v = decodeBody(encodeMsgpack(JSON.parse('{"__proto__":{"x":1},"a":1}')), 'msgpack', limits) as Record<
      string,
      unknown
    >
    expect(Object.hasOwn(v, '__proto__')).toBe(false)
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype)
    expect(Object.getPrototypeOf(Object.assign({}, v))).toBe(Object.prototype)
    expect(v.a).toBe(1)
  })

  it('rejects invalid UTF-8 and empty JSON', () => {
    expect(() => decodeBody(bytes(0x22, 0xff, 0x22), 'json', limits)).toThrow(badRequest)
    expect(() => decodeBody(bytes(), 'json', limits)).toThrow(badRequest)
  })

  it('answers PAYLOAD_TOO_LARGE above maxBytes', () => {
    expect(() => decodeBody(new Uint8Array(2000), 'json', limits)).toThrow(
      expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }),
    )
  })
})
