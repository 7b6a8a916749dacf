// The logical dataflow a job builds (Flink's Transformation): nodes with an operator spec and their
// inputs with a partitioning. Specs are small immutable values; src/runtime maps each `kind` to an
// operator implementation, src/graph turns the nodes into a JobGraph.
import type {
  AggregateFunction,
  FilterFunction,
  FlatMapFunction,
  KeySelector,
  MapFunction,
  ReduceFunction,
} from './functions.ts'
import type { KeyedCoProcessFunction, KeyedProcessFunction } from './process-function.ts'
import type { WindowAssigner } from './windows.ts'

export type Partitioning =
  | { type: 'forward' }
  | { type: 'rebalance' }
  | { type: 'rescale' }
  | { type: 'shuffle' }
  | { type: 'broadcast' }
  | { type: 'hash'; keySelector: KeySelector<any, any> }

export type SourceSpec =
  | { type: 'collection'; items: readonly unknown[] }
  | {
      type: 'generator'
      generate: (index: number, random: () => number) => unknown
      count?: number
      seed: number
      ratePerSecond?: number
    }
  | { type: 'ndjson'; path: string }
  | { type: 'http' }

export type SinkSpec =
  | { type: 'print'; prefix?: string }
  | { type: 'ndjson'; path: string }
  | { type: 'collect'; collector: CollectSink<any> }

export interface CollectSink<T> {
  readonly kind: 'collect'
  readonly results: T[]
  /** Called by the runtime, in order, from each sink subtask. */
  add(value: T): void
}

export interface TimestampSpec {
  extractor: (value: any) => number
  maxOutOfOrderness: number
  /** Emit a watermark at least every this many ms of processing time (Flink's autoWatermarkInterval). */
  interval: number
}

export type QueryableMode =
  | { type: 'value' }
  | { type: 'reduce'; reduce: ReduceFunction<any> }
  | { type: 'aggregate'; aggregate: AggregateFunction<any, any, any> }

export type OperatorSpec =
  | { kind: 'source'; name: string; source: SourceSpec }
  | { kind: 'map'; fn: MapFunction<any, any> }
  | { kind: 'filter'; fn: FilterFunction<any> }
  | { kind: 'flatMap'; fn: FlatMapFunction<any, any> }
  | { kind: 'timestamps'; spec: TimestampSpec }
  | { kind: 'keyedProcess'; fn: KeyedProcessFunction<any, any, any> }
  | { kind: 'keyedCoProcess'; fn: KeyedCoProcessFunction<any, any, any, any> }
  | { kind: 'reduce'; reduce: ReduceFunction<any> }
  | { kind: 'aggregate'; aggregate: AggregateFunction<any, any, any> }
  | { kind: 'queryable'; name: string; mode: QueryableMode }
  | {
      kind: 'window'
      assigner: WindowAssigner
      allowedLateness: number
      fn:
        | { type: 'aggregate'; aggregate: AggregateFunction<any, any, any> }
        | { type: 'reduce'; reduce: ReduceFunction<any> }
      queryable?: string
    }
  | { kind: 'sink'; sink: SinkSpec }

export type OperatorKind = OperatorSpec['kind']

export interface TransformationInput {
  readonly transformation: Transformation
  /** Undefined: forward when parallelisms match, else rebalance (Flink's default). */
  readonly partitioning: Partitioning | undefined
  /** 0 for one-input operators; 0 or 1 for two-input operators. */
  readonly inputIndex: 0 | 1
}

export interface Transformation {
  readonly id: number
  name: string
  uid: string | undefined
  parallelism: number | undefined
  maxParallelism: number | undefined
  readonly inputs: TransformationInput[]
  readonly operator: OperatorSpec
  /** Key selectors per input when the operator is keyed (the exchange hashes by them). */
  readonly keySelectors: (KeySelector<any, any> | undefined)[]
  /** Set when this operator's output stays partitioned like its input (filter). */
  readonly preservesPartitioning: boolean
  chaining: 'always' | 'head' | 'never'
}

export function isKeyedOperator(t: Transformation): boolean {
  return t.keySelectors.some((k) => k !== undefined)
}
