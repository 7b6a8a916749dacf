// ChangeFeed: the per-(state, subtask) publisher of the owning task. It tells the state kinds which
// keys are watched (only those changes are published) and numbers changes with a sequence that,
// with the owner's epoch, strictly increases per key. Subscribers get snapshot frames first.
// A window state's key stands for its latest in-flight window (as a point get and the snapshot
// answer): a change to any of its windows publishes the key's latest window, or a delete once none
// is left — not the window that changed, whose cleanup would read as "this key has no value".
// Such a change is numbered before its window is read, so it can be published after a snapshot that
// was read later (and numbered the same or higher): each subscriber skips changes numbered before
// its subscription (`since`) and, while those may still come, ones not past its snapshot of the key.
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
  /** The sequence number the subscription took: changes numbered before it are not delivered. */
  since?: number
  /**
   * The seq of each key's snapshot frame ([kg][key] binary string), while changes numbered before
   * the snapshot was read may still be published: those are not delivered (see the subscribe()).
   */
  floors?: Map<string, number>
}

/** The latest in-flight window of a key ([kg][key] binary string) of a window state, if any. */
export type LatestWindow = (keyPrefix: string) => Promise<{ window: unknown; value: unknown } | undefined>

export class ChangeFeed implements ChangeListener {
  seq = 0
  private readonly subscribers = new Set<FeedSubscriber>()
  private readonly byKey = new Map<string, Set<FeedSubscriber>>()
  /** Prefix and all-keys subscribers: the ones every change must be checked against. */
  private readonly wide = new Set<FeedSubscriber>()
  /** Window states: keys whose latest window must be re-read and published, in change order. */
  private readonly dirtyWindows = new Set<string>()
  private windowPublishing: Promise<void> = Promise.resolve()
  /** Window publishing passes scheduled and not finished: changes numbered and not yet published. */
  private windowPasses = 0

  constructor(
    readonly epoch: number,
    private readonly maxParallelism: number,
    private readonly isWindow: boolean,
    private readonly latestWindow?: LatestWindow,
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
      this.wide.add(sub)
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
    } else this.wide.delete(sub)
  }

  private keyPrefixOfPrimary(primary: string): string {
    return primary.slice(0, primary.length - (this.isWindow ? 17 : 1))
  }

  /**
   * Settles once every change numbered so far has been published; undefined when that is already so
   * (always, but for window states: they number a change before reading its latest window).
   */
  numberedUnpublished(): Promise<void> | undefined {
    return this.windowPasses === 0 ? undefined : this.windowPublishing
  }

  isWatched(primary: string): boolean {
    if (this.subscribers.size === 0) return false
    return this.wide.size > 0 || this.byKey.has(this.keyPrefixOfPrimary(primary))
  }

  publish(primary: string, value: unknown): void {
    const keyPrefix = this.keyPrefixOfPrimary(primary)
    if (this.latestWindow) {
      this.scheduleWindow(keyPrefix)
      return
    }
    const seq = ++this.seq
    const decoded = decodeKey(Buffer.from(keyPrefix.slice(2), 'latin1')).key
    const v =
      value !== DELETED && this.isWindow
        ? { key: decoded, window: parseWindowNamespace(primary, keyPrefix.length), value }
        : value
    this.emit(keyPrefix, decoded, v, seq)
  }

  private emit(keyPrefix: string, key: Key, value: unknown, seq: number): void {
    const event: ChangeEvent =
      value === DELETED
        ? { type: 'delete', key, epoch: this.epoch, seq }
        : { type: 'update', key, value, epoch: this.epoch, seq }
    // only the subscribers of this key and the wide ones, not every subscriber of the state
    const exact = this.byKey.get(keyPrefix)
    if (exact) for (const sub of exact) if (isNewFor(sub, keyPrefix, seq)) sub.listener(event)
    for (const sub of this.wide) if (matches(sub, keyPrefix) && isNewFor(sub, keyPrefix, seq)) sub.listener(event)
  }

  /**
   * Publishes the key's latest window after the change (read asynchronously, deduplicated per key).
   * The seq is taken before the read: a snapshot read after it holds at least this value, and any
   * later change marks the key again (numbered by a later pass, past the snapshot), so dropping an
   * event with seq <= the snapshot's loses nothing — whether it was held while the snapshot was read
   * or is published after the snapshot frame went out (isNewFor).
   */
  private scheduleWindow(keyPrefix: string): void {
    const first = this.dirtyWindows.size === 0
    this.dirtyWindows.add(keyPrefix)
    if (!first) return
    this.windowPasses++
    this.windowPublishing = this.windowPublishing.then(async () => {
      try {
        const keys = [...this.dirtyWindows]
        this.dirtyWindows.clear()
        for (const p of keys) {
          const seq = ++this.seq
          const key = decodeKey(Buffer.from(p.slice(2), 'latin1')).key
          let latest: { window: unknown; value: unknown } | undefined
          try {
            latest = await this.latestWindow!(p)
          } catch {
            continue // the owner is closing; its subscribers move to the next owner (status frames)
          }
          this.emit(p, key, latest === undefined ? DELETED : { key, window: latest.window, value: latest.value }, seq)
        }
      } finally {
        this.windowPasses--
      }
    })
  }
}

/**
 * A change numbered before the subscription, or not past the subscriber's snapshot of the key, was
 * read (by the window publisher) before the snapshot was: the snapshot holds it, and any later change
 * of the key is numbered after the snapshot. Sending it would break the per-key strictly increasing seq.
 */
function isNewFor(sub: FeedSubscriber, keyPrefix: string, seq: number): boolean {
  if (sub.since !== undefined && seq < sub.since) return false
  const floor = sub.floors?.get(keyPrefix)
  return floor === undefined || seq > floor
}

export function matches(sub: FeedSubscriber, keyPrefix: string): boolean {
  if (sub.keyPrefixes) return sub.keyPrefixes.has(keyPrefix)
  if (sub.stringPrefix !== undefined) return keyPrefix.startsWith(sub.stringPrefix, 2)
  return true
}
