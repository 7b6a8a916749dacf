// KvStateLocationRegistry (Flink's, one per job on the JobManager): for every queryable state name,
// which KvStateID on which server owns each key group (KvStateLocation). Two operators registering
// the same name is an error naming both.
import type { AnyStateDescriptor } from '../api/state-descriptors.ts'
import type { KvStateRegistrationMessage, KvStateUnregistrationMessage } from '../cluster/messages.ts'

export interface PlannedQueryableState {
  operatorUid: string
  operatorName: string
  kind: string
  maxParallelism: number
  stateName: string
  descriptor: AnyStateDescriptor | undefined
}

export interface KvStateLocationOwner {
  kvStateId: string
  serverAddress: string
  subtaskIndex: number
  keyGroupRange: { start: number; end: number }
  epoch: number
}

export class KvStateLocation {
  /** Owner per key group; undefined where no subtask is registered (restarting or not yet open). */
  private readonly owners: (KvStateLocationOwner | undefined)[]
  private readonly listeners = new Set<(event: 'registered' | 'unregistered', owner: KvStateLocationOwner) => void>()

  constructor(
    readonly stateName: string,
    readonly kind: string,
    readonly operatorName: string,
    readonly operatorUid: string,
    readonly numKeyGroups: number,
    /** The state's name inside its operator, and its descriptor (for committed reads). */
    public internalStateName: string,
    public descriptor: AnyStateDescriptor | undefined,
  ) {
    this.owners = new Array(numKeyGroups).fill(undefined)
  }

  /** Owners coming and going (failover): subscriptions follow them. */
  onChange(listener: (event: 'registered' | 'unregistered', owner: KvStateLocationOwner) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  register(owner: KvStateLocationOwner): void {
    for (let kg = owner.keyGroupRange.start; kg <= owner.keyGroupRange.end; kg++) this.owners[kg] = owner
    for (const l of this.listeners) l('registered', owner)
  }

  unregister(kvStateId: string, range: { start: number; end: number }): void {
    let removed: KvStateLocationOwner | undefined
    for (let kg = range.start; kg <= range.end; kg++) {
      if (this.owners[kg]?.kvStateId === kvStateId) {
        removed = this.owners[kg]
        this.owners[kg] = undefined
      }
    }
    if (removed) for (const l of this.listeners) l('unregistered', removed)
  }

  ownerOf(keyGroup: number): KvStateLocationOwner | undefined {
    return this.owners[keyGroup]
  }

  /** Distinct owners in key-group order. */
  distinctOwners(): KvStateLocationOwner[] {
    const seen = new Set<string>()
    const out: KvStateLocationOwner[] = []
    for (const o of this.owners) {
      if (o && !seen.has(o.kvStateId)) {
        seen.add(o.kvStateId)
        out.push(o)
      }
    }
    return out
  }

  isComplete(): boolean {
    return this.owners.every((o) => o !== undefined)
  }
}

export class KvStateLocationRegistry {
  private readonly locations = new Map<string, KvStateLocation>()

  constructor(
    readonly jobId: string,
    /** Queryable names known from the plan (asQueryableState, windows), with their operator. */
    planned: Map<string, PlannedQueryableState>,
  ) {
    for (const [name, p] of planned) {
      this.locations.set(
        name,
        new KvStateLocation(name, p.kind, p.operatorName, p.operatorUid, p.maxParallelism, p.stateName, p.descriptor),
      )
    }
  }

  notifyKvStateRegistered(m: KvStateRegistrationMessage): void {
    let loc = this.locations.get(m.stateName)
    if (loc && loc.operatorUid !== m.operatorUid) {
      throw new TypeError(
        `queryable state name '${m.stateName}' is registered by two operators: '${loc.operatorName}' and '${m.operatorName}'; queryable names must be unique in a job`,
      )
    }
    if (!loc) {
      loc = new KvStateLocation(
        m.stateName,
        m.kind,
        m.operatorName,
        m.operatorUid,
        m.maxParallelism,
        m.internalStateName,
        undefined,
      )
      this.locations.set(m.stateName, loc)
    }
    loc.internalStateName = m.internalStateName
    if (m.descriptor) loc.descriptor = m.descriptor as AnyStateDescriptor
    loc.register({
      kvStateId: m.kvStateId,
      serverAddress: m.serverAddress,
      subtaskIndex: m.subtaskIndex,
      keyGroupRange: m.keyGroupRange,
      epoch: m.epoch,
    })
  }

  notifyKvStateUnregistered(m: KvStateUnregistrationMessage): void {
    this.locations.get(m.stateName)?.unregister(m.kvStateId, m.keyGroupRange)
  }

  getKvStateLocation(name: string): KvStateLocation | undefined {
    return this.locations.get(name)
  }

  names(): string[] {
    return [...this.locations.keys()].sort()
  }
}
