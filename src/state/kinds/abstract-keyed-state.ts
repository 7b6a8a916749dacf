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
}

export const DELETED: unique symbol = Symbol('deleted')

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
    return this.keyContext.currentKeyPrefix() + this.keyContext.currentNamespace()
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
    const stored = this.table.get(primary)
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
    const v = this.peek(primary)
    return v === undefined ? undefined : this.queryFromStored(v)
  }

  /** Deletes expired entries in [kgStart, kgEnd], at most `limit`; returns how many it removed. */
  async sweepExpired(kgStart: number, kgEnd: number, limit: number): Promise<number> {
    if (!this.ttl) return 0
    let removed = 0
    for await (const primary of this.table.primaryKeys(kgStart, kgEnd)) {
      const stored = this.table.get(primary)
      if (stored !== undefined && this.ttl.isExpired(stored)) {
        this.delete(primary)
        if (++removed >= limit) break
      }
    }
    return removed
  }

  clear(): void {
    this.delete(this.primary())
  }
}
