// Maps each OperatorSpec kind to its implementation (one table, checked exhaustively by the compiler).
import type { OperatorKind, Transformation } from '../../api/transformation.ts'
import type { OperatorContext, StreamOperator } from '../stream-operator.ts'
import { StreamFilter, StreamFlatMap, StreamMap } from './basic-operators.ts'
import { KeyedProcessOperator } from './keyed-process-operator.ts'
import { KeyedAggregateOperator, KeyedReduceOperator, QueryableStateOperator } from './keyed-rolling-operators.ts'
import { SinkOperator } from './sink-operator.ts'
import { SourceOperator } from './source-operator.ts'
import { TimestampsAndWatermarksOperator } from './timestamps-and-watermarks.ts'
import { WindowOperator } from './window-operator.ts'

type Factory = (t: Transformation, ctx: OperatorContext) => StreamOperator

function spec<K extends OperatorKind>(t: Transformation, _kind: K) {
  return t.operator as Extract<Transformation['operator'], { kind: K }>
}

const FACTORIES: Record<OperatorKind, Factory> = {
  source: (_t, ctx) => new SourceOperator(ctx),
  map: (t, ctx) => new StreamMap(ctx, spec(t, 'map').fn),
  filter: (t, ctx) => new StreamFilter(ctx, spec(t, 'filter').fn),
  flatMap: (t, ctx) => new StreamFlatMap(ctx, spec(t, 'flatMap').fn),
  timestamps: (t, ctx) => new TimestampsAndWatermarksOperator(ctx, spec(t, 'timestamps').spec),
  keyedProcess: (t, ctx) => new KeyedProcessOperator(ctx, spec(t, 'keyedProcess').fn, t.keySelectors),
  keyedCoProcess: (t, ctx) => new KeyedProcessOperator(ctx, spec(t, 'keyedCoProcess').fn, t.keySelectors),
  reduce: (t, ctx) => new KeyedReduceOperator(ctx, spec(t, 'reduce').reduce, t.keySelectors[0]!),
  aggregate: (t, ctx) => new KeyedAggregateOperator(ctx, spec(t, 'aggregate').aggregate, t.keySelectors[0]!),
  queryable: (t, ctx) => {
    const s = spec(t, 'queryable')
    return new QueryableStateOperator(ctx, s.name, s.mode, t.keySelectors[0]!)
  },
  window: (t, ctx) => new WindowOperator(ctx, spec(t, 'window'), t.keySelectors[0]!),
  sink: (t, ctx) => new SinkOperator(ctx, spec(t, 'sink').sink),
}

export function createOperator(t: Transformation, ctx: OperatorContext): StreamOperator {
  return FACTORIES[t.operator.kind](t, ctx)
}
