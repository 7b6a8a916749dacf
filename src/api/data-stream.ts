// DataStream, KeyedStream and ConnectedStreams: fluent builders that append Transformations to the
// environment. A stream is a list of (transformation, partitioning) inputs so that union and
// partitioning calls (rebalance, keyBy, …) stay views until an operator consumes them.
import type {
  AggregateFunction,
  FilterFunction,
  FlatMapFunction,
  KeySelector,
  MapFunction,
  ReduceFunction,
} from './functions.ts'
import type { KeyedCoProcessFunction, KeyedProcessFunction } from './process-function.ts'
import type { OperatorSpec, Partitioning, SinkSpec, Transformation, TransformationInput } from './transformation.ts'
import type { WindowAssigner, WindowResult } from './windows.ts'

export type QueryableKind = 'value' | 'list' | 'map' | 'reducing' | 'aggregating' | 'window'

/** Phantom type data read by @livestate/client to type `client.state(name)`. */
export interface QueryableInfo<N extends string, K, V, Kind extends QueryableKind> {
  name: N
  key: K
  value: V
  kind: Kind
}

export interface TransformationBuilder {
  addTransformation(
    operator: OperatorSpec,
    inputs: TransformationInput[],
    options?: { keySelectors?: (KeySelector<any, any> | undefined)[]; preservesPartitioning?: boolean; name?: string },
  ): Transformation
}

export class DataStream<T> {
  declare readonly '~type'?: T

  constructor(
    protected readonly env: TransformationBuilder,
    /** The transformations this stream reads from, with a pending partitioning. */
    readonly inputs: readonly { transformation: Transformation; partitioning: Partitioning | undefined }[],
  ) {}

  /** The transformation that produced this stream (the last one for a union). */
  get transformation(): Transformation {
    return this.inputs[this.inputs.length - 1]!.transformation
  }

  protected toInputs(index: 0 | 1 = 0): TransformationInput[] {
    return this.inputs.map((i) => ({
      transformation: i.transformation,
      partitioning: i.partitioning,
      inputIndex: index,
    }))
  }

  protected apply<O>(operator: OperatorSpec, name: string, preservesPartitioning = false): DataStream<O> {
    const t = this.env.addTransformation(operator, this.toInputs(), { name, preservesPartitioning })
    return new DataStream<O>(this.env, [{ transformation: t, partitioning: undefined }])
  }

  map<O>(fn: MapFunction<T, O>): DataStream<O> {
    return this.apply({ kind: 'map', fn }, 'Map')
  }

  filter(fn: FilterFunction<T>): DataStream<T> {
    return this.apply({ kind: 'filter', fn }, 'Filter', true)
  }

  flatMap<O>(fn: FlatMapFunction<T, O>): DataStream<O> {
    return this.apply({ kind: 'flatMap', fn }, 'FlatMap')
  }

  /** Assigns event timestamps and emits bounded-out-of-orderness watermarks (Flink's WatermarkStrategy). */
  assignTimestamps(
    extractor: (value: T) => number,
    options: { maxOutOfOrderness?: number; interval?: number } = {},
  ): DataStream<T> {
    const maxOutOfOrderness = options.maxOutOfOrderness ?? 0
    if (!(maxOutOfOrderness >= 0)) throw new TypeError('maxOutOfOrderness must be >= 0 ms')
    return this.apply(
      { kind: 'timestamps', spec: { extractor, maxOutOfOrderness, interval: options.interval ?? 200 } },
      'Timestamps/Watermarks',
      true,
    )
  }

  keyBy<K>(keySelector: KeySelector<T, K>): KeyedStream<T, K> {
    if (typeof keySelector !== 'function') throw new TypeError('keyBy needs a key selector function')
    return new KeyedStream<T, K>(
      this.env,
      this.inputs.map((i) => ({ transformation: i.transformation, partitioning: { type: 'hash', keySelector } })),
      keySelector,
    )
  }

  protected withPartitioning(p: Partitioning): DataStream<T> {
    return new DataStream<T>(
      this.env,
      this.inputs.map((i) => ({ transformation: i.transformation, partitioning: p })),
    )
  }

  rebalance(): DataStream<T> {
    return this.withPartitioning({ type: 'rebalance' })
  }

  rescale(): DataStream<T> {
    return this.withPartitioning({ type: 'rescale' })
  }

