// MapState: one entry per user key under the primary key (a map with a million entries is a million
// stored entries, never one blob). User keys are queryable keys, encoded order-preservingly, so
// iteration is in user-key order. Point access is synchronous, iteration asynchronous.
import type { MapState } from '../../api/state.ts'
import { decodeKey, encodeKeyToBinaryString, type Key, validateKey } from '../../keys/key-codec.ts'
import { AbstractKeyedState, DELETED, QUERY_ASYNC, type SweepCursor, type SweepResult } from './abstract-keyed-state.ts'

const MARKER = 1 // the primary value marks that the map has entries

function userKeyChars(key: unknown): string {
  return encodeKeyToBinaryString(validateKey(key, 'MapState user key'))
}

function decodeUserKey(chars: string): Key {
  return decodeKey(Buffer.from(chars, 'latin1')).key
}

export class InternalMapState<UK, UV> extends AbstractKeyedState implements MapState<UK, UV> {
  private unwrap(stored: unknown, primary: string, secondary: string, peekOnly: boolean): UV | undefined {
    if (stored === undefined || !this.ttl) return stored as UV | undefined
    if (!this.ttl.isExpired(stored)) {
      const value = (stored as [UV])[0]
      // onReadAndWrite: a point read restarts the entry's TTL, as ValueState's does
      if (!peekOnly && this.ttl.refreshOnRead) this.table.putEntry(primary, secondary, this.ttl.wrap(value))
      return value
    }
    if (!peekOnly) this.table.removeEntry(primary, secondary)
    return undefined
  }

  get(key: UK): UV | undefined {
    const primary = this.primary()
    const secondary = userKeyChars(key)
    return this.unwrap(this.table.getEntry(primary, secondary), primary, secondary, false)
  }

  put(key: UK, value: UV): void {
    const primary = this.primary()
    this.table.putEntry(primary, userKeyChars(key), this.ttl ? this.ttl.wrap(value) : value)
    if (this.table.get(primary) === undefined) this.table.put(primary, MARKER)
    this.publishEntry(primary, key, value)
  }

  putAll(entries: Iterable<readonly [UK, UV]>): void {
    for (const [k, v] of entries) this.put(k, v)
  }

  remove(key: UK): void {
    const primary = this.primary()
    this.table.removeEntry(primary, userKeyChars(key))
    this.publishEntry(primary, key, undefined)
  }

  contains(key: UK): boolean {
    return this.get(key) !== undefined
  }

  async *entries(): AsyncIterable<[UK, UV]> {
    const primary = this.primary()
    for await (const [secondary, stored] of this.table.entries(primary)) {
      const v = this.unwrap(stored, primary, secondary, true)
      if (v !== undefined) yield [decodeUserKey(secondary) as UK, v]
    }
  }

  async *keys(): AsyncIterable<UK> {
    for await (const [k] of this.entries()) yield k
  }

  async *values(): AsyncIterable<UV> {
    for await (const [, v] of this.entries()) yield v
  }

  async isEmpty(): Promise<boolean> {
    for await (const _ of this.entries()) return false
    return true
  }

  override async clear(): Promise<void> {
    const primary = this.primary()
    this.table.remove(primary)
    await this.table.clearEntries(primary)
    this.schedulePublish(primary)
  }

  private readonly dirty = new Set<string>()
  private publishing: Promise<void> = Promise.resolve()

  /**
   * Subscribers see whole maps, like a point get: changed watched keys are collected and their full
   * entries published once per turn, in order, so conflation to the latest value stays correct.
   */
  private publishEntry(primary: string, _key: UK, _value: UV | undefined): void {
    if (this.changeListener?.isWatched(primary)) this.schedulePublish(primary)
  }

  private schedulePublish(primary: string): void {
    const l = this.changeListener
    if (!l?.isWatched(primary)) return
    const first = this.dirty.size === 0
    this.dirty.add(primary)
    if (!first) return
    this.publishing = this.publishing.then(async () => {
      const keys = [...this.dirty]
      this.dirty.clear()
      for (const p of keys) {
        const v = await this.queryValue(p)
        l.publish(p, v === undefined ? DELETED : v)
      }
    })
  }

  override queryValueNow(): unknown {
    return QUERY_ASYNC
  }

  /** Wire form of a MapState value: an array of [userKey, value] pairs in user-key order. */
  override async queryValue(primary: string, mapKey?: Key): Promise<unknown> {
    if (mapKey !== undefined) {
      const secondary = encodeKeyToBinaryString(mapKey)
      return this.unwrap(this.table.getEntry(primary, secondary), primary, secondary, true)
    }
    const out: [Key, UV][] = []
    for await (const [secondary, stored] of this.table.entries(primary)) {
      const v = this.unwrap(stored, primary, secondary, true)
      if (v !== undefined) out.push([decodeUserKey(secondary), v])
    }
    return out.length === 0 ? undefined : out
  }

  /** Expired entries are skipped on read, removed by get() and by the sweep. */
  override sweepExpired(kgStart: number, kgEnd: number, budget: number, from?: SweepCursor): Promise<SweepResult> {
    return this.sweepExpiredEntries(kgStart, kgEnd, budget, from)
  }

  protected override sweptEntries(primary: string): void {
    this.schedulePublish(primary)
  }
}
