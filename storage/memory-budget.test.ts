// Size parsing and formatting, and the budget split: fractions, caps, exact sums and the minimum,
// with table files read with pread (livestate's classic-level build) or mmapped (the prebuilt one).

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  formatBytes,
  MAX_BLOCK_CACHE,
  MAX_TABLE_CACHE,
  MAX_WRITE_BUFFER,
  MIN_BLOCK_CACHE,
  MIN_MEMORY_PER_SLOT,
  MIN_TABLE_CACHE,
  maxOpenFilesOf,
  PREAD_TABLE_FILE_SIZE,
  parseSize,
  splitMemoryBudget,
  TABLE_FILE_SIZE,
  TABLE_METADATA_FRACTION,
  TABLE_METADATA_RATIO,
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

describe('splitMemoryBudget with mapped table files (the prebuilt classic-level)', () => {
  const mapped = { mmapReads: true } as const

  it('splits 256 MiB into block cache 35%, two write buffers of 12.5%, object cache 30%, reserve 10%', () => {
    expect(splitMemoryBudget(256 * MiB, { ...mapped, slots: 4, stateCount: 8 })).toEqual({
      total: 268_435_456,
      blockCache: 26_843_545,
      mmapReads: true,
      tableCache: 64,
      tableFileSize: MiB,
      mappedTables: 67_108_864,
      writeBuffer: 33_554_432,
      writeBuffers: 67_108_864,
      objectCache: 80_530_636,
      objectCachePerState: 10_066_329,
      overheadReserve: 26_843_547,
      overcommit: 0,
    })
  })

  it('sizes the table cache so that mapped tables take half the LevelDB read share', () => {
    const budget = splitMemoryBudget(2048 * MiB, { ...mapped, slots: 1 })
    const readShare = Math.floor(2048 * MiB * 0.35) + 2 * (256 * MiB - MAX_WRITE_BUFFER)
    expect(budget.tableCache).toBe(Math.floor(readShare / 2 / TABLE_FILE_SIZE))
    expect(budget.tableCache).toBe(550)
    expect(maxOpenFilesOf(budget)).toBe(560)
    expect(budget.mappedTables).toBe(550 * MiB)
    expect(budget.blockCache + budget.mappedTables).toBe(readShare)
    expect(budget.overcommit).toBe(0)
  })

  it('keeps the table cache within LevelDB floor (64 tables, maxOpenFiles 74) and the mmap limit (990)', () => {
    expect(maxOpenFilesOf(splitMemoryBudget(256 * MiB, { ...mapped, slots: 1 }))).toBe(74)
    expect(maxOpenFilesOf(splitMemoryBudget(1024 * MiB, { ...mapped, slots: 1 }))).toBe(253)
    expect(splitMemoryBudget(64 * 1024 * MiB, { ...mapped, slots: 1 }).tableCache).toBe(MAX_TABLE_CACHE)
    expect(maxOpenFilesOf(splitMemoryBudget(64 * 1024 * MiB, { ...mapped, slots: 1 }))).toBe(1000)
  })

  it('reports as overcommit what LevelDB floor of mapped tables puts above a small budget', () => {
    const budget = splitMemoryBudget(64 * MiB, { ...mapped, slots: 1 })
    expect(budget.tableCache).toBe(MIN_TABLE_CACHE)
    expect(budget.mappedTables).toBe(64 * MiB)
    expect(budget.blockCache).toBe(MIN_BLOCK_CACHE)
    const readShare = Math.floor(64 * MiB * 0.35)
    expect(budget.overcommit).toBe(64 * MiB + MIN_BLOCK_CACHE - readShare)
    expect(budget.overheadReserve).toBeCloseTo(64 * MiB * 0.1, -2)
    // From about 195 MiB the floor fits in the read share.
    expect(splitMemoryBudget(195 * MiB, { ...mapped, slots: 1 }).overcommit).toBe(0)
    expect(splitMemoryBudget(194 * MiB, { ...mapped, slots: 1 }).overcommit).toBeGreaterThan(0)
  })

  it('caps a write buffer at 64 MiB and gives the surplus to the block cache', () => {
    const budget = splitMemoryBudget(4096 * MiB, { ...mapped, slots: 1 })
    expect(budget.writeBuffer).toBe(MAX_WRITE_BUFFER)
    const readShare = Math.floor(4096 * MiB * 0.35) + 2 * (512 * MiB - MAX_WRITE_BUFFER)
    expect(budget.blockCache + budget.mappedTables).toBe(readShare)
    expect(budget.overheadReserve).toBeCloseTo(4096 * MiB * 0.1, -2)
  })

  it('caps the block cache at what classic-level accepts and gives the rest to the object cache', () => {
    const total = 16 * 1024 * MiB
    const budget = splitMemoryBudget(total, { ...mapped, slots: 8 })
    expect(budget.blockCache).toBe(MAX_BLOCK_CACHE)
    expect(budget.blockCache).toBeLessThanOrEqual(0xffff_ffff)
    expect(budget.objectCache).toBeGreaterThan(Math.floor(total * 0.3))
    expect(
      budget.blockCache + budget.mappedTables + budget.writeBuffers + budget.objectCache + budget.overheadReserve,
    ).toBe(total)
  })

  it('always adds up to the total plus the overcommit, with every part positive', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 2 ** 36 }), (slots, extra) => {
        const total = slots * MIN_MEMORY_PER_SLOT + extra
        const b = splitMemoryBudget(total, { ...mapped, slots })
        expect(b.blockCache + b.mappedTables + b.writeBuffers + b.objectCache + b.overheadReserve).toBe(
          total + b.overcommit,
        )
        expect(b.writeBuffers).toBe(2 * b.writeBuffer)
        expect(b.mappedTables).toBe(b.tableCache * b.tableFileSize)
        expect(b.overcommit).toBeGreaterThanOrEqual(0)
        for (const part of [b.blockCache, b.writeBuffer, b.objectCache, b.overheadReserve]) {
          expect(part).toBeGreaterThan(0)
        }
      }),
      { numRuns: 200 },
    )
  })

  it('is what the split assumes when the caller does not say how tables are read', () => {
    expect(splitMemoryBudget(256 * MiB, { slots: 1 })).toEqual(splitMemoryBudget(256 * MiB, { ...mapped, slots: 1 }))
  })
})

