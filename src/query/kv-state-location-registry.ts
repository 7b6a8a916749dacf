// KvStateLocationRegistry (Flink's, one per job on the JobManager): for every queryable state name,
// which KvStateID on which server owns each key group (KvStateLocation). Two operators registering
// the same name is an error naming both.
import type { KvStateRegistrationMessage, KvStateUnregistrationMessage } from '../cluster/messages.ts'

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

  constructor(
    readonly stateName: string,
    readonly kind: string,
    readonly operatorName: string,
    readonly operatorUid: string,
    readonly numKeyGroups: number,
  ) {
    this.owners = new Array(numKeyGroups).fill(undefined)
  }

  register(owner: KvStateLocationOwner): void {
    for (let kg = owner.keyGroupRange.start; kg <= owner.keyGroupRange.end; kg++) this.owners[kg] = owner
  }

  unregister(kvStateId: string, range: { start: number; end: number }): void {
    for (let kg = range.start; kg <= range.end; kg++) if (this.owners[kg]?.kvStateId === kvStateId) this.owners[kg] = undefined
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
    private readonly planned: Map<string, { operatorUid: string; operatorName: string; kind: string; maxParallelism: number }>,
  ) {
    for (const [name, p] of planned) {
      this.locations.set(name, new KvStateLocation(name, p.kind, p.operatorName, p.operatorUid, p.maxParallelism))
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
      loc = new KvStateLocation(m.stateName, m.kind, m.operatorName, m.operatorUid, m.maxParallelism)
      this.locations.set(m.stateName, loc)
    }
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
