import { decodeMsgpack } from '@livestate/client'
import { describe, expect, it } from 'vitest'
import { encodeBody, mediaTypeOf, preferredFormat } from './encoding.ts'

describe('preferredFormat', () => {
  it.each([
    [undefined, 'json'],
    ['*/*', 'json'],
    ['application/json', 'json'],
    ['application/msgpack', 'msgpack'],
    ['application/x-msgpack', 'msgpack'],
    ['application/json, application/msgpack', 'msgpack'],
    ['application/msgpack;q=0.5, application/json', 'json'],
    ['application/msgpack;q=0', 'json'],
    ['text/html, application/msgpack;q=0.9, */*;q=0.1', 'msgpack'],
    ['APPLICATION/MSGPACK', 'msgpack'],
    ['garbage;;;q=x', 'json'],
  ] as const)('Accept %s → %s', (accept, format) => {
    expect(preferredFormat(accept)).toBe(format)
  })
})

describe('mediaTypeOf', () => {
  it('drops parameters and lower-cases', () => {
    expect(mediaTypeOf('Application/JSON; charset=utf-8')).toBe('application/json')
    expect(mediaTypeOf('')).toBeUndefined()
    expect(mediaTypeOf(undefined)).toBeUndefined()
  })
})

describe('encodeBody', () => {
  it('writes bigints as decimal strings in JSON', () => {
    const { data, contentType } = encodeBody({ key: 9007199254740993n, n: 1 }, 'json')
    expect(contentType).toMatch(/^application\/json/)
    expect(data).toBe('{"key":"9007199254740993","n":1}')
  })

  it('keeps bigints as int64 in msgpack', () => {
    const { data, contentType } = encodeBody({ key: 9007199254740993n }, 'msgpack')
    expect(contentType).toBe('application/msgpack')
    expect(decodeMsgpack(data as Uint8Array)).toEqual({ key: 9007199254740993n })
  })
})