describe("splitMemoryBudget with table files read with pread (livestate's classic-level build)", () => {
  const pread = { mmapReads: false } as const

  it('gives the whole LevelDB read share to the block cache: 35% of 256 MiB, tables of 2 MiB', () => {
    expect(splitMemoryBudget(256 * MiB, { ...pread, slots: 4, stateCount: 8 })).toEqual({
      total: 268_435_456,
      blockCache: 93_952_409,
      mmapReads: false,
      tableCache: 71,
      tableFileSize: 2 * MiB,
      mappedTables: 0,
      writeBuffer: 33_554_432,
      writeBuffers: 67_108_864,
      objectCache: 80_530_636,
      objectCachePerState: 10_066_329,
      overheadReserve: 26_843_547,
      overcommit: 0,
    })
  })

  it('maps nothing and fits at 64 MiB: LevelDB floor of 64 tables of 1 MiB, no overcommit', () => {
    const budget = splitMemoryBudget(64 * MiB, { ...pread, slots: 1 })
    expect(budget.mappedTables).toBe(0)
    expect(budget.overcommit).toBe(0)
    expect(budget.blockCache).toBe(Math.floor(64 * MiB * 0.35))
    expect(budget.tableCache).toBe(MIN_TABLE_CACHE)
    expect(maxOpenFilesOf(budget)).toBe(74)
    expect(budget.tableFileSize).toBe(TABLE_FILE_SIZE)
    // The floor's index and filter blocks fit the overhead reserve.
    expect(MIN_TABLE_CACHE * TABLE_FILE_SIZE * TABLE_METADATA_RATIO).toBeLessThanOrEqual(budget.overheadReserve)
    expect(budget.overheadReserve).toBeCloseTo(64 * MiB * 0.1, -2)
  })

  it('sizes the table cache so that index and filter blocks of open tables take 5% of the budget', () => {
    const budget = splitMemoryBudget(1024 * MiB, { ...pread, slots: 1 })
    expect(budget.tableFileSize).toBe(PREAD_TABLE_FILE_SIZE)
    expect(budget.tableCache).toBe(
      Math.floor((1024 * MiB * TABLE_METADATA_FRACTION) / TABLE_METADATA_RATIO / (2 * MiB)),
    )
    expect(budget.tableCache).toBe(284)
    expect(budget.tableCache * budget.tableFileSize * TABLE_METADATA_RATIO).toBeLessThanOrEqual(1024 * MiB * 0.05)
    expect(splitMemoryBudget(64 * 1024 * MiB, { ...pread, slots: 1 }).tableCache).toBe(MAX_TABLE_CACHE)
  })

  it('uses LevelDB default table size of 2 MiB once the floor of such tables fits the metadata share', () => {
    expect(splitMemoryBudget(230 * MiB, { ...pread, slots: 1 }).tableFileSize).toBe(MiB)
    expect(splitMemoryBudget(231 * MiB, { ...pread, slots: 1 }).tableFileSize).toBe(2 * MiB)
    expect(splitMemoryBudget(231 * MiB, { ...pread, slots: 1 }).tableCache).toBe(MIN_TABLE_CACHE)
  })

  it('reports as overcommit what LevelDB floor of open tables needs beyond the reserve below 58 MiB', () => {
    expect(splitMemoryBudget(58 * MiB, { ...pread, slots: 1 }).overcommit).toBe(0)
    const budget = splitMemoryBudget(8 * MiB, { ...pread, slots: 1 })
    const floor = Math.ceil(MIN_TABLE_CACHE * MiB * TABLE_METADATA_RATIO)
    expect(budget.overheadReserve).toBe(floor)
    expect(budget.overcommit).toBe(floor - (8 * MiB - budget.blockCache - budget.writeBuffers - budget.objectCache))
    expect(budget.mappedTables).toBe(0)
  })

  it('caps the block cache at what classic-level accepts and gives the rest to the object cache', () => {
    const total = 16 * 1024 * MiB
    const budget = splitMemoryBudget(total, { ...pread, slots: 8 })
    expect(budget.blockCache).toBe(MAX_BLOCK_CACHE)
    expect(budget.objectCache).toBe(
      Math.floor(total * 0.3) + Math.floor(total * 0.35) + 2 * (2048 * MiB - MAX_WRITE_BUFFER) - MAX_BLOCK_CACHE,
    )
    expect(budget.blockCache + budget.writeBuffers + budget.objectCache + budget.overheadReserve).toBe(total)
  })

  it('always adds up to the total plus the overcommit, maps nothing, and its open tables fit the reserve', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 2 ** 36 }), (slots, extra) => {
        const total = slots * MIN_MEMORY_PER_SLOT + extra
        const b = splitMemoryBudget(total, { ...pread, slots })
        expect(b.blockCache + b.mappedTables + b.writeBuffers + b.objectCache + b.overheadReserve).toBe(
          total + b.overcommit,
        )
        expect(b.mappedTables).toBe(0)
        expect(b.blockCache).toBeGreaterThanOrEqual(Math.min(MAX_BLOCK_CACHE, Math.floor(total * 0.35)))
        expect(b.tableCache).toBeGreaterThanOrEqual(MIN_TABLE_CACHE)
        expect(b.tableCache).toBeLessThanOrEqual(MAX_TABLE_CACHE)
        expect(b.tableCache * b.tableFileSize * TABLE_METADATA_RATIO).toBeLessThanOrEqual(b.overheadReserve)
        for (const part of [b.blockCache, b.writeBuffer, b.objectCache, b.overheadReserve]) {
          expect(part).toBeGreaterThan(0)
        }
      }),
      { numRuns: 200 },
    )
  })
})

describe('splitMemoryBudget arguments', () => {
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
    expect(() => splitMemoryBudget(64 * MiB, { slots: 1, mmapReads: 'no' as never })).toThrow(TypeError)
  })
})
