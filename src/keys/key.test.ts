import { test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import type { Key } from './key.ts'
import { isKey, keyEquals, keyToString, validateKey } from './key.ts'
import { anyKey, normalizeKey } from './key-arbitraries.ts'
import { encodeKey } from './key-codec.ts'

describe('validateKey', () => {
  test.prop([anyKey])('returns every key unchanged', (key) => {
    expect(validateKey(key)).toBe(key)
    expect(isKey(key)).toBe(true)
  })

  test.each<[string, unknown, string]>([
    ['object', { id: 1 }, 'key must be a string, finite number, bigint, boolean or array of these; got object'],
    ['null', null, 'key must be a string, finite number, bigint, boolean or array of these; got null'],
    ['symbol', Symbol('s'), 'key must be a string, finite number, bigint, boolean or array of these; got symbol'],
    ['function', () => 1, 'key must be a string, finite number, bigint, boolean or array of these; got function'],
    ['Date', new Date(0), 'key must be a string, finite number, bigint, boolean or array of these; got Date'],
    ['NaN', Number.NaN, 'key must be a finite number; got NaN'],
    ['-Infinity', Number.NEGATIVE_INFINITY, 'key must be a finite number; got -Infinity'],
    ['2^63', 1n << 63n, 'key must be a bigint in the int64 range (-2^63 .. 2^63-1); got 9223372036854775808n'],
    ['lone surrogate', '\ud83d', 'key must be a well-formed string; got a string with a lone UTF-16 surrogate'],
    [
      'nested',
      ['a', [1, undefined]],
      'key[1][1] must be a string, finite number, bigint, boolean or array of these; got undefined',
    ],
  ])('rejects %s with a TypeError that says what is wrong', (_, value, message) => {
    expect(() => validateKey(value)).toThrow(TypeError)
    expect(() => validateKey(value)).toThrow(message)
    expect(isKey(value)).toBe(false)
  })

  test('names the value it checks', () => {
    expect(() => validateKey({}, 'keys[3]')).toThrow(/^keys\[3\] must be/)
  })

  test('accepts fractions (Flink allows Double keys) and the int64 edges', () => {
    expect(validateKey(0.25)).toBe(0.25)
    expect(validateKey(-(1n << 63n))).toBe(-(1n << 63n))
  })
})

describe('keyEquals', () => {
  test.prop([anyKey])('a key equals itself and its decoded form', (key) => {
    expect(keyEquals(key, key)).toBe(true)
    expect(keyEquals(key, normalizeKey(key))).toBe(true)
  })

  test.prop([anyKey, anyKey])('equals exactly when the canonical bytes are equal', (a, b) => {
    const sameBytes = Buffer.from(encodeKey(a)).equals(encodeKey(b))
    expect(keyEquals(a, b)).toBe(sameBytes)
  })

  test('distinguishes types', () => {
    expect(keyEquals(1, 1n)).toBe(false)
    expect(keyEquals('1', 1)).toBe(false)
    expect(keyEquals([1], 1)).toBe(false)
    expect(keyEquals(-0, 0)).toBe(true)
  })
})

describe('keyToString', () => {
  test.each<[string, Key]>([
    ['plain', 'plain'],
    ['', ''],
    ['42', 42],
    ['0', -0],
    ['0.5', 0.5],
    ['12n', 12n],
    ['true', true],
    ['["a",1,2n,false,["\\"q\\""]]', ['a', 1, 2n, false, ['"q"']]],
  ])('%s', (text, key) => {
    expect(keyToString(key)).toBe(text)
  })
})
