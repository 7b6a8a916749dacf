// The TaskManager memory budget (`--memory`): parsing sizes and splitting the budget between the
// LevelDB block cache (and, with the prebuilt classic-level, mapped tables), LevelDB write buffers and
// the write-back object cache, like Flink's managed memory for RocksDB (RocksDBMemoryConfiguration /
// SharedResources). Pure: whether LevelDB maps table files is the caller's to say
// (storage/leveldb/table-reads.ts detects it).

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
 * - LevelDB reads 35%: serves object-cache misses (getSync) and range scans. With livestate's build
 *   of classic-level (storage/native) LevelDB reads table files with pread, so this is all block
 *   cache; with the prebuilt binary it maps them, and the mapped table files take half (see
 *   TABLE_FILE_SIZE).
 * - write buffers 2 × 12.5%: LevelDB holds up to two memtables (active + being compacted). Because
 *   the object cache already absorbs repeated updates, memtables see only flushed batches, which
 *   is why they get less than Flink's 50%.
 * - overhead reserve 10%: what LevelDB allocates outside both (index and filter blocks of open
 *   tables, blocks pinned by iterators, allocator slack), Flink's high-priority pool in spirit. Half
 *   of it sizes the table cache when tables are read with pread (TABLE_METADATA_FRACTION).
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

/**
 * With classic-level's prebuilt binary, LevelDB's POSIX env mmaps every table file it opens for reads
 * (up to 1000 per process on 64-bit) and keeps it mapped while the table is in its table cache. Every
 * page a read touches (with the kernel's fault-around, 64 KiB at a time) then counts in RSS, on top of
 * the block cache (which holds the decompressed copies of snappy blocks; uncompressed blocks read
 * from a mapping are never cached). Left at its default, a large DB fills RSS with up to 1000 mapped
 * tables. In that case the table cache is sized from the budget: open tables × table file size is
 * the part of the LevelDB read share that mapped pages can take.
 *
 * TABLE_FILE_SIZE is LevelDB 1.20's smallest max_file_size; tables written by compactions stay near
 * it. Level-0 tables (flushed memtables) can reach writeBuffer each, but there are few of them.
 */
export const TABLE_FILE_SIZE = 1 * MiB
/** LevelDB clamps max_open_files to ≥ 74, of which 10 are not tables: its table cache floor. */
export const MIN_TABLE_CACHE = 64
/** classic-level's default (maxOpenFiles 1000), and the process-wide mmap limit. */
export const MAX_TABLE_CACHE = 990
/** Files LevelDB keeps open besides tables (kNumNonTableCacheFiles). */
export const NON_TABLE_FILES = 10
/** Share of the LevelDB read share given to mapped tables; the block cache gets the rest. */
export const MAPPED_TABLES_FRACTION = 0.5
/** With mapped tables, the block cache never goes below this, whatever they take. */
export const MIN_BLOCK_CACHE = 4 * MiB

/**
 * With livestate's build (storage/native/build-classic-level.mjs) LevelDB reads table files with
 * pread into the block cache, which cacheSize bounds, so open tables cost no RSS pages. Each still
 * costs an fd and, in LevelDB's heap, its index block and bloom filter (10 bits per key), which
 * Table::Open reads whole and keeps while the table is in the table cache (with mmap, the filter
 * and an uncompressed index pointed into the mapping). Measured on the state of the bench's keyed
 * count (21 bytes per entry on disk after snappy): 7.1% of the table file (filter 5.9%, index 1.1%);
 * on denser synthetic entries (17 bytes) 8.8%, for 1 and 2 MiB tables alike. Larger values mean
 * fewer keys per byte and less. TABLE_METADATA_RATIO covers both.
 */
export const TABLE_METADATA_RATIO = 0.09
/**
 * The budget share that open tables' index and filter blocks may take, carved out of the overhead
 * reserve (half of it). The table cache holds as many tables as that covers (a table cache miss
 * re-reads a table's index and filter: about 9% of its size per miss), within LevelDB's floor and
 * MAX_TABLE_CACHE; LevelDB's floor of 64 tables may use the whole reserve, and what it needs beyond
 * (below about 58 MiB) is overcommit. LevelDB's env also opens tables beyond a fifth of
 * RLIMIT_NOFILE per read instead of keeping their fd: raise `ulimit -n` past 5 × 1000 for the largest
 * budgets.
 */
export const TABLE_METADATA_FRACTION = 0.05
/**
 * max_file_size when tables are read with pread: LevelDB's default of 2 MiB once the metadata share
 * covers the table-cache floor of such tables (budgets from about 230 MiB), else 1 MiB, its minimum,
 * so that the floor's index and filter blocks stay within the reserve. The file size only changes how
 * many fds and table-cache entries cover the same bytes: metadata grows with the bytes either way.
 * 1 MiB in the mapped case was chosen only to bound the mapped bytes.
 */
export const PREAD_TABLE_FILE_SIZE = 2 * MiB

