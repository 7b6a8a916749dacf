// Committed reads: answers from the latest completed checkpoint's files, not from the live state, so
// they never go backwards and keep answering while the job restores. A key group's records are
// loaded on demand into a heap table (LRU by key group) and read through the same state kinds as
// live reads (aggregates answer getResult, TTL hides expired values, windows list in-flight windows).
import type { AnyStateDescriptor } from '../api/state-descriptors.ts'
import type { CompletedCheckpoint } from '../checkpoint/checkpoint-storage.ts'
import { readChain } from '../checkpoint/state-chain.ts'
import { assignToKeyGroup } from '../keys/key-group-range-assignment.ts'
import { decodeKey, encodeKeyToBinaryString, type Key } from '../keys/key-codec.ts'
import { HeapStateTable } from '../state/heap/heap-state-table.ts'
import { createStateKind } from '../state/keyed-state-backend.ts'
import type { AbstractKeyedState, KeyContext } from '../state/kinds/abstract-keyed-state.ts'
import { keyGroupChars, VOID_NAMESPACE } from '../state/namespace.ts'
import { TtlPolicy } from '../state/ttl.ts'
import { queryWindowsInTable, type WindowSelector } from '../state/window-query.ts'
import type { ScannedEntry } from './kv-state-server.ts'

export interface CommittedStateRef {
  operatorUid: string
  internalStateName: string
  kind: string
  descriptor: AnyStateDescriptor
}

const MAX_CACHED_GROUPS = 256

/** A KeyContext that is never used for writes: committed reads pass primary keys explicitly. */
const READ_ONLY_KEYS: KeyContext = {
  currentKeyPrefix: () => {
    throw new Error('committed reads are read-only')
  },
  currentNamespace: () => VOID_NAMESPACE,
}

export class CommittedReader {
  private readonly groups = new Map<string, Promise<{ table: HeapStateTable; state: AbstractKeyedState }>>()

  constructor(readonly checkpoint: CompletedCheckpoint) {}

  get checkpointId(): number {
    return this.checkpoint.checkpointId
  }

  maxParallelismOf(ref: CommittedStateRef): number | undefined {
    return this.checkpoint.manifest.operators[ref.operatorUid]?.maxParallelism
  }

  private group(ref: CommittedStateRef, kg: number): Promise<{ table: HeapStateTable; state: AbstractKeyedState }> {
    const id = `${ref.operatorUid}\u0000${ref.internalStateName}\u0000${kg}`
    let g = this.groups.get(id)
    if (g) {
      this.groups.delete(id)
      this.groups.set(id, g)
      return g
    }
    g = this.load(ref, kg)
    this.groups.set(id, g)
    if (this.groups.size > MAX_CACHED_GROUPS) this.groups.delete(this.groups.keys().next().value!)
    return g
  }

  private async load(ref: CommittedStateRef, kg: number) {
    const table = new HeapStateTable()
    const op = this.checkpoint.manifest.operators[ref.operatorUid]
    const sub = op?.subtasks.find((s) => s.keyGroupRange.start <= kg && s.keyGroupRange.end >= kg)
    const handle = sub?.states[ref.internalStateName]
    if (handle) await table.restore(readChain(this.checkpoint.dir, handle, kg, kg))
    const ttl = ref.descriptor.ttl ? new TtlPolicy(ref.descriptor.ttl) : undefined
    return { table, state: createStateKind<AbstractKeyedState>(ref.descriptor, table, READ_ONLY_KEYS, ttl) }
  }

  async get(
    ref: CommittedStateRef,
    key: Key,
    opts: { mapKey?: Key; window?: WindowSelector },
  ): Promise<{ value: unknown; keyGroup: number }> {
    const maxP = this.maxParallelismOf(ref)
    if (maxP === undefined) return { value: undefined, keyGroup: -1 }
    const kg = assignToKeyGroup(key, maxP)
    const { table, state } = await this.group(ref, kg)
    const prefix = keyGroupChars(kg) + encodeKeyToBinaryString(key)
    if (ref.kind === 'window') {
      const found = await queryWindowsInTable(table, state, prefix, opts.window ?? 'latest')
      if (found === undefined) return { value: undefined, keyGroup: kg }
      const toRecord = (f: { window: unknown; value: unknown }) => ({ key, window: f.window, value: f.value })
      return { value: Array.isArray(found) ? found.map(toRecord) : toRecord(found), keyGroup: kg }
    }
    const value = await (state.queryValue as (p: string, m?: Key) => Promise<unknown>).call(
      state,
      prefix + VOID_NAMESPACE,
      opts.mapKey,
    )
    return { value, keyGroup: kg }
  }

  /** Entries in canonical key order (binary-string bounds as in KvStateServer.scan). */
  async scan(
    ref: CommittedStateRef,
    req: { fromKey?: string; toKey?: string; prefix?: string; afterKey?: string; limit: number },
  ): Promise<ScannedEntry[]> {
    const maxP = this.maxParallelismOf(ref)
    if (maxP === undefined) return []
    const all: ScannedEntry[] = []
    for (let kg = 0; kg < maxP; kg++) {
      const { table, state } = await this.group(ref, kg)
      if (table.size() === 0) continue
      const seen = new Set<string>()
      for await (const primary of table.primaryKeys(kg, kg)) {
        const { key, end } = decodeKey(Buffer.from(primary.slice(2), 'latin1'))
        const keyChars = primary.slice(2, 2 + end)
        if (seen.has(keyChars)) continue
        seen.add(keyChars)
        if (req.prefix !== undefined && !keyChars.startsWith(req.prefix)) continue
        if (req.fromKey !== undefined && keyChars < req.fromKey) continue
        if (req.toKey !== undefined && keyChars >= req.toKey) continue
        if (req.afterKey !== undefined && keyChars <= req.afterKey) continue
        const value =
          ref.kind === 'window'
            ? (await this.get(ref, key, {})).value
            : await state.queryValue(keyGroupChars(kg) + keyChars + VOID_NAMESPACE)
        if (value !== undefined) all.push({ keyChars, key, value, seq: 0 })
      }
    }
    all.sort((a, b) => (a.keyChars < b.keyChars ? -1 : a.keyChars > b.keyChars ? 1 : 0))
    return all.slice(0, req.limit)
  }
}
