// Base of the five state kinds: addresses the StateTable through the backend's current key and
// namespace, applies TTL, and publishes changes of queryable states (Flink's AbstractHeapState +
// InternalKvState, written once for every backend).
import type { AnyStateDescriptor } from '../../api/state-descriptors.ts'
import type { StateTable } from '../state-table.ts'
import type { TtlPolicy } from '../ttl.ts'

export interface KeyContext {
  /** [key group][canonical key] of the current key, as a binary string. */
  currentKeyPrefix(): string
  currentNamespace(): string
  /** currentKeyPrefix() + currentNamespace(), cached by the backend where it can. */
  currentPrimary?(): string
}

export const DELETED: unique symbol = Symbol('deleted')
/** queryValueNow's answer when the kind can only answer asynchronously (queryValue). */
export const QUERY_ASYNC: unique symbol = Symbol('query-async')

/** Where a TTL sweep stopped: after `primary`, or inside its entries after `secondary`. */
export interface SweepCursor {
  primary: string
  secondary?: string
  /** Inside a group: a live entry was seen before the cursor. */
  live?: boolean
}

export interface SweepResult {
  /** Keys and entries looked at (the slice's budget counts these). */
  examined: number
  removed: number
  /** Where to continue; undefined when this state's pass is complete. */
  next: SweepCursor | undefined
}

/** Background sweeps scan what is stored; they never turn hot dirty entries into disk writes. */
const STORED_ONLY = { flush: false } as const
/** Groups (maps, lists) found empty in a pass, checked and dropped at its end; more wait a pass. */
const MAX_EMPTY_GROUPS = 1024

/** Receives changes of a queryable state for keys somebody watches (the change feed). */
export interface ChangeListener {
  isWatched(primary: string): boolean
  publish(primary: string, value: unknown | typeof DELETED): void
}

export abstract class AbstractKeyedState {
  changeListener: ChangeListener | undefined

  constructor(
    readonly descriptor: AnyStateDescriptor,
    protected readonly table: StateTable,
    protected readonly keyContext: KeyContext,
    protected readonly ttl: TtlPolicy | undefined,
  ) {}

  protected primary(): string {
    const k = this.keyContext
    return k.currentPrimary ? k.currentPrimary() : k.currentKeyPrefix() + k.currentNamespace()
  }

  /** Reads a stored value honouring TTL; `primary` defaults to the current key. */
  protected read(primary: string): unknown {
    const stored = this.table.get(primary)
    if (stored === undefined || !this.ttl) return stored
    if (this.ttl.isExpired(stored)) {
      this.delete(primary)
      return undefined
    }
    if (this.ttl.refreshOnRead) this.table.put(primary, this.ttl.wrap((stored as [unknown])[0]))
    return (stored as [unknown])[0]
  }

  /** Reads without side effects (queries must not refresh TTL or delete). */
  protected peek(primary: string): unknown {
    const stored = this.table.peek(primary)
    if (stored === undefined || !this.ttl) return stored
    return this.ttl.isExpired(stored) ? undefined : (stored as [unknown])[0]
  }

  protected write(primary: string, value: unknown): void {
    this.table.put(primary, this.ttl ? this.ttl.wrap(value) : value)
    const l = this.changeListener
    if (l?.isWatched(primary)) l.publish(primary, this.queryFromStored(value))
  }

  protected delete(primary: string): void {
    this.table.remove(primary)
    const l = this.changeListener
    if (l?.isWatched(primary)) l.publish(primary, DELETED)
  }

  /** The value a query sees, given what `write` stored (before TTL wrapping). */
  protected queryFromStored(value: unknown): unknown {
    return value
  }

  /** The value a query answers for a primary key (InternalKvState.getSerializedValue's role). */
  async queryValue(primary: string): Promise<unknown> {
    return this.queryValueNow(primary)
  }

