// The sublevel key prefix: its encoding, prefix-freedom between siblings, and order preservation.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compareBytes, startsWith } from './bytes.ts'
import { SublevelPrefix } from './sublevel-prefix.ts'

const nameArb = fc.string({ minLength: 1, maxLength: 5 }).filter((s) => !s.includes('/') && !/[\ud800-\udfff]/.test(s))

describe('SublevelPrefix', () => {
  it('encodes [length][UTF-8 name] per level and joins the path with /', () => {
    const prefix = SublevelPrefix.ROOT.child('op').child('é')
    expect([...prefix.bytes]).toEqual([2, 0x6f, 0x70, 2, 0xc3, 0xa9])
    expect(prefix.path).toBe('op/é')
  })

  it('never makes one sibling prefix a prefix of another', () => {
    fc.assert(
      fc.property(nameArb, nameArb, (a, b) => {
        fc.pre(a !== b)
        const pa = SublevelPrefix.ROOT.child(a).bytes
        const pb = SublevelPrefix.ROOT.child(b).bytes
        expect(startsWith(pa, pb) || startsWith(pb, pa)).toBe(false)
      }),
    )
  })

  it('preserves the order of unprefixed keys', () => {
    const prefix = SublevelPrefix.ROOT.child('s')
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4 }), fc.uint8Array({ maxLength: 4 }), (x, y) => {
        expect(Math.sign(compareBytes(prefix.key(x), prefix.key(y)))).toBe(Math.sign(compareBytes(x, y)))
      }),
    )
  })
})
