// The storage seam under the keyed state kinds: decoded values addressed by binary strings (one char
// per byte, so Map lookups stay cheap). primary = [key group: 2][canonical key][namespace];
// secondary = a MapState user key or a ListState index. HeapStateTable keeps objects in maps;
// the LevelDB table keeps a write-back cache over an OrderedStore. The kinds are written once over this.

import type { FramedGroup } from './framed-records.ts'

/** Scans of a write-back table normally write its dirty entries down first (so they see every write). */
export interface ScanOptions {
  /**
   * false: scan what is stored now, without writing dirty entries down; writes still in memory may
   * be missed (background TTL sweeps, which must not turn every hot key into a disk write).
   */
  flush?: boolean
}

export interface StateTable {
  get(primary: string): unknown
  /** Like get, for scans and queries: a cache may answer it without admitting the value. */
  peek(primary: string): unknown
  put(primary: string, value: unknown): void
  remove(primary: string): void

  getEntry(primary: string, secondary: string): unknown
  putEntry(primary: string, secondary: string, value: unknown): void
  removeEntry(primary: string, secondary: string): void
  /** Entries under one primary key, ordered by secondary (byte order), after `after` when given. */
  entries(primary: string, after?: string, options?: ScanOptions): AsyncIterable<[string, unknown]>
  clearEntries(primary: string): Promise<void>

  /**
   * Primary keys (of values or of entry groups) whose key group lies in [kgStart, kgEnd], in byte
   * order of the primary key, starting after `after` when given.
   */
  primaryKeys(kgStart: number, kgEnd: number, after?: string, options?: ScanOptions): AsyncIterable<string>
  /**
   * Synchronous phase of a snapshot: fixes a consistent view of the key groups [kgStart, kgEnd].
   * Its entries are read afterwards, asynchronously, while processing continues: stored key bytes
   * ([kg][key][ns][secondary]) and msgpack value bytes, in byte order of the key.
   * With `incremental` (checkpoints, not savepoints) a table may answer with only the changes since
   * the barrier of checkpoint `base` (TableSnapshot.deltaOf); it then counts changes from this one.
   */
  snapshot(kgStart: number, kgEnd: number, incremental?: IncrementalSnapshot): TableSnapshot
  /** Loads snapshot entries (as produced by a full `snapshot`) into this empty table. */
  restore(entries: AsyncIterable<[Uint8Array, Uint8Array]> | Iterable<[Uint8Array, Uint8Array]>): Promise<void>
  /**
   * The restored entries are exactly checkpoint `checkpointId`'s for this table's key groups: a
   * later incremental snapshot may be a delta against it.
   */
  restoredFrom?(checkpointId: number): void
  /** Number of primary keys held (-1 when unknown without a scan). */
  size(): number
  /** Writes dirty entries down (no-op on heap). */
  flush(): Promise<void>
  dispose(): Promise<void>
}

export interface StateTableFactory {
  create(operatorUid: string, stateName: string, keyGroups: { start: number; end: number }): StateTable
}

export interface IncrementalSnapshot {
  checkpointId: number
  /** The latest completed checkpoint: what a delta would be taken against (undefined: none). */
  base: number | undefined
}

/** A snapshot record: stored key (bytes, or a binary string of them) and value bytes (null: deleted). */
export type SnapshotEntry = readonly [key: Uint8Array | string, value: Uint8Array | null]

export interface TableSnapshot {
  /**
   * Set when the entries are the changes since checkpoint `deltaOf`: null values are deleted keys,
   * and the entries come grouped by key group (ascending) but not sorted within one.
   */
  readonly deltaOf?: number
  /** The entries in chunks (no chunk needs long to go through); a full snapshot's in key order. */
  entries(): AsyncIterable<readonly SnapshotEntry[]>
  /**
   * A delta may offer its entries framed as a state file holds them, by key group ascending (several
   * pieces of one group in a row are one group); a key's last record wins. Read this or entries().
   */
  framed?(): AsyncIterable<FramedGroup>
  release(): Promise<void>
}

/** The entries of a full snapshot (no deltaOf): a deletion among them is a bug and throws. */
export async function* fullEntries(view: TableSnapshot): AsyncIterable<[Uint8Array, Uint8Array]> {
  if (view.deltaOf !== undefined) throw new Error(`a delta snapshot (changes since ${view.deltaOf}) is not a full one`)
  for await (const chunk of view.entries()) {
    for (const [k, v] of chunk) {
      if (v === null) throw new Error('a full snapshot holds a deletion')
      yield [typeof k === 'string' ? Buffer.from(k, 'latin1') : k, v]
    }
  }
}