  /**
   * queryValue without a promise, for kinds whose answer is one stored value (a point read from the
   * heap or the LevelDB object cache / getSync); QUERY_ASYNC for kinds that must scan (list, map).
   */
  queryValueNow(primary: string): unknown {
    const v = this.peek(primary)
    return v === undefined ? undefined : this.queryFromStored(v)
  }

  /**
   * One slice of the background TTL sweep over [kgStart, kgEnd]: deletes expired values, looking at
   * no more than `budget` keys, starting after `from`. Values are read without entering the cache.
   */
  async sweepExpired(kgStart: number, kgEnd: number, budget: number, from?: SweepCursor): Promise<SweepResult> {
    const r: SweepResult = { examined: 0, removed: 0, next: undefined }
    const ttl = this.ttl
    if (!ttl) return r
    for await (const primary of this.table.primaryKeys(kgStart, kgEnd, from?.primary, STORED_ONLY)) {
      r.examined++
      const stored = this.table.peek(primary)
      if (stored !== undefined && ttl.isExpired(stored)) {
        this.delete(primary)
        r.removed++
      }
      if (r.examined >= budget) {
        r.next = { primary }
        break
      }
    }
    return r
  }

  private emptyGroups: string[] = []

  /**
   * The sweep of kinds that keep entries under the primary key (MapState entries, ListState
   * elements), each with its own TTL: removes expired entries; a group left without live entries is
   * dropped at the end of the pass, after one flush, so an entry still in memory is never missed.
   */
  protected async sweepExpiredEntries(
    kgStart: number,
    kgEnd: number,
    budget: number,
    from?: SweepCursor,
  ): Promise<SweepResult> {
    const r: SweepResult = { examined: 0, removed: 0, next: undefined }
    const ttl = this.ttl
    if (!ttl) return r
    const sweepGroup = async (primary: string, after: string | undefined, liveBefore: boolean): Promise<boolean> => {
      let removed = 0
      let live = liveBefore
      for await (const [secondary, stored] of this.table.entries(primary, after, STORED_ONLY)) {
        r.examined++
        if (ttl.isExpired(stored)) {
          this.table.removeEntry(primary, secondary)
          removed++
        } else live = true
        if (r.examined >= budget) {
          r.next = { primary, secondary, live }
          break
        }
      }
      r.removed += removed
      if (removed > 0) this.sweptEntries(primary)
      if (r.next !== undefined) return false
      if (!live && this.emptyGroups.length < MAX_EMPTY_GROUPS) this.emptyGroups.push(primary)
      return true
    }
    if (from?.secondary !== undefined && !(await sweepGroup(from.primary, from.secondary, from.live ?? false))) return r
    for await (const primary of this.table.primaryKeys(kgStart, kgEnd, from?.primary, STORED_ONLY)) {
      if (++r.examined >= budget) {
        r.next = { primary, secondary: '' } // resume inside this group, from its first entry
        break
      }
      if (!(await sweepGroup(primary, undefined, false))) break
    }
    if (r.next === undefined) r.removed += await this.dropEmptyGroups()
    return r
  }

  private async dropEmptyGroups(): Promise<number> {
    if (this.emptyGroups.length === 0) return 0
    const groups = this.emptyGroups
    this.emptyGroups = []
    await this.table.flush()
    let dropped = 0
    for (const primary of groups) {
      let live = false
      const expired: string[] = []
      for await (const [secondary, stored] of this.table.entries(primary, undefined, STORED_ONLY)) {
        if (this.ttl!.isExpired(stored)) expired.push(secondary)
        else {
          live = true
          break
        }
      }
      if (live || this.table.peek(primary) === undefined) continue
      for (const secondary of expired) this.table.removeEntry(primary, secondary)
      this.delete(primary)
      dropped++
    }
    return dropped
  }

  /** A sweep removed expired entries of this group (kinds publish the new whole value). */
  protected sweptEntries(_primary: string): void {}

  clear(): void {
    this.delete(this.primary())
  }
}
