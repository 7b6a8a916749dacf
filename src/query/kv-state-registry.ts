// KvStateRegistry (Flink's, one per TaskManager): the queryable states of the tasks running here,
// by KvStateID. Registration is reported to the job's KvStateLocationRegistry through the listener;
// a task's states are unregistered when it stops (TaskKvStateRegistry is the per-task facade).
import type { KeyGroupRange } from '../keys/key-group-range.ts'
import type { QueryableStateHandle } from '../runtime/stream-operator.ts'

export interface KvStateEntry {
  kvStateId: string
  jobId: string
  stateName: string
  operatorName: string
  operatorUid: string
  subtaskIndex: number
  keyGroupRange: KeyGroupRange
  maxParallelism: number
  epoch: number
  handle: QueryableStateHandle
}

export interface KvStateRegistryListener {
  registered(entry: KvStateEntry): void
  unregistered(entry: KvStateEntry): void
}

export class KvStateRegistry {
  private readonly entries = new Map<string, KvStateEntry>()
  private counter = 0

  constructor(
    readonly serverAddress: string,
    private readonly listener: KvStateRegistryListener,
  ) {}

  registerKvState(entry: Omit<KvStateEntry, 'kvStateId'>): string {
    const kvStateId = `${this.serverAddress}:${++this.counter}`
    const full = { ...entry, kvStateId }
    this.entries.set(kvStateId, full)
    this.listener.registered(full)
    return kvStateId
  }

  unregisterKvState(kvStateId: string): void {
    const e = this.entries.get(kvStateId)
    if (!e) return
    this.entries.delete(kvStateId)
    this.listener.unregistered(e)
  }

  getKvState(kvStateId: string): KvStateEntry | undefined {
    return this.entries.get(kvStateId)
  }

  all(): KvStateEntry[] {
    return [...this.entries.values()]
  }
}

/** The per-task facade: remembers what one task registered so it can unregister it all at once. */
export class TaskKvStateRegistry {
  private readonly ids: string[] = []

  constructor(private readonly registry: KvStateRegistry) {}

  register(entry: Omit<KvStateEntry, 'kvStateId'>): string {
    const id = this.registry.registerKvState(entry)
    this.ids.push(id)
    return id
  }

  unregisterAll(): void {
    for (const id of this.ids.splice(0)) this.registry.unregisterKvState(id)
  }
}
