import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { anyKey } from './key-arbitraries.ts'
import {
  assignKeyToParallelOperator,
  assignToKeyGroup,
  checkMaxParallelism,
  checkParallelismPreconditions,
  computeDefaultMaxParallelism,
  computeKeyGroupRangeForOperatorIndex,
  computeOperatorIndexForKeyGroup,
  DEFAULT_LOWER_BOUND_MAX_PARALLELISM,
  UPPER_BOUND_MAX_PARALLELISM,
} from './key-group-range-assignment.ts'

// maxParallelism from 1 to the upper bound, with the edges and powers of two likely.
const maxParallelism = fc.oneof(
  fc.integer({ min: 1, max: 2048 }),
  fc.integer({ min: 1, max: UPPER_BOUND_MAX_PARALLELISM }),
  fc.constantFrom(1, 128, 4096, UPPER_BOUND_MAX_PARALLELISM),
)
const maxAndParallelism = maxParallelism.chain((maxP) =>
  fc.tuple(
    fc.constant(maxP),
    fc.oneof(fc.integer({ min: 1, max: Math.min(maxP, 64) }), fc.integer({ min: 1, max: maxP })),
  ),
)

describe('KeyGroupRangeAssignment', () => {
  test.prop([maxAndParallelism], { numRuns: 300 })(
    'every key group is owned by exactly one operator index, which computeOperatorIndexForKeyGroup names',
    ([maxP, p]) => {
      // Collect mismatches and assert once: an expect() per key group would dominate the run time.
      const problems: string[] = []
      let next = 0
      for (let i = 0; i < p; i++) {
        const range = computeKeyGroupRangeForOperatorIndex(maxP, p, i)
        if (range.startKeyGroup !== next) problems.push(`#${i} starts at ${range.startKeyGroup}, not ${next}`)
        if (range.getNumberOfKeyGroups() < 1) problems.push(`#${i} owns no key group`)
        for (let kg = range.startKeyGroup; kg <= range.endKeyGroup; kg++) {
          const owner = computeOperatorIndexForKeyGroup(maxP, p, kg)
          if (owner !== i) problems.push(`key group ${kg} is in #${i}'s range but routed to #${owner}`)
        }
        next = range.endKeyGroup + 1
      }
      expect(problems).toEqual([])
      expect(next).toBe(maxP)
    },
  )

  test.prop([anyKey, maxAndParallelism])(
    'a key goes to the operator whose range holds its key group',
    (key, [maxP, p]) => {
      const kg = assignToKeyGroup(key, maxP)
      expect(kg >= 0 && kg < maxP).toBe(true)
      const op = assignKeyToParallelOperator(key, maxP, p)
      expect(computeKeyGroupRangeForOperatorIndex(maxP, p, op).contains(kg)).toBe(true)
    },
  )

  test.prop([fc.integer({ min: 1, max: UPPER_BOUND_MAX_PARALLELISM })])(
    'default maxParallelism is a power of two in 128..32768 and at least 1.5 × parallelism where it can be',
    (p) => {
      const maxP = computeDefaultMaxParallelism(p)
      expect(maxP & (maxP - 1)).toBe(0)
      expect(maxP).toBeGreaterThanOrEqual(DEFAULT_LOWER_BOUND_MAX_PARALLELISM)
      expect(maxP).toBeLessThanOrEqual(UPPER_BOUND_MAX_PARALLELISM)
      if (maxP < UPPER_BOUND_MAX_PARALLELISM) expect(maxP).toBeGreaterThanOrEqual(p + Math.floor(p / 2))
    },
  )

  test('default maxParallelism uses integer p/2 (85 → 127 → 128, 86 → 129 → 256)', () => {
    expect(computeDefaultMaxParallelism(85)).toBe(128)
    expect(computeDefaultMaxParallelism(86)).toBe(256)
    expect(computeDefaultMaxParallelism(21846)).toBe(32768)
    expect(computeDefaultMaxParallelism(32768)).toBe(32768)
  })

  test.each([
    [0, RangeError, 'parallelism must be within 1..32768; got 0'],
    [32769, RangeError, 'parallelism must be within 1..32768; got 32769'],
    [1.5, TypeError, 'parallelism must be an integer; got 1.5'],
    [Number.NaN, TypeError, 'parallelism must be an integer; got NaN'],
  ])('checkParallelismPreconditions(%d) throws', (p, error, message) => {
    expect(() => checkParallelismPreconditions(p)).toThrow(error)
    expect(() => checkParallelismPreconditions(p)).toThrow(message)
  })

  test('checkMaxParallelism names maxParallelism', () => {
    expect(() => checkMaxParallelism(0)).toThrow('maxParallelism must be within 1..32768; got 0')
    expect(() => checkMaxParallelism(40000)).toThrow(RangeError)
    expect(() => checkMaxParallelism(32768)).not.toThrow()
  })

  test('computeKeyGroupRangeForOperatorIndex checks its arguments', () => {
    expect(() => computeKeyGroupRangeForOperatorIndex(4, 8, 0)).toThrow(
      'maxParallelism (4) must not be smaller than parallelism (8)',
    )
    expect(() => computeKeyGroupRangeForOperatorIndex(128, 4, 4)).toThrow(
      'operatorIndex must be an integer in 0..3; got 4',
    )
    expect(() => computeKeyGroupRangeForOperatorIndex(128, 4, -1)).toThrow(RangeError)
    expect(() => computeKeyGroupRangeForOperatorIndex(0, 1, 0)).toThrow(/maxParallelism/)
  })
})
