// KvStateServer (Flink's, one per TaskManager): answers point lookups, ordered scans and change-feed
// subscriptions for the KvStateIDs registered here. It refuses a key group it does not own
// (NOT_OWNER) and an unknown id (UNKNOWN_KV_STATE_ID): the proxy re-resolves the location on both.
import { LivestateError } from '@livestate/client'
import { encodeKeyToBinaryString, type Key } from '../keys/key-codec.ts'
import { QUERY_ASYNC } from '../state/kinds/abstract-keyed-state.ts'
import { keyGroupChars, VOID_NAMESPACE } from '../state/namespace.ts'
import { ChangeFeed, type FeedSubscriber, matches } from './change-feed.ts'
import { mergeKeyGroups } from './key-group-merge.ts'
import type { KvStateEntry, KvStateRegistry } from './kv-state-registry.ts'
import type { ChangeEvent, SubscriptionSelector } from './query-gateway.ts'

export interface KvStateGetRequest {
  kvStateId: string
  key: Key
  keyGroup: number
  mapKey?: Key
  window?: 'latest' | 'all' | number
}

export interface KvStateScanRequest {
  kvStateId: string
  /** Binary strings of canonical key bytes (no key group). */
  fromKey?: string
  toKey?: string
  prefix?: string
  /** Exclusive: continue after this key (cursor). */
  afterKey?: string
  limit: number
}

export interface ScannedEntry {
  keyChars: string
  key: Key
  value: unknown
  /** The change-feed sequence when the value was read (values are read synchronously). */
  seq: number
}

export class KvStateServer {
  private readonly feeds = new Map<string, ChangeFeed>()

  constructor(private readonly registry: KvStateRegistry) {}

  entry(kvStateId: string): KvStateEntry {
    const e = this.registry.getKvState(kvStateId)
    if (!e) throw new LivestateError('UNKNOWN_KV_STATE_ID', `no state registered as ${kvStateId}`)
    return e
  }

  private async valueAt(
    e: KvStateEntry,
    keyPrefix: string,
    key: Key,
    opts: { mapKey?: Key; window?: 'latest' | 'all' | number },
  ) {
    const h = e.handle
    if (h.queryWindows) {
      const found = await h.queryWindows(keyPrefix, opts.window ?? 'latest')
      if (found === undefined) return undefined
      const toRecord = (f: { window: unknown; value: unknown }) => ({ key, window: f.window, value: f.value })
      return Array.isArray(found) ? found.map(toRecord) : toRecord(found as { window: unknown; value: unknown })
    }
    return (h.state.queryValue as (p: string, m?: Key) => Promise<unknown>).call(
      h.state,
      keyPrefix + VOID_NAMESPACE,
      opts.mapKey,
    )
  }

