import { decodeMsgpack, encodeMsgpack } from '@livestate/client'
import { describe, expect, it } from 'vitest'
import { decodeClientFrame, encodeServerFrame } from './frame-codec.ts'

const limits = { maxBytes: 65536, maxDepth: 32 }

describe('decodeClientFrame', () => {
  it('decodes text frames as JSON and binary frames as msgpack', () => {
    expect(decodeClientFrame('{"id":1,"op":"get","job":"j","state":"s","key":"k"}', limits)).toEqual({
      format: 'json',
      frame: { id: 1, op: 'get', job: 'j', state: 's', key: 'k' },
    })
    const bin = encodeMsgpack({ id: 2, op: 'unsubscribe', sub: 's1' })
    expect(
      decodeClientFrame(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer, limits),
    ).toEqual({
      format: 'msgpack',
      frame: { id: 2, op: 'unsubscribe', sub: 's1' },
    })
  })

  it.each([
    ['bad JSON', 'nope', undefined],
    ['a JSON array', '[1]', undefined],
    ['a string id', '{"id":"1","op":"get"}', undefined],
    ['an unknown op', '{"id":4,"op":"drop"}', 4],
    ['a get without key', '{"id":5,"op":"get","job":"j","state":"s"}', 5],
    ['deep JSON', `{"id":6,"x":${'['.repeat(100)}${']'.repeat(100)}}`, undefined],
  ])('answers %s with BAD_REQUEST and the id when readable', (_name, text, id) => {
    const decoded = decodeClientFrame(text, limits)
    expect(decoded).toMatchObject({ format: 'json', id, error: { code: 'BAD_REQUEST' } })
  })

  it.each([
    ['0xc1', new Uint8Array([0xc1])],
    ['truncated', new Uint8Array([0x82, 0xa2, 0x69])],
    ['huge array length', new Uint8Array([0xdd, 0x7f, 0xff, 0xff, 0xff])],
    ['deep nesting', new Uint8Array(100).fill(0x91)],
  ])('answers undecodable msgpack (%s) with BAD_REQUEST', (_name, bytes) => {
    expect(decodeClientFrame(bytes, limits)).toMatchObject({ format: 'msgpack', error: { code: 'BAD_REQUEST' } })
  })
})

describe('encodeServerFrame', () => {
  it('JSON with bigint strings; msgpack with native int64', () => {
    expect(encodeServerFrame({ key: 5n }, 'json')).toBe('{"key":"5"}')
    expect(decodeMsgpack(encodeServerFrame({ key: 2n ** 62n }, 'msgpack') as Uint8Array)).toEqual({ key: 2n ** 62n })
  })
})
