// The TaskManager memory budget (`--memory`): parsing sizes and splitting the budget between the
// LevelDB block cache, LevelDB write buffers and the state layer's write-back object cache, like
// Flink's managed memory for RocksDB (RocksDBMemoryConfiguration / SharedResources). Pure.

import { StorageError } from './storage-error.ts'

const KiB = 1024
const MiB = 1024 * KiB

/** Below this per slot a job cannot run: every slot needs a usable object cache and write buffer. */
export const MIN_MEMORY_PER_SLOT = 8 * MiB

/**
 * Fractions of the budget. Flink shares one LRU cache per slot and charges memtables to it up to
 * `write-buffer-ratio` 0.5, keeping `high-prio-pool-ratio` 0.1 for index and filter blocks. LevelDB
 * cannot charge memtables to its cache, so we partition statically instead:
 * - object cache 30%: the hot path. Point access is synchronous and hits decoded JS objects first;
 *   dirty entries wait there until a batch flush, so hot keys never reach LevelDB per update.
 * - block cache 35%: serves object-cache misses (getSync) and range scans.
 * - write buffers 2 × 12.5%: LevelDB holds up to two memtables (active + being compacted). Because
 *   the object cache already absorbs repeated updates, memtables see only flushed batches, which
 *   is why they get less than Flink's 50%.
 * - overhead reserve 10%: what LevelDB allocates outside both (index and filter blocks of open
 *   tables, blocks pinned by iterators, allocator slack), Flink's high-priority pool in spirit.
 */
export const MEMORY_FRACTIONS = Object.freeze({
  objectCache: 0.3,
  blockCache: 0.35,
  writeBuffer: 0.125,
})

/**
 * One memtable beyond this buys LevelDB nothing (L0 files grow, compactions lengthen); the surplus
 * goes to the block cache. Recovery time does not matter: the working DB is never replayed after
 * an unclean stop (DESIGN §1 flow 8).
 */
export const MAX_WRITE_BUFFER = 64 * MiB

/** classic-level passes cacheSize to LevelDB as uint32; beyond it, the object cache takes the rest. */
export const MAX_BLOCK_CACHE = 4095 * MiB

export interface MemoryBudget {
  total: number
  blockCache: number
  /** One LevelDB write buffer (classic-level `writeBufferSize`); two can be in flight. */
  writeBuffer: number
  /** 2 × writeBuffer: what the memtables can hold at once. */
  writeBuffers: number
  /** The write-back object cache shared by all states of the TaskManager. */
  objectCache: number
  /** objectCache / stateCount, for a state layer that gives each state its own cache. */
  objectCachePerState: number
  overheadReserve: number
}

/**
 * Splits a TaskManager's budget. The parts add up to `total` exactly. Throws StorageError
 * MEMORY_BUDGET_TOO_SMALL below MIN_MEMORY_PER_SLOT × slots, TypeError for malformed arguments.
 */
export function splitMemoryBudget(totalBytes: number, options: { stateCount?: number; slots: number }): MemoryBudget {
  if (!Number.isSafeInteger(totalBytes) || totalBytes <= 0) {
    throw new TypeError(`The memory budget must be a positive whole number of bytes, got ${String(totalBytes)}`)
  }
  const { slots, stateCount = 1 } = options ?? ({} as { slots: number; stateCount?: number })
  if (!Number.isSafeInteger(slots) || slots < 1) {
    throw new TypeError(`The slot count must be a positive integer, got ${String(slots)}`)
  }
  if (!Number.isSafeInteger(stateCount) || stateCount < 0) {
    throw new TypeError(`The state count must be a non-negative integer, got ${String(stateCount)}`)
  }
  const minimum = MIN_MEMORY_PER_SLOT * slots
  if (totalBytes < minimum) {
    throw new StorageError(
      'MEMORY_BUDGET_TOO_SMALL',
      `The memory budget of ${formatBytes(totalBytes)} is too small for ${slots} slot${slots === 1 ? '' : 's'}: ` +
        `each slot needs at least ${formatBytes(MIN_MEMORY_PER_SLOT)}, ${formatBytes(minimum)} in all. ` +
        `Raise it with --memory ${Math.ceil(minimum / MiB)}mb (or more), or run fewer slots.`,
    )
  }
  const writeBufferShare = Math.floor(totalBytes * MEMORY_FRACTIONS.writeBuffer)
  const writeBuffer = Math.min(writeBufferShare, MAX_WRITE_BUFFER)
  const writeBuffers = 2 * writeBuffer
  const blockCacheShare = Math.floor(totalBytes * MEMORY_FRACTIONS.blockCache) + 2 * (writeBufferShare - writeBuffer)
  const blockCache = Math.min(blockCacheShare, MAX_BLOCK_CACHE)
  const objectCache = Math.floor(totalBytes * MEMORY_FRACTIONS.objectCache) + (blockCacheShare - blockCache)
  return {
    total: totalBytes,
    blockCache,
    writeBuffer,
    writeBuffers,
    objectCache,
    objectCachePerState: Math.floor(objectCache / Math.max(1, stateCount)),
    overheadReserve: totalBytes - blockCache - writeBuffers - objectCache,
  }
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: KiB,
  kb: KiB,
  kib: KiB,
  m: MiB,
  mb: MiB,
  mib: MiB,
  g: 1024 * MiB,
  gb: 1024 * MiB,
  gib: 1024 * MiB,
  t: 1024 * 1024 * MiB,
  tb: 1024 * 1024 * MiB,
  tib: 1024 * 1024 * MiB,
}

/**
 * '256mb', '64MB', '1gb', '512k', '1.5g', '4096' or a number of bytes → bytes. Units are binary
 * (1 kb = 1024 bytes) as in Flink's MemorySize; case and a space before the unit do not matter.
 */
export function parseSize(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isSafeInteger(input) || input < 0) {
      throw new TypeError(`A size in bytes must be a non-negative integer, got ${input}`)
    }
    return input
  }
  if (typeof input !== 'string') throw new TypeError(`A size must be a string like '256mb' or a number of bytes`)
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(input.trim())
  const unit = match === null ? undefined : UNITS[match[2]!.toLowerCase()]
  if (match === null || unit === undefined) {
    throw new TypeError(`Cannot read '${input}' as a size: use a number with b, kb, mb, gb or tb, like '256mb'`)
  }
  const bytes = Math.floor(Number(match[1]) * unit)
  if (!Number.isSafeInteger(bytes)) throw new TypeError(`The size '${input}' is too large`)
  return bytes
}

/** 268435456 → '256 MiB', 1536 → '1.5 KiB', 100 → '100 B'. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) throw new TypeError(`Cannot format ${bytes} as bytes`)
  const sign = bytes < 0 ? '-' : ''
  let value = Math.abs(bytes)
  if (value < KiB) return `${sign}${value} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let unit = 0
  value /= KiB
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  let rounded = Math.round(value * 10) / 10
  if (rounded >= 1024 && unit < units.length - 1) {
    rounded = Math.round((value / 1024) * 10) / 10
    unit++
  }
  return `${sign}${Number.isInteger(rounded) ? rounded.toFixed(0) : rounded.toFixed(1)} ${units[unit]}`
}