  get(req: KvStateGetRequest): Promise<{ value: unknown; epoch: number; subtask: number }> {
    try {
      const e = this.entry(req.kvStateId)
      if (!e.keyGroupRange.contains(req.keyGroup)) {
        throw new LivestateError(
          'NOT_OWNER',
          `subtask ${e.subtaskIndex} of '${e.stateName}' does not own key group ${req.keyGroup}`,
        )
      }
      const prefix = keyGroupChars(req.keyGroup) + encodeKeyToBinaryString(req.key)
      const h = e.handle
      if (h.queryWindows === undefined && req.mapKey === undefined) {
        // one stored value: answered without an await (the value is in memory or read with getSync)
        const value = h.state.queryValueNow(prefix + VOID_NAMESPACE)
        if (value !== QUERY_ASYNC) return Promise.resolve({ value, epoch: e.epoch, subtask: e.subtaskIndex })
      }
      return this.valueAt(e, prefix, req.key, req).then((value) => ({ value, epoch: e.epoch, subtask: e.subtaskIndex }))
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** Drops the change feed of a state that was unregistered (its task stopped). */
  release(kvStateId: string): void {
    this.feeds.delete(kvStateId)
  }

  /** Open change-feed subscriptions of one state here (read-only; tests check that closing releases them). */
  subscriberCount(kvStateId: string): number {
    return this.feeds.get(kvStateId)?.size ?? 0
  }

  keyType(kvStateId: string): 'string' | 'number' | 'bigint' | 'boolean' | 'composite' | undefined {
    return this.entry(kvStateId).handle.backend.observedKeyType
  }

  /** Entries of this subtask in canonical key order: a lazy merge over its key groups. */
  async scan(req: KvStateScanRequest): Promise<ScannedEntry[]> {
    const e = this.entry(req.kvStateId)
    const table = e.handle.backend.tableOf(e.handle.state.descriptor.name)
    if (!table) return []
    let lower = req.fromKey ?? ''
    if (req.prefix !== undefined && req.prefix > lower) lower = req.prefix
    const out: ScannedEntry[] = []
    const keys = mergeKeyGroups(table, e.keyGroupRange.startKeyGroup, e.keyGroupRange.endKeyGroup, {
      lower,
      ...(req.afterKey === undefined ? {} : { afterKey: req.afterKey }),
      ...(req.toKey === undefined ? {} : { toKey: req.toKey }),
      ...(req.prefix === undefined ? {} : { prefix: req.prefix }),
    })
    for await (const k of keys) {
      const seq = this.feeds.get(req.kvStateId)?.seq ?? 0
      const value = await this.valueAt(e, keyGroupChars(k.keyGroup) + k.keyChars, k.key, {})
      if (value === undefined) continue
      out.push({ keyChars: k.keyChars, key: k.key, value, seq })
      if (out.length >= req.limit) break
    }
    return out
  }

  /**
   * Subscribes to changes of one state on this subtask: snapshot frames of the current values first,
   * then updates; changes published while the snapshot is read are held back and sent after it when
   * newer, so there is no gap and (epoch, seq) strictly increases per key.
   */
  async subscribe(
    kvStateId: string,
    selector: SubscriptionSelector,
    listener: (e: ChangeEvent) => void,
  ): Promise<() => void> {
    const e = this.entry(kvStateId)
    let feed = this.feeds.get(kvStateId)
    if (!feed) {
      const windows = e.handle.queryWindows
      const latest =
        windows &&
        ((prefix: string) => windows(prefix, 'latest') as Promise<{ window: unknown; value: unknown } | undefined>)
      feed = new ChangeFeed(e.epoch, e.maxParallelism, e.handle.kind === 'window', latest)
      this.feeds.set(kvStateId, feed)
      e.handle.state.changeListener = feed
    }
    const held = new Map<string, ChangeEvent>()
    let snapshotting = true
    const sub: FeedSubscriber = {
      selector,
      listener: (ev) => {
        if (!snapshotting) return listener(ev)
        if ('key' in ev) held.set(encodeKeyToBinaryString(ev.key), ev)
      },
    }
    if ('prefix' in selector) sub.stringPrefix = encodeKeyToBinaryString(selector.prefix).slice(0, -2)
    // Changes made while nobody watched were not published, so they did not advance the sequence:
    // the snapshot must be numbered past every change sent before, or a resuming client that saw
    // the key at the current seq would drop the newer value as a repeat. A change numbered before
    // this (a window state's, still being read) is in the snapshot: the feed does not deliver it.
    sub.since = ++feed.seq
    feed.add(sub)
    const snapshot: (ScannedEntry & { keyPrefix?: string })[] = []
    if ('keys' in selector) {
      for (const key of selector.keys) {
        const prefix = feed.keyPrefixOf(key)
        if (!e.keyGroupRange.contains((prefix.charCodeAt(0) << 8) | prefix.charCodeAt(1))) continue
        const seq = feed.seq
        const value = await this.valueAt(e, prefix, key, {})
        if (value !== undefined) snapshot.push({ keyChars: prefix.slice(2), keyPrefix: prefix, key, value, seq })
      }
    } else {
      const prefix = 'prefix' in selector ? sub.stringPrefix : undefined
      for (let after: string | undefined; ; ) {
        const page = await this.scan({
          kvStateId,
          limit: 1000,
          ...(prefix === undefined ? {} : { prefix }),
          ...(after === undefined ? {} : { afterKey: after }),
        })
        snapshot.push(...page)
        if (page.length < 1000) break
        after = page[page.length - 1]!.keyChars
      }
    }
    for (const s of snapshot) {
      listener({ type: 'snapshot', key: s.key, value: s.value, epoch: feed.epoch, seq: s.seq })
      // a held change at or before the read is in the snapshot value; a later one follows it
      const heldEv = held.get(s.keyChars)
      if (heldEv && 'seq' in heldEv && heldEv.seq <= s.seq) held.delete(s.keyChars)
    }
    // A window state's feed numbers a change before it reads the key's latest window, so a change
    // numbered at or before a key's snapshot read may still be published after the snapshot frame.
    // Its value is in the snapshot (and a later change is numbered past it): until every change
    // numbered by now is out, the feed does not deliver a key's change not past its snapshot seq.
    const unpublished = feed.numberedUnpublished()
    if (unpublished !== undefined && snapshot.length > 0) {
      const floors = new Map<string, number>()
      for (const s of snapshot) floors.set(s.keyPrefix ?? feed.keyPrefixOf(s.key), s.seq)
      sub.floors = floors
      const settled = () => {
        if (sub.floors === floors) sub.floors = undefined
      }
      unpublished.then(settled, settled)
    }
    snapshotting = false
    for (const ev of held.values()) if ('key' in ev && matches(sub, feed.keyPrefixOf(ev.key))) listener(ev)
    return () => {
      feed.remove(sub)
    }
  }
}