  shuffle(): DataStream<T> {
    return this.withPartitioning({ type: 'shuffle' })
  }

  broadcast(): DataStream<T> {
    return this.withPartitioning({ type: 'broadcast' })
  }

  forward(): DataStream<T> {
    return this.withPartitioning({ type: 'forward' })
  }

  union(...others: DataStream<T>[]): DataStream<T> {
    return new DataStream<T>(this.env, [...this.inputs, ...others.flatMap((o) => o.inputs)])
  }

  connect<T2>(other: DataStream<T2>): ConnectedStreams<T, T2> {
    return new ConnectedStreams<T, T2>(this.env, this, other)
  }

  print(prefix?: string): DataStreamSink {
    return this.sinkTo(prefix === undefined ? { type: 'print' } : { type: 'print', prefix })
  }

  sinkTo(sink: SinkSpec): DataStreamSink {
    const t = this.env.addTransformation({ kind: 'sink', sink }, this.toInputs(), { name: `Sink: ${sink.type}` })
    return new DataStreamSink(t)
  }

  setParallelism(parallelism: number): this {
    checkPositive('parallelism', parallelism)
    this.transformation.parallelism = parallelism
    return this
  }

  setMaxParallelism(maxParallelism: number): this {
    checkPositive('maxParallelism', maxParallelism)
    this.transformation.maxParallelism = maxParallelism
    return this
  }

  name(name: string): this {
    this.transformation.name = name
    return this
  }

  uid(uid: string): this {
    this.transformation.uid = uid
    return this
  }

  /** Starts a new chain at this operator (Flink's startNewChain). */
  startNewChain(): this {
    this.transformation.chaining = 'head'
    return this
  }

  disableChaining(): this {
    this.transformation.chaining = 'never'
    return this
  }
}

function checkPositive(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new TypeError(`${what} must be a positive integer, got ${n}`)
}

export class DataStreamSink {
  constructor(readonly transformation: Transformation) {}
  setParallelism(parallelism: number): this {
    checkPositive('parallelism', parallelism)
    this.transformation.parallelism = parallelism
    return this
  }
  name(name: string): this {
    this.transformation.name = name
    return this
  }
  uid(uid: string): this {
    this.transformation.uid = uid
    return this
  }
}

/** A stream whose latest state per key is queryable under `name` (Flink's QueryableStateStream). */
export class QueryableStateStream<K, V, N extends string, Kind extends QueryableKind = 'value'> extends DataStream<V> {
  declare readonly '~queryable'?: QueryableInfo<N, K, V, Kind>
  constructor(
    env: TransformationBuilder,
    inputs: DataStream<V>['inputs'],
    readonly queryableStateName: N,
  ) {
    super(env, inputs)
  }
}

export class KeyedStream<T, K> extends DataStream<T> {
  constructor(
    env: TransformationBuilder,
    inputs: DataStream<T>['inputs'],
    readonly keySelector: KeySelector<T, K>,
  ) {
    super(env, inputs)
  }

  protected applyKeyed<O>(operator: OperatorSpec, name: string): DataStream<O> {
    const t = this.env.addTransformation(operator, this.toInputs(), { name, keySelectors: [this.keySelector] })
    return new DataStream<O>(this.env, [{ transformation: t, partitioning: undefined }])
  }

  process<O>(fn: KeyedProcessFunction<K, T, O>): DataStream<O> {
    return this.applyKeyed({ kind: 'keyedProcess', fn }, `KeyedProcess: ${fn.constructor.name}`)
  }

  /** Rolling reduce: emits the reduced value after every element (Flink's KeyedStream.reduce). */
  reduce(reduce: ReduceFunction<T>): DataStream<T> {
    return this.applyKeyed({ kind: 'reduce', reduce }, 'Keyed Reduce')
  }

  /** Rolling aggregate: emits the current aggregate result after every element. */
  aggregate<ACC, OUT>(aggregate: AggregateFunction<T, ACC, OUT>): DataStream<OUT> {
    return this.applyKeyed({ kind: 'aggregate', aggregate }, 'Keyed Aggregate')
  }

