// KeyedStateBackend (Flink's AbstractKeyedStateBackend): one per keyed operator subtask. Holds the
// current key (with its key group and canonical bytes, computed once per record) and namespace, and
// creates the state kinds over StateTables from the configured factory.
import type { AnyStateDescriptor } from '../api/state-descriptors.ts'
import type { KeyGroupRange } from '../keys/key-group-range.ts'
import { assignToKeyGroup } from '../keys/key-group-range-assignment.ts'
import { encodeKeyToBinaryString, type Key, keyToString, validateKey } from '../keys/key-codec.ts'
import type { AbstractKeyedState, KeyContext } from './kinds/abstract-keyed-state.ts'
import { InternalListState } from './kinds/list-state.ts'
import { InternalMapState } from './kinds/map-state.ts'
import { InternalAggregatingState, InternalReducingState, InternalValueState } from './kinds/value-state.ts'
import { keyGroupChars, VOID_NAMESPACE } from './namespace.ts'
import type { StateTable, StateTableFactory } from './state-table.ts'
import { TtlSweeper, type TtlSweeperOptions } from './kinds/ttl-sweeper.ts'
import { TtlPolicy } from './ttl.ts'

export interface KeyedStateBackendOptions {
  operatorUid: string
  operatorName: string
  keyGroupRange: KeyGroupRange
  maxParallelism: number
  tables: StateTableFactory
  /** Tables already filled from a checkpoint, by state name. */
  restoredTables?: Map<string, StateTable>
  now?: () => number
  /**
   * Runs an action on the owning task between records (its mailbox). With it, TTL'd states are
   * swept in the background (TtlSweeper); without it, expired values are only hidden on read.
   */
  mailbox?: (action: () => Promise<void>) => void
  ttlSweeper?: Omit<TtlSweeperOptions, 'schedule'>
}

const KINDS = {
  value: InternalValueState,
  list: InternalListState,
  map: InternalMapState,
  reducing: InternalReducingState,
  aggregating: InternalAggregatingState,
} as const

export class KeyedStateBackend implements KeyContext {
  readonly states = new Map<string, AbstractKeyedState>()
  private readonly tables = new Map<string, StateTable>()
  private key: Key | undefined
  private keyGroup = -1
  private keyPrefix = ''
  /** keyPrefix + VOID_NAMESPACE, built once per key so Map lookups hash one flat string. */
  private voidPrimary = ''
  private namespace = VOID_NAMESPACE
  /** The type of the first key seen (queries parse path keys as this type). */
  observedKeyType: 'string' | 'number' | 'bigint' | 'boolean' | 'composite' | undefined
  /** Sweeps expired values of TTL'd states; started by the first TTL'd state when there is a mailbox. */
  ttlSweeper: TtlSweeper | undefined

  constructor(readonly options: KeyedStateBackendOptions) {
    for (const [name, table] of options.restoredTables ?? []) this.tables.set(name, table)
  }

  /** Every state with a table here, including restored ones not accessed yet (snapshots keep them). */
  tableNames(): string[] {
    return [...this.tables.keys()]
  }

  get keyGroupRange(): KeyGroupRange {
    return this.options.keyGroupRange
  }

  /** Sets the key for the following state accesses; computes its key group and bytes once. */
  setCurrentKey(key: unknown): void {
    if (key === this.key) return
    const k = typeof key === 'string' ? key : validateKey(key, `key of operator '${this.options.operatorName}'`)
    const kg = assignToKeyGroup(k, this.options.maxParallelism)
    if (!this.options.keyGroupRange.contains(kg)) {
      throw new Error(
        `key ${keyToString(k)} (key group ${kg}) reached operator '${this.options.operatorName}' whose subtask owns ${this.options.keyGroupRange}: records must be partitioned by this operator's key`,
      )
    }
    if (this.observedKeyType === undefined)
      this.observedKeyType = Array.isArray(k) ? 'composite' : (typeof k as 'string')
    this.key = k
    this.keyGroup = kg
    this.keyPrefix = keyGroupChars(kg) + encodeKeyToBinaryString(k)
    this.voidPrimary = flatten(this.keyPrefix + VOID_NAMESPACE)
  }

