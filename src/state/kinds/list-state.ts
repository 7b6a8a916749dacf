// ListState: the element count under the primary key, element i under secondary = 4-byte index, so
// add() appends one entry instead of rewriting the list (LevelDB has no merge operator). TTL applies
// per element, as in Flink.
import type { ListState } from '../../api/state.ts'
import { AbstractKeyedState, QUERY_ASYNC, type SweepCursor, type SweepResult } from './abstract-keyed-state.ts'

function indexChars(i: number): string {
  return String.fromCharCode((i >>> 24) & 0xff, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff)
}

export class InternalListState<T> extends AbstractKeyedState implements ListState<T> {
  private elementsOf(primary: string, peekOnly: boolean): T[] {
    const n = (this.table.get(primary) as number | undefined) ?? 0
    const out: T[] = []
    for (let i = 0; i < n; i++) {
      const stored = this.table.getEntry(primary, indexChars(i))
      if (stored === undefined) continue
      if (!this.ttl) out.push(stored as T)
      else if (!this.ttl.isExpired(stored)) {
        const value = (stored as [T])[0]
        // onReadAndWrite: reading the list restarts the TTL of every element it returns
        if (!peekOnly && this.ttl.refreshOnRead) this.table.putEntry(primary, indexChars(i), this.ttl.wrap(value))
        out.push(value)
      } else if (!peekOnly) this.table.removeEntry(primary, indexChars(i))
    }
    return out
  }

  get(): T[] {
    return this.elementsOf(this.primary(), false)
  }

  add(value: T): void {
    const primary = this.primary()
    const n = (this.table.get(primary) as number | undefined) ?? 0
    this.table.putEntry(primary, indexChars(n), this.ttl ? this.ttl.wrap(value) : value)
    this.table.put(primary, n + 1)
    this.published(primary)
  }

  addAll(values: readonly T[]): void {
    const primary = this.primary()
    let n = (this.table.get(primary) as number | undefined) ?? 0
    for (const v of values) this.table.putEntry(primary, indexChars(n++), this.ttl ? this.ttl.wrap(v) : v)
    this.table.put(primary, n)
    this.published(primary)
  }

  update(values: readonly T[]): void {
    this.clear()
    if (values.length > 0) this.addAll(values)
  }

  override clear(): void {
    const primary = this.primary()
    const n = (this.table.get(primary) as number | undefined) ?? 0
    for (let i = 0; i < n; i++) this.table.removeEntry(primary, indexChars(i))
    this.delete(primary)
  }

  private published(primary: string): void {
    const l = this.changeListener
    if (l?.isWatched(primary)) l.publish(primary, this.elementsOf(primary, true))
  }

  override queryValueNow(): unknown {
    return QUERY_ASYNC
  }

  override async queryValue(primary: string): Promise<unknown> {
    if (this.table.get(primary) === undefined) return undefined
    return this.elementsOf(primary, true)
  }

  /** Expired elements are dropped on read and by the sweep; a list left empty loses its count. */
  override sweepExpired(kgStart: number, kgEnd: number, budget: number, from?: SweepCursor): Promise<SweepResult> {
    return this.sweepExpiredEntries(kgStart, kgEnd, budget, from)
  }

  protected override sweptEntries(primary: string): void {
    this.published(primary)
  }
}