  asQueryableState<N extends string>(name: N): QueryableStateStream<K, T, N, 'value'>
  asQueryableState<N extends string>(
    name: N,
    options: { reduce: ReduceFunction<T> },
  ): QueryableStateStream<K, T, N, 'reducing'>
  asQueryableState<N extends string, ACC, OUT>(
    name: N,
    options: { aggregate: AggregateFunction<T, ACC, OUT> },
  ): QueryableStateStream<K, OUT, N, 'aggregating'>
  asQueryableState(
    name: string,
    options?: { reduce?: ReduceFunction<T>; aggregate?: AggregateFunction<T, any, any> },
  ): QueryableStateStream<K, any, string, QueryableKind> {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError('asQueryableState needs a non-empty name')
    const mode = options?.aggregate
      ? ({ type: 'aggregate', aggregate: options.aggregate } as const)
      : options?.reduce
        ? ({ type: 'reduce', reduce: options.reduce } as const)
        : ({ type: 'value' } as const)
    const t = this.env.addTransformation({ kind: 'queryable', name, mode }, this.toInputs(), {
      name: `Queryable: ${name}`,
      keySelectors: [this.keySelector],
    })
    return new QueryableStateStream(this.env, [{ transformation: t, partitioning: undefined }], name)
  }

  window(assigner: WindowAssigner): WindowedStream<T, K> {
    return new WindowedStream<T, K>(this.env, this, assigner)
  }
}

export class WindowedStream<T, K> {
  private lateness = 0

  constructor(
    private readonly env: TransformationBuilder,
    private readonly keyed: KeyedStream<T, K>,
    private readonly assigner: WindowAssigner,
  ) {}

  allowedLateness(ms: number): this {
    if (!(ms >= 0)) throw new TypeError('allowedLateness must be >= 0 ms')
    this.lateness = ms
    return this
  }

  aggregate<ACC, OUT, N extends string = never>(
    aggregate: AggregateFunction<T, ACC, OUT>,
    options?: { queryable?: N },
  ): QueryableStateStream<K, WindowResult<K, OUT>, N, 'window'> {
    return this.build({ type: 'aggregate', aggregate }, options?.queryable)
  }

  reduce<N extends string = never>(
    reduce: ReduceFunction<T>,
    options?: { queryable?: N },
  ): QueryableStateStream<K, WindowResult<K, T>, N, 'window'> {
    return this.build({ type: 'reduce', reduce }, options?.queryable)
  }

  private build(
    fn: Extract<OperatorSpec, { kind: 'window' }>['fn'],
    queryable: string | undefined,
  ): QueryableStateStream<K, any, any, 'window'> {
    const spec: OperatorSpec = { kind: 'window', assigner: this.assigner, allowedLateness: this.lateness, fn }
    if (queryable !== undefined) spec.queryable = queryable
    const inputs = this.keyed.inputs.map((i) => ({ ...i, inputIndex: 0 as const }))
    const t = this.env.addTransformation(spec, inputs, {
      name: `Window(${this.assigner.type})`,
      keySelectors: [this.keyed.keySelector],
    })
    return new QueryableStateStream(this.env, [{ transformation: t, partitioning: undefined }], queryable ?? '')
  }
}

export class ConnectedStreams<T1, T2> {
  constructor(
    private readonly env: TransformationBuilder,
    private readonly first: DataStream<T1>,
    private readonly second: DataStream<T2>,
  ) {}

  keyBy<K>(key1: KeySelector<T1, K>, key2: KeySelector<T2, K>): KeyedConnectedStreams<T1, T2, K> {
    return new KeyedConnectedStreams(this.env, this.first.keyBy(key1), this.second.keyBy(key2))
  }
}

export class KeyedConnectedStreams<T1, T2, K> {
  constructor(
    private readonly env: TransformationBuilder,
    private readonly first: KeyedStream<T1, K>,
    private readonly second: KeyedStream<T2, K>,
  ) {}

  process<O>(fn: KeyedCoProcessFunction<K, T1, T2, O>): DataStream<O> {
    const inputs: TransformationInput[] = [
      ...this.first.inputs.map((i) => ({ ...i, inputIndex: 0 as const })),
      ...this.second.inputs.map((i) => ({ ...i, inputIndex: 1 as const })),
    ]
    const t = this.env.addTransformation({ kind: 'keyedCoProcess', fn }, inputs, {
      name: `KeyedCoProcess: ${fn.constructor.name}`,
      keySelectors: [this.first.keySelector, this.second.keySelector],
    })
    return new DataStream<O>(this.env, [{ transformation: t, partitioning: undefined }])
  }
}
