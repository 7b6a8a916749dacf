// Size parsing and formatting, and the budget split: fractions, caps, exact sums and the minimum.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  formatBytes,
  MAX_BLOCK_CACHE,
  MAX_WRITE_BUFFER,
  MIN_MEMORY_PER_SLOT,
  parseSize,
  splitMemoryBudget,
} from './memory-budget.ts'
import { StorageError } from './storage-error.ts'

const MiB = 1024 * 1024

describe('parseSize', () => {
  it.each([
    ['256mb', 256 * MiB],
    ['64MB', 64 * MiB],
    ['1gb', 1024 * MiB],
    ['512k', 512 * 1024],
    ['1.5g', 1.5 * 1024 * MiB],
    ['2 GiB', 2048 * MiB],
    [' 100 ', 100],
    ['100b', 100],
    ['1t', 1024 * 1024 * MiB],
    [4096, 4096],
    [0, 0],
  ] as const)('reads %s', (input, bytes) => {
    expect(parseSize(input)).toBe(bytes)
  })

  it.each(['', 'mb', '-1mb', '12xb', '1..5m', 'lots', '1e3'])(
    'rejects %j with a TypeError naming the input',
    (input) => {
      expect(() => parseSize(input)).toThrow(TypeError)
      expect(() => parseSize(input)).toThrow(`'${input}'`)
    },
  )

  it('rejects negative, fractional and non-finite numbers, and other types', () => {
    for (const input of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, null, {}]) {
      expect(() => parseSize(input as never)).toThrow(TypeError)
    }
  })
})

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [100, '100 B'],
    [1536, '1.5 KiB'],
    [256 * MiB, '256 MiB'],
    [1024 * MiB, '1 GiB'],
    [1024 * MiB - 1, '1 GiB'],
    [3.25 * 1024 * MiB, '3.3 GiB'],
  ])('formats %d as %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text)
  })

  it('round-trips through parseSize for whole units', () => {
    for (const size of ['8mb', '256mb', '1gb', '512kb']) {
      expect(parseSize(formatBytes(parseSize(size)))).toBe(parseSize(size))
    }
  })
})

describe('splitMemoryBudget', () => {
  it('splits 256 MiB into block cache 35%, two write buffers of 12.5%, object cache 30%, reserve 10%', () => {
    expect(splitMemoryBudget(256 * MiB, { slots: 4, stateCount: 8 })).toEqual({
      total: 268_435_456,
      blockCache: 93_952_409,
      writeBuffer: 33_554_432,
      writeBuffers: 67_108_864,
      objectCache: 80_530_636,
      objectCachePerState: 10_066_329,
      overheadReserve: 26_843_547,
    })
  })

  it('caps a write buffer at 64 MiB and gives the surplus to the block cache', () => {
    const budget = splitMemoryBudget(4096 * MiB, { slots: 1 })
    expect(budget.writeBuffer).toBe(MAX_WRITE_BUFFER)
    expect(budget.blockCache).toBe(Math.floor(4096 * MiB * 0.35) + 2 * (512 * MiB - MAX_WRITE_BUFFER))
    expect(budget.overheadReserve).toBeCloseTo(4096 * MiB * 0.1, -2)
  })

  it('caps the block cache at what classic-level accepts and gives the rest to the object cache', () => {
    const total = 16 * 1024 * MiB
    const budget = splitMemoryBudget(total, { slots: 8 })
    expect(budget.blockCache).toBe(MAX_BLOCK_CACHE)
    expect(budget.blockCache).toBeLessThanOrEqual(0xffff_ffff)
    expect(budget.objectCache).toBeGreaterThan(Math.floor(total * 0.3))
    expect(budget.blockCache + budget.writeBuffers + budget.objectCache + budget.overheadReserve).toBe(total)
  })

  it('always adds up to the total, with every part positive', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 2 ** 36 }), (slots, extra) => {
        const total = slots * MIN_MEMORY_PER_SLOT + extra
        const b = splitMemoryBudget(total, { slots })
        expect(b.blockCache + b.writeBuffers + b.objectCache + b.overheadReserve).toBe(total)
        expect(b.writeBuffers).toBe(2 * b.writeBuffer)
        for (const part of [b.blockCache, b.writeBuffer, b.objectCache, b.overheadReserve]) {
          expect(part).toBeGreaterThan(0)
        }
      }),
      { numRuns: 200 },
    )
  })

  it('refuses less than 8 MiB per slot with MEMORY_BUDGET_TOO_SMALL naming budget, slots and minimum', () => {
    let error: unknown
    try {
      splitMemoryBudget(16 * MiB, { slots: 4 })
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(StorageError)
    expect((error as StorageError).code).toBe('MEMORY_BUDGET_TOO_SMALL')
    const message = (error as StorageError).message
    expect(message).toContain('16 MiB')
    expect(message).toContain('4 slots')
    expect(message).toContain('8 MiB')
    expect(message).toContain('--memory 32mb')
    expect(() => splitMemoryBudget(8 * MiB, { slots: 1 })).not.toThrow()
  })

  it('rejects malformed arguments with TypeError', () => {
    expect(() => splitMemoryBudget(-1, { slots: 1 })).toThrow(TypeError)
    expect(() => splitMemoryBudget(1.5, { slots: 1 })).toThrow(TypeError)
    expect(() => splitMemoryBudget(64 * MiB, { slots: 0 })).toThrow(TypeError)
    expect(() => splitMemoryBudget(64 * MiB, { slots: 1, stateCount: -2 })).toThrow(TypeError)
  })
})
