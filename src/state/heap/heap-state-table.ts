// HeapStateTable: state entries as objects in JS Maps (Flink's HeapKeyedStateBackend StateTable).
// Secondary entries (MapState, ListState) live in a nested Map per primary key.
import { decodeMsgpack, encodeMsgpack } from '@livestate/client'
import { primaryLength } from '../stored-key-layout.ts'
import type { ScanOptions, StateTable, TableSnapshot } from '../state-table.ts'
import { keyGroupChars, keyGroupOfPrimary } from '../namespace.ts'

/** Entries per chunk of a snapshot. */
const CHUNK = 512

export class HeapStateTable implements StateTable {
  private readonly values = new Map<string, unknown>()
  private readonly groups = new Map<string, Map<string, unknown>>()
  /** Sorted primary keys, rebuilt lazily after keys were added or removed (scans only). */
  private sorted: string[] | undefined

  get(primary: string): unknown {
    return this.values.get(primary)
  }

  peek(primary: string): unknown {
    return this.values.get(primary)
  }

  put(primary: string, value: unknown): void {
    if (this.sorted !== undefined && !this.values.has(primary)) this.sorted = undefined
    this.values.set(primary, value)
  }

  remove(primary: string): void {
    if (this.values.delete(primary)) this.sorted = undefined
  }

  getEntry(primary: string, secondary: string): unknown {
    return this.groups.get(primary)?.get(secondary)
  }

  putEntry(primary: string, secondary: string, value: unknown): void {
    let g = this.groups.get(primary)
    if (!g) {
      this.groups.set(primary, (g = new Map()))
      this.sorted = undefined
    }
    g.set(secondary, value)
  }

  removeEntry(primary: string, secondary: string): void {
    const g = this.groups.get(primary)
    if (!g) return
    g.delete(secondary)
    if (g.size === 0) {
      this.groups.delete(primary)
      this.sorted = undefined
    }
  }

  /** The keys are fixed when iteration starts; values are read as iteration reaches them. */
  async *entries(primary: string, after?: string, _options?: ScanOptions): AsyncIterable<[string, unknown]> {
    const g = this.groups.get(primary)
    if (!g) return
    const keys = [...g.keys()].sort(compareBinary)
    let i = after === undefined ? 0 : lowerBound(keys, after)
    if (after !== undefined && keys[i] === after) i++
    for (; i < keys.length; i++) {
      const k = keys[i]!
      if (g.has(k)) yield [k, g.get(k)]
    }
  }

  async clearEntries(primary: string): Promise<void> {
    if (this.groups.delete(primary)) this.sorted = undefined
  }

  private sortedKeys(): string[] {
    if (this.sorted === undefined) {
      const all = new Set<string>(this.values.keys())
      for (const k of this.groups.keys()) all.add(k)
      this.sorted = [...all].sort(compareBinary)
    }
    return this.sorted
  }

  async *primaryKeys(kgStart: number, kgEnd: number, after?: string, _options?: ScanOptions): AsyncIterable<string> {
    const keys = this.sortedKeys()
    const lower = keyGroupChars(kgStart)
    const from = after !== undefined && after > lower ? after : lower
    let i = lowerBound(keys, from)
    if (after !== undefined && keys[i] === after) i++
    for (; i < keys.length; i++) {
      const k = keys[i]!
      if (keyGroupOfPrimary(k) > kgEnd) return
      if (this.values.has(k) || this.groups.has(k)) yield k
    }
  }

  snapshot(kgStart: number, kgEnd: number): TableSnapshot {
    // Copy the references now (the pause is a walk over the maps, no encoding); encode later.
    const copied: [string, unknown][] = []
    for (const [k, v] of this.values) {
      const kg = keyGroupOfPrimary(k)
      if (kg >= kgStart && kg <= kgEnd) copied.push([k, v])
    }
    for (const [p, g] of this.groups) {
      const kg = keyGroupOfPrimary(p)
      if (kg < kgStart || kg > kgEnd) continue
      for (const [s2, v] of g) copied.push([p + s2, v])
    }
    return {
      async *entries() {
        copied.sort((a, b) => compareBinary(a[0], b[0]))
        for (let i = 0; i < copied.length; i += CHUNK)
          yield copied.slice(i, i + CHUNK).map(([k, v]) => [k, encodeMsgpack(v)] as const)
      },
      async release() {
        copied.length = 0
      },
    }
  }

  async restore(entries: AsyncIterable<[Uint8Array, Uint8Array]> | Iterable<[Uint8Array, Uint8Array]>): Promise<void> {
    for await (const [key, value] of entries) {
      const chars = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1')
      const pl = primaryLength(key)
      if (pl === key.length) this.put(chars, decodeMsgpack(value))
      else this.putEntry(chars.slice(0, pl), chars.slice(pl), decodeMsgpack(value))
    }
  }

  size(): number {
    return this.values.size + this.groups.size
  }

  async flush(): Promise<void> {}

  async dispose(): Promise<void> {
    this.values.clear()
    this.groups.clear()
  }
}

/** Binary strings compare like their bytes (one char per byte). */
export function compareBinary(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function lowerBound(keys: string[], target: string): number {
  let lo = 0
  let hi = keys.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (keys[mid]! < target) lo = mid + 1
    else hi = mid
  }
  return lo
}
