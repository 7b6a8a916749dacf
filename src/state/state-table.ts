// The storage seam under the keyed state kinds: decoded values addressed by binary strings (one char
// per byte, so Map lookups stay cheap). primary = [key group: 2][canonical key][namespace];
// secondary = a MapState user key or a ListState index. HeapStateTable keeps objects in maps;
// the LevelDB table keeps a write-back cache over an OrderedStore. The kinds are written once over this.

export interface StateTable {
  get(primary: string): unknown
  put(primary: string, value: unknown): void
  remove(primary: string): void

  getEntry(primary: string, secondary: string): unknown
  putEntry(primary: string, secondary: string, value: unknown): void
  removeEntry(primary: string, secondary: string): void
  /** Entries under one primary key, ordered by secondary (byte order). */
  entries(primary: string): AsyncIterable<[string, unknown]>
  clearEntries(primary: string): Promise<void>

  /**
   * Primary keys (of values or of entry groups) whose key group lies in [kgStart, kgEnd], in byte
   * order of the primary key, starting after `after` when given.
   */
  primaryKeys(kgStart: number, kgEnd: number, after?: string): AsyncIterable<string>
  /** Number of primary keys held (approximate for disk tables). */
  size(): number
  /** Writes dirty entries down (no-op on heap). */
  flush(): Promise<void>
  dispose(): Promise<void>
}

export interface StateTableFactory {
  create(operatorUid: string, stateName: string, keyGroups: { start: number; end: number }): StateTable
}
