// Prometheus metrics of the LevelDB state backends (one per TaskManager): the memory budget split and
// what each part uses, object-cache hits and evictions, batch flushes and bytes on disk. Gauges and
// counters read LevelStateBackend.metrics() at scrape time (collect callbacks); one read per backend
// serves every metric of a scrape.
import { Counter, Gauge, type Registry } from 'prom-client'
import { levelDbTableReads } from '../../../storage/leveldb/table-reads.ts'
import { heapGrowingPercent } from './heap-growth.ts'
import type { LevelBackendMetrics, LevelStateBackend } from './level-state-backend.ts'

type Label = 'taskmanager'
type Snapshot = { name: string; m: LevelBackendMetrics }[]

/** Reads within this window share one metrics() call per backend (one scrape). */
const SCRAPE_WINDOW_MS = 250

const BUDGET_PARTS = {
  total: (m: LevelBackendMetrics) => m.budget.total,
  block_cache: (m: LevelBackendMetrics) => m.budget.blockCache,
  mapped_tables: (m: LevelBackendMetrics) => m.budget.mappedTables,
  write_buffers: (m: LevelBackendMetrics) => m.budget.writeBuffers,
  object_cache: (m: LevelBackendMetrics) => m.budget.objectCache,
  overhead_reserve: (m: LevelBackendMetrics) => m.budget.overheadReserve,
  overcommit: (m: LevelBackendMetrics) => m.budget.overcommit,
}

const COUNTERS: [name: string, help: string, read: (m: LevelBackendMetrics) => number][] = [
  ['livestate_state_cache_hits_total', 'Object-cache hits of state point reads', (m) => m.cacheHits],
  [
    'livestate_state_cache_misses_total',
    'Object-cache misses of state point reads (read from LevelDB with getSync)',
    (m) => m.cacheMisses,
  ],
  ['livestate_state_cache_evictions_total', 'Entries evicted from the object cache', (m) => m.evictions],
  ['livestate_state_flushes_total', 'Batches of dirty state entries written to LevelDB', (m) => m.flushes],
  ['livestate_state_flushed_ops_total', 'Puts and deletes written to LevelDB in batches', (m) => m.flushedOps],
  ['livestate_state_write_failures_total', 'State tables whose LevelDB batch write failed', (m) => m.writeFailures],
]

export function registerBackendMetrics(registry: Registry, backends: () => LevelStateBackend[]): void {
  let cached: { at: number; snapshot: Promise<Snapshot> } | undefined
  const read = (): Promise<Snapshot> => {
    const now = Date.now()
    if (!cached || now - cached.at > SCRAPE_WINDOW_MS) {
      cached = { at: now, snapshot: Promise.all(backends().map(async (b) => ({ name: b.name, m: await b.metrics() }))) }
    }
    return cached.snapshot
  }
  const replace = (name: string) => registry.removeSingleMetric(name)

  const gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: L[],
    fill: (g: Gauge<L>, s: Snapshot) => void,
  ) => {
    replace(name)
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const s = await read()
        this.reset()
        fill(this, s)
      },
    })
  }

  gauge(
    'livestate_state_memory_budget_bytes',
    'The TaskManager memory budget (--memory) and its split; overcommit: what the parts exceed it by (LevelDB table-cache floor)',
    ['taskmanager', 'part'],
    (g, s) => {
      for (const { name, m } of s)
        for (const [part, of] of Object.entries(BUDGET_PARTS)) g.set({ taskmanager: name, part }, of(m))
    },
  )
  gauge(
    'livestate_state_table_cache_tables',
    'Tables LevelDB keeps open at most, sized from the budget (mmapped when livestate_state_leveldb_mmap_reads is 1)',
    ['taskmanager'] as Label[],
    (g, s) => {
      for (const { name, m } of s) g.set({ taskmanager: name }, m.budget.tableCache)
    },
  )
  replace('livestate_state_leveldb_mmap_reads')
  new Gauge({
    name: 'livestate_state_leveldb_mmap_reads',
    help:
      'Whether LevelDB mmaps the table files it reads (1: classic-level prebuilt binary, mapped pages add to RSS up to ' +
      'the mapped_tables budget part; 0: livestate build, pread into the block cache)',
    registers: [registry],
    collect() {
      this.set(levelDbTableReads().mmap ? 1 : 0)
    },
  })
  replace('livestate_state_heap_growing_percent')
  new Gauge({
    name: 'livestate_state_heap_growing_percent',
    help:
      'How far V8 lets the heap grow past its live size before collecting again, in percent, as fixed under the ' +
      'memory budget (-1: V8 picks its adaptive factor, or node was given --heap-growing-percent)',
    registers: [registry],
    collect() {
      this.set(heapGrowingPercent() ?? -1)
    },
  })
  gauge(
    'livestate_state_memory_used_bytes',
    'Memory in use per budget part (leveldb: memtables and block cache)',
    ['taskmanager', 'part'],
    (g, s) => {
      for (const { name, m } of s) {
        g.set({ taskmanager: name, part: 'object_cache' }, m.objectCacheBytes)
        g.set({ taskmanager: name, part: 'leveldb' }, m.levelDbMemoryBytes)
      }
    },
  )
  gauge(
    'livestate_state_object_cache_entries',
    'Decoded state values held in the object cache',
    ['taskmanager'] as Label[],
    (g, s) => {
      for (const { name, m } of s) g.set({ taskmanager: name }, m.objectCacheEntries)
    },
  )
  gauge(
    'livestate_state_cache_hit_ratio',
    'Object-cache hits / point reads since start',
    ['taskmanager'] as Label[],
    (g, s) => {
      for (const { name, m } of s) g.set({ taskmanager: name }, m.cacheHitRate)
    },
  )
  gauge(
    'livestate_state_disk_bytes',
    'Approximate bytes of state in LevelDB table files',
    ['taskmanager'] as Label[],
    (g, s) => {
      for (const { name, m } of s) g.set({ taskmanager: name }, m.bytesOnDisk)
    },
  )
  for (const [name, help, of] of COUNTERS) {
    replace(name)
    new Counter<Label>({
      name,
      help,
      labelNames: ['taskmanager'],
      registers: [registry],
      async collect() {
        const s = await read()
        this.reset()
        for (const { name: tm, m } of s) this.inc({ taskmanager: tm }, of(m))
      },
    })
  }
}
