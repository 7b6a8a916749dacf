// State descriptors (Flink's StateDescriptor family): name, optional queryable name, optional TTL.
// The runtime creates the state from the descriptor's `kind`.
import type { AggregateFunction, ReduceFunction } from './functions.ts'

export interface StateTtlConfig {
  /** Time to live in milliseconds. */
  ttl: number
  update?: 'onCreateAndWrite' | 'onReadAndWrite'
  visibility?: 'neverReturnExpired'
}

export interface StateDescriptorOptions {
  queryable?: string
  ttl?: number | StateTtlConfig
}

export type StateKind = 'value' | 'list' | 'map' | 'reducing' | 'aggregating'

abstract class StateDescriptorBase<T> {
  abstract readonly kind: StateKind
  readonly queryable: string | undefined
  readonly ttl: StateTtlConfig | undefined
  declare readonly '~type'?: T

  constructor(
    readonly name: string,
    options: StateDescriptorOptions = {},
  ) {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError('a state descriptor needs a non-empty name')
    this.queryable = options.queryable
    const ttl = options.ttl
    this.ttl = ttl === undefined ? undefined : typeof ttl === 'number' ? { ttl } : ttl
    if (this.ttl !== undefined && !(this.ttl.ttl > 0)) {
      throw new TypeError(`state '${name}': ttl must be a positive number of milliseconds`)
    }
  }
}

export class ValueStateDescriptor<T> extends StateDescriptorBase<T> {
  readonly kind = 'value' as const
}

export class ListStateDescriptor<T> extends StateDescriptorBase<T> {
  readonly kind = 'list' as const
}

export class MapStateDescriptor<UK, UV> extends StateDescriptorBase<[UK, UV]> {
  readonly kind = 'map' as const
}

export class ReducingStateDescriptor<T> extends StateDescriptorBase<T> {
  readonly kind = 'reducing' as const
  constructor(
    name: string,
    readonly reduce: ReduceFunction<T>,
    options?: StateDescriptorOptions,
  ) {
    super(name, options)
  }
}

export class AggregatingStateDescriptor<IN, ACC, OUT> extends StateDescriptorBase<OUT> {
  readonly kind = 'aggregating' as const
  constructor(
    name: string,
    readonly aggregate: AggregateFunction<IN, ACC, OUT>,
    options?: StateDescriptorOptions,
  ) {
    super(name, options)
  }
}

export type AnyStateDescriptor =
  | ValueStateDescriptor<any>
  | ListStateDescriptor<any>
  | MapStateDescriptor<any, any>
  | ReducingStateDescriptor<any>
  | AggregatingStateDescriptor<any, any, any>
