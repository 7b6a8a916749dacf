import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { anyKey } from '../keys/key-arbitraries.ts'
import { type GetAnswer, stringifyGetAnswer, stringifyJson } from './json-codec.ts'

const int = fc.integer({ min: -(2 ** 31), max: 2 ** 31 })
const meta = fc.record({
  keyGroup: int,
  subtask: int,
  epoch: int,
  checkpointId: fc.oneof(fc.constant(null), fc.maxSafeInteger()),
  consistency: fc.constantFrom('live', 'committed'),
})
const value = fc.oneof(
  fc.jsonValue(),
  fc.bigInt(),
  fc.record({ n: fc.bigInt(), s: fc.string(), list: fc.array(fc.oneof(fc.double(), fc.bigInt(), fc.string())) }),
  fc.date({ noInvalidDate: true }),
)

describe('stringifyGetAnswer (the point get body from parts)', () => {
  test.prop([anyKey, value, meta], { numRuns: 500 })('is the text stringifyJson gives the whole answer', (k, v, m) => {
    const answer: GetAnswer = { key: k, value: v, meta: m }
    expect(stringifyGetAnswer(answer)).toBe(stringifyJson(answer))
  })

  it('declines what has no JSON text of its own, so the caller encodes the object', () => {
    const meta = { keyGroup: 1, subtask: 0, epoch: 1, checkpointId: null, consistency: 'live' }
    expect(stringifyGetAnswer({ key: 'k', value: () => 1, meta })).toBeUndefined()
    expect(stringifyGetAnswer({ key: 'k', value: undefined, meta })).toBeUndefined()
    expect(stringifyGetAnswer({ key: 'k', value: 1, meta: { ...meta, consistency: 'x"y' } })).toBeUndefined()
    expect(stringifyGetAnswer({ key: 'k', value: 1, meta: { ...meta, epoch: Number.NaN } })).toBeUndefined()
    expect(stringifyGetAnswer({ key: 'k', value: 1, meta: { ...meta, keyGroup: 1.5 } })).toBeUndefined()
  })
})
