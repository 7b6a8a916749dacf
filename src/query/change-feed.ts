// ChangeFeed: the per-(state, subtask) publisher of the owning task. It tells the state kinds which
// keys are watched (only those changes are published) and numbers changes with a sequence that,
// with the owner's epoch, strictly increases per key. Subscribers get snapshot frames first.
import { decodeKey, encodeKeyToBinaryString, type Key } from '../keys/key-codec.ts'
import { type ChangeListener, DELETED } from '../state/kinds/abstract-keyed-state.ts'
import { keyGroupChars, parseWindowNamespace } from '../state/namespace.ts'
import { assignToKeyGroup } from '../keys/key-group-range-assignment.ts'
import type { ChangeEvent, SubscriptionSelector } from './query-gateway.ts'

export interface FeedSubscriber {
  selector: SubscriptionSelector
  listener: (e: ChangeEvent) => void
  /** Binary-string key prefixes ([kg][key]) of explicit keys. */
  keyPrefixes?: Set<string>
  /** Encoded string prefix without the terminator (binary string), for prefix selectors. */
  stringPrefix?: string
}

export class ChangeFeed implements ChangeListener {
  seq = 0
  private readonly subscribers = new Set<FeedSubscriber>()
  private readonly byKey = new Map<string, Set<FeedSubscriber>>()
  private prefixOrAll = 0

  constructor(
    readonly epoch: number,
    private readonly maxParallelism: number,
    private readonly isWindow: boolean,
  ) {}

  keyPrefixOf(key: Key): string {
    return keyGroupChars(assignToKeyGroup(key, this.maxParallelism)) + encodeKeyToBinaryString(key)
  }

  get size(): number {
    return this.subscribers.size
  }

  add(sub: FeedSubscriber): void {
    this.subscribers.add(sub)
    if ('keys' in sub.selector) {
      sub.keyPrefixes = new Set(sub.selector.keys.map((k) => this.keyPrefixOf(k)))
      for (const p of sub.keyPrefixes) {
        let set = this.byKey.get(p)
        if (!set) this.byKey.set(p, (set = new Set()))
        set.add(sub)
      }
    } else {
      this.prefixOrAll++
    }
  }

  remove(sub: FeedSubscriber): void {
    if (!this.subscribers.delete(sub)) return
    if (sub.keyPrefixes) {
      for (const p of sub.keyPrefixes) {
        const set = this.byKey.get(p)
        set?.delete(sub)
        if (set?.size === 0) this.byKey.delete(p)
      }
    } else this.prefixOrAll--
  }

  private keyPrefixOfPrimary(primary: string): string {
    return primary.slice(0, primary.length - (this.isWindow ? 17 : 1))
  }

  isWatched(primary: string): boolean {
    if (this.subscribers.size === 0) return false
    return this.prefixOrAll > 0 || this.byKey.has(this.keyPrefixOfPrimary(primary))
  }

  publish(primary: string, value: unknown): void {
    const seq = ++this.seq
    const keyPrefix = this.keyPrefixOfPrimary(primary)
    const decoded = decodeKey(Buffer.from(keyPrefix.slice(2), 'latin1')).key
    let event: ChangeEvent
    if (value === DELETED) event = { type: 'delete', key: decoded, epoch: this.epoch, seq }
    else {
      const v = this.isWindow ? { key: decoded, window: parseWindowNamespace(primary, keyPrefix.length), value } : value
      event = { type: 'update', key: decoded, value: v, epoch: this.epoch, seq }
    }
    for (const sub of this.subscribers) {
      if (matches(sub, keyPrefix)) sub.listener(event)
    }
  }
}

export function matches(sub: FeedSubscriber, keyPrefix: string): boolean {
  if (sub.keyPrefixes) return sub.keyPrefixes.has(keyPrefix)
  if (sub.stringPrefix !== undefined) return keyPrefix.startsWith(sub.stringPrefix, 2)
  return true
}