  /** Restores a key context captured earlier (timers), without recomputing. */
  setCurrentKeyContext(key: Key, keyPrefix: string): void {
    this.key = key
    this.keyPrefix = keyPrefix
    this.voidPrimary = flatten(keyPrefix + VOID_NAMESPACE)
    this.keyGroup = (keyPrefix.charCodeAt(0) << 8) | keyPrefix.charCodeAt(1)
  }

  /** The primary key of the current key in the current namespace. */
  currentPrimary(): string {
    if (this.key === undefined)
      throw new Error('no current key: keyed state is only accessible while processing a keyed element or timer')
    return this.namespace === VOID_NAMESPACE ? this.voidPrimary : this.keyPrefix + this.namespace
  }

  getCurrentKey(): Key {
    if (this.key === undefined)
      throw new Error('no current key: keyed state is only accessible while processing a keyed element or timer')
    return this.key
  }

  getCurrentKeyGroup(): number {
    return this.keyGroup
  }

  currentKeyPrefix(): string {
    if (this.key === undefined)
      throw new Error('no current key: keyed state is only accessible while processing a keyed element or timer')
    return this.keyPrefix
  }

  currentNamespace(): string {
    return this.namespace
  }

  setCurrentNamespace(namespace: string): void {
    this.namespace = namespace
  }

  getOrCreateState<S extends AbstractKeyedState>(descriptor: AnyStateDescriptor): S {
    const existing = this.states.get(descriptor.name)
    if (existing) {
      if (existing.descriptor.kind !== descriptor.kind) {
        throw new TypeError(
          `operator '${this.options.operatorName}': state '${descriptor.name}' was created as ${existing.descriptor.kind} state and is now requested as ${descriptor.kind} state`,
        )
      }
      return existing as S
    }
    const table =
      this.options.restoredTables?.get(descriptor.name) ??
      this.options.tables.create(this.options.operatorUid, descriptor.name, this.options.keyGroupRange.toJSON())
    this.tables.set(descriptor.name, table)
    const ttl = descriptor.ttl ? new TtlPolicy(descriptor.ttl, this.options.now) : undefined
    const state = createStateKind<S>(descriptor, table, this, ttl)
    this.states.set(descriptor.name, state)
    const mailbox = this.options.mailbox
    if (ttl && mailbox) {
      this.ttlSweeper ??= new TtlSweeper(() => this.states.values(), this.options.keyGroupRange.toJSON(), {
        ...this.options.ttlSweeper,
        schedule: mailbox,
      })
      this.ttlSweeper.start()
    }
    return state
  }

  tableOf(stateName: string): StateTable | undefined {
    return this.tables.get(stateName)
  }

  async flush(): Promise<void> {
    for (const t of this.tables.values()) await t.flush()
  }

  async dispose(): Promise<void> {
    this.ttlSweeper?.stop()
    for (const t of this.tables.values()) await t.dispose()
    this.tables.clear()
    this.states.clear()
  }
}

/** The state object of a descriptor's kind over a table (also used by committed reads). */
export function createStateKind<S extends AbstractKeyedState>(
  descriptor: AnyStateDescriptor,
  table: StateTable,
  keys: KeyContext,
  ttl: TtlPolicy | undefined,
): S {
  const Kind = KINDS[descriptor.kind] as unknown as new (...args: ConstructorParameters<typeof InternalValueState>) => S
  return new Kind(descriptor, table, keys, ttl)
}

/** Forces V8 to flatten a concatenation once (its hash is then cached on the flat string). */
function flatten(s: string): string {
  void s.charCodeAt(0)
  return s
}
