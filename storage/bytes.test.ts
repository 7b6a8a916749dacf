// compareBytes must equal LevelDB's bytewise order; prefixUpperBound must bound exactly one prefix.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compareBytes, prefixUpperBound, startsWith } from './bytes.ts'

describe('compareBytes', () => {
  it('agrees with memcmp order (Buffer.compare)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 6 }), fc.uint8Array({ maxLength: 6 }), (a, b) => {
        expect(Math.sign(compareBytes(a, b))).toBe(Buffer.compare(a, b))
      }),
    )
  })
})

describe('prefixUpperBound', () => {
  it.each([
    [
      [1, 2],
      [1, 3],
    ],
    [[1, 0xff], [2]],
    [[0xfe, 0xff, 0xff], [0xff]],
  ])('bounds %j by %j', (prefix, bound) => {
    expect([...prefixUpperBound(Uint8Array.from(prefix))!]).toEqual(bound)
  })

  it('has no bound for the empty and all-0xFF prefixes', () => {
    expect(prefixUpperBound(Uint8Array.of())).toBeUndefined()
    expect(prefixUpperBound(Uint8Array.of(0xff, 0xff))).toBeUndefined()
  })

  it('is above every key with the prefix and at or below every greater key without it', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 3 }), fc.uint8Array({ maxLength: 4 }), (prefix, key) => {
        const bound = prefixUpperBound(prefix)
        if (startsWith(key, prefix)) expect(bound === undefined || compareBytes(key, bound) < 0).toBe(true)
        else if (compareBytes(key, prefix) > 0 && bound !== undefined)
          expect(compareBytes(key, bound)).toBeGreaterThanOrEqual(0)
      }),
    )
  })
})

describe('prefixUpperBound on a Buffer', () => {
  it('does not modify a Buffer prefix (Buffer#slice is a view)', () => {
    const prefix = Buffer.from([1, 2, 3])
    const upper = prefixUpperBound(prefix)
    expect([...prefix]).toEqual([1, 2, 3])
    expect([...(upper ?? [])]).toEqual([1, 2, 4])
  })
})
