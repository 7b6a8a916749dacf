import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import type { Key } from './key.ts'
import { keyHashCode } from './key-hash.ts'
import {
  assignToKeyGroup,
  computeDefaultMaxParallelism,
  computeKeyGroupForKeyHash,
  computeKeyGroupRangeForOperatorIndex,
} from './key-group-range-assignment.ts'
import { murmurHash } from './murmur.ts'

// A copy of shared/key-groups.golden.json (computed on Java 17 with Flink's own classes).
type GoldenKey = {
  type: 'string' | 'int' | 'long'
  key: string | number
  hashCode: number
  murmur: number
  keyGroup: Record<string, number>
}
type Golden = {
  keys: GoldenKey[]
  ranges: { maxParallelism: number; parallelism: number; operatorIndex: number; start: number; end: number }[]
  defaultMaxParallelism: Record<string, number>
}
const golden = JSON.parse(readFileSync(new URL('./key-groups.golden.json', import.meta.url), 'utf8')) as Golden

// Long keys are decimal strings in the JSON; they are bigints here (Java long ↔ bigint).
function keyOf(v: GoldenKey): Key {
  return v.type === 'long' ? BigInt(v.key) : v.key
}

const label = (v: GoldenKey) => `${v.type} ${JSON.stringify(v.key)}`

describe('golden key vectors match Flink', () => {
  test('there are vectors of every type', () => {
    expect(new Set(golden.keys.map((k) => k.type))).toEqual(new Set(['string', 'int', 'long']))
  })

  test.each(golden.keys.map((v) => [label(v), v] as const))('%s: hashCode, murmur and key groups', (_, v) => {
    const key = keyOf(v)
    expect(keyHashCode(key)).toBe(v.hashCode)
    expect(murmurHash(v.hashCode)).toBe(v.murmur)
    for (const [maxP, kg] of Object.entries(v.keyGroup)) {
      expect(assignToKeyGroup(key, Number(maxP)), `maxParallelism ${maxP}`).toBe(kg)
      expect(computeKeyGroupForKeyHash(v.hashCode, Number(maxP))).toBe(kg)
    }
  })

  test('an int and a long key of the same value land in the same key group', () => {
    expect(assignToKeyGroup(42, 128)).toBe(assignToKeyGroup(42n, 128))
    expect(assignToKeyGroup(2 ** 32, 1000)).toBe(assignToKeyGroup(2n ** 32n, 1000))
  })
})

describe('golden key-group ranges match Flink', () => {
  test.each(golden.ranges.map((r) => [`maxP ${r.maxParallelism} p ${r.parallelism} #${r.operatorIndex}`, r] as const))(
    '%s',
    (_, r) => {
      const range = computeKeyGroupRangeForOperatorIndex(r.maxParallelism, r.parallelism, r.operatorIndex)
      expect([range.startKeyGroup, range.endKeyGroup]).toEqual([r.start, r.end])
    },
  )
})

describe('golden default maxParallelism matches Flink', () => {
  test.each(Object.entries(golden.defaultMaxParallelism))('parallelism %s', (p, maxP) => {
    expect(computeDefaultMaxParallelism(Number(p))).toBe(maxP)
  })
})
