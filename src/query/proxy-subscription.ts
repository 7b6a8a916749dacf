// A subscription held by the query proxy across owner failovers: it subscribes to every owner whose
// key groups are relevant, and follows the KvStateLocation — when an owner goes away the listener
// gets `status: restoring`; when new owners register (next epoch) it subscribes to them, which
// yields fresh snapshot frames, and then `status: live`. No gap: the new owner's snapshot is the
// latest value, and (epoch, seq) keeps increasing per key.
import { assignToKeyGroup } from '../keys/key-group-range-assignment.ts'
import type { KvStateLocation, KvStateLocationOwner } from './kv-state-location-registry.ts'
import type { KvStateServer } from './kv-state-server.ts'
import type { ChangeEvent, SubscriptionSelector } from './query-gateway.ts'

const PENDING = () => {}

export class ProxySubscription {
  private closed = false
  private readonly active = new Map<string, () => void>()
  private restoring = false
  private readonly stopWatching: () => void
  private readonly relevantGroups: Set<number> | undefined

  constructor(
    private readonly location: KvStateLocation,
    private readonly selector: SubscriptionSelector,
    private readonly server: (address: string) => KvStateServer | undefined,
    private readonly listener: (e: ChangeEvent) => void,
  ) {
    this.relevantGroups =
      'keys' in selector ? new Set(selector.keys.map((k) => assignToKeyGroup(k, location.numKeyGroups))) : undefined
    this.stopWatching = location.onChange((event, owner) => {
      if (event === 'registered') this.ownerUp(owner)
      else this.ownerDown(owner)
    })
    for (const o of location.distinctOwners()) this.ownerUp(o)
  }

  private isRelevant(o: KvStateLocationOwner): boolean {
    if (!this.relevantGroups) return true
    for (const kg of this.relevantGroups) if (kg >= o.keyGroupRange.start && kg <= o.keyGroupRange.end) return true
    return false
  }

  private ownerUp(o: KvStateLocationOwner): void {
    if (this.closed || this.active.has(o.kvStateId) || !this.isRelevant(o)) {
      this.maybeLive()
      return
    }
    const server = this.server(o.serverAddress)
    if (!server) return
    this.active.set(o.kvStateId, PENDING)
    server
      .subscribe(o.kvStateId, this.selector, (e) => !this.closed && this.listener(e))
      .then(
        (unsubscribe) => {
          if (this.closed || !this.active.has(o.kvStateId)) unsubscribe()
          else this.active.set(o.kvStateId, unsubscribe)
          this.maybeLive()
        },
        () => {
          this.active.delete(o.kvStateId)
          this.markRestoring()
        },
      )
  }

  private ownerDown(o: KvStateLocationOwner): void {
    const unsubscribe = this.active.get(o.kvStateId)
    if (!unsubscribe) return
    this.active.delete(o.kvStateId)
    unsubscribe()
    this.markRestoring()
  }

  private markRestoring(): void {
    if (this.restoring || this.closed) return
    this.restoring = true
    this.listener({ type: 'status', state: 'restoring' })
  }

  /** Live again once every relevant key group has an owner we are subscribed to. */
  private maybeLive(): void {
    if (!this.restoring || this.closed) return
    const groups = this.relevantGroups ?? Array.from({ length: this.location.numKeyGroups }, (_, i) => i)
    for (const kg of groups) {
      const o = this.location.ownerOf(kg)
      if (!o) return
      const u = this.active.get(o.kvStateId)
      if (!u || u === PENDING) return
    }
    this.restoring = false
    this.listener({ type: 'status', state: 'live' })
  }

  close(): void {
    this.closed = true
    this.stopWatching()
    for (const u of this.active.values()) u()
    this.active.clear()
  }
}