export interface MemoryBudget {
  total: number
  /** LevelDB's block cache (classic-level `cacheSize`): decompressed data blocks. */
  blockCache: number
  /** Whether the split counts LevelDB's table files as mmapped (the prebuilt classic-level). */
  mmapReads: boolean
  /** Tables LevelDB keeps open (and mmapped when mmapReads); classic-level `maxOpenFiles` is this + 10. */
  tableCache: number
  /** classic-level `maxFileSize`: where compactions start a new table file. */
  tableFileSize: number
  /** tableCache × tableFileSize when mmapReads, else 0: what mapped table pages can add to RSS. */
  mappedTables: number
  /** One LevelDB write buffer (classic-level `writeBufferSize`); two can be in flight. */
  writeBuffer: number
  /** 2 × writeBuffer: what the memtables can hold at once. */
  writeBuffers: number
  /** The write-back object cache shared by all states of the TaskManager. */
  objectCache: number
  /** objectCache / stateCount, for a state layer that gives each state its own cache. */
  objectCachePerState: number
  overheadReserve: number
  /**
   * Bytes by which the parts exceed `total` (0 when the split fits). Mapped: below about 195 MiB
   * LevelDB's table-cache floor (MIN_TABLE_CACHE tables of TABLE_FILE_SIZE) plus MIN_BLOCK_CACHE is
   * more than the read share, and LevelDB cannot be made to map less. With pread: below about 58 MiB
   * the floor's index and filter blocks (TABLE_METADATA_RATIO) exceed the overhead reserve, which
   * then grows by the difference.
   */
  overcommit: number
}

/** classic-level's `maxOpenFiles` for a budget: LevelDB's table cache holds this − 10 tables. */
export function maxOpenFilesOf(budget: Pick<MemoryBudget, 'tableCache'>): number {
  return budget.tableCache + NON_TABLE_FILES
}

/**
 * Splits a TaskManager's budget. The parts add up to `total` plus `overcommit`. `mmapReads` says
 * whether LevelDB maps table files (levelDbTableReads().mmap); unknown, the split assumes it does,
 * which never undercounts. Throws StorageError MEMORY_BUDGET_TOO_SMALL below MIN_MEMORY_PER_SLOT ×
 * slots, TypeError for malformed arguments.
 */
export function splitMemoryBudget(
  totalBytes: number,
  options: { stateCount?: number; slots: number; mmapReads?: boolean },
): MemoryBudget {
  if (!Number.isSafeInteger(totalBytes) || totalBytes <= 0) {
    throw new TypeError(`The memory budget must be a positive whole number of bytes, got ${String(totalBytes)}`)
  }
  const { slots, stateCount = 1, mmapReads = true } = options ?? ({} as { slots: number })
  if (!Number.isSafeInteger(slots) || slots < 1) {
    throw new TypeError(`The slot count must be a positive integer, got ${String(slots)}`)
  }
  if (!Number.isSafeInteger(stateCount) || stateCount < 0) {
    throw new TypeError(`The state count must be a non-negative integer, got ${String(stateCount)}`)
  }
  if (typeof mmapReads !== 'boolean') {
    throw new TypeError(`mmapReads must be a boolean, got ${String(mmapReads)}`)
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
  const readShare = Math.floor(totalBytes * MEMORY_FRACTIONS.blockCache) + 2 * (writeBufferShare - writeBuffer)
  const tables = mmapReads ? mappedTableCache(readShare) : preadTableCache(totalBytes)
  const mappedTables = mmapReads ? tables.tableCache * tables.tableFileSize : 0
  const blockCacheShare = mmapReads ? Math.max(MIN_BLOCK_CACHE, readShare - mappedTables) : readShare
  const blockCache = Math.min(blockCacheShare, MAX_BLOCK_CACHE)
  const objectCache = Math.floor(totalBytes * MEMORY_FRACTIONS.objectCache) + (blockCacheShare - blockCache)
  const rest = totalBytes - blockCache - mappedTables - writeBuffers - objectCache
  const overcommit = mmapReads
    ? Math.max(0, mappedTables + blockCacheShare - readShare)
    : Math.max(0, Math.ceil(MIN_TABLE_CACHE * tables.tableFileSize * TABLE_METADATA_RATIO) - rest)
  return {
    total: totalBytes,
    blockCache,
    mmapReads,
    tableCache: tables.tableCache,
    tableFileSize: tables.tableFileSize,
    mappedTables,
    writeBuffer,
    writeBuffers,
    objectCache,
    objectCachePerState: Math.floor(objectCache / Math.max(1, stateCount)),
    overheadReserve: rest + overcommit,
    overcommit,
  }
}

/** Mapped: the tables whose mapped pages fit MAPPED_TABLES_FRACTION of the read share. */
function mappedTableCache(readShare: number): { tableCache: number; tableFileSize: number } {
  const tableCache = clampTableCache(Math.floor((readShare * MAPPED_TABLES_FRACTION) / TABLE_FILE_SIZE))
  return { tableCache, tableFileSize: TABLE_FILE_SIZE }
}

/** pread: the tables whose index and filter blocks fit TABLE_METADATA_FRACTION of the budget. */
function preadTableCache(totalBytes: number): { tableCache: number; tableFileSize: number } {
  const covered = (totalBytes * TABLE_METADATA_FRACTION) / TABLE_METADATA_RATIO
  const tableFileSize = covered >= MIN_TABLE_CACHE * PREAD_TABLE_FILE_SIZE ? PREAD_TABLE_FILE_SIZE : TABLE_FILE_SIZE
  return { tableCache: clampTableCache(Math.floor(covered / tableFileSize)), tableFileSize }
}

function clampTableCache(tables: number): number {
  return Math.min(MAX_TABLE_CACHE, Math.max(MIN_TABLE_CACHE, tables))
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
