// Rolling keyed operators: reduce, aggregate (Flink's StreamGroupedReduceOperator and the rolling
// aggregation) and the queryable-state sink (Flink's QueryableValueStateOperator /
// QueryableAppendingStateOperator), which also forwards the new state value downstream.
import type { QueryableKind } from '../../api/data-stream.ts'
import type { AggregateFunction, KeySelector, ReduceFunction } from '../../api/functions.ts'
import {
  AggregatingStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
} from '../../api/state-descriptors.ts'
import type { QueryableMode } from '../../api/transformation.ts'
import type { AbstractKeyedState } from '../../state/kinds/abstract-keyed-state.ts'
import type {
  InternalAggregatingState,
  InternalReducingState,
  InternalValueState,
} from '../../state/kinds/value-state.ts'
import type { OperatorContext } from '../stream-operator.ts'
import { AbstractKeyedOperator } from './abstract-stream-operator.ts'

export class KeyedReduceOperator extends AbstractKeyedOperator {
  private state!: InternalValueState<unknown>

  constructor(
    ctx: OperatorContext,
    private readonly reduce: ReduceFunction<unknown>,
    keySelector: KeySelector<any, any>,
  ) {
    super(ctx, [keySelector])
  }

  protected override openKeyed(): void {
    this.state = this.keyedStateBackend.getOrCreateState(new ValueStateDescriptor('_reduce'))
  }

  protected processKeyed(value: unknown, timestamp: number | undefined): void {
    const current = this.state.value()
    const next = current === undefined ? value : this.reduce(current, value)
    this.state.update(next)
    this.ctx.output.collect(next, timestamp)
  }
}

export class KeyedAggregateOperator extends AbstractKeyedOperator {
  private state!: InternalAggregatingState<unknown, unknown, unknown>

  constructor(
    ctx: OperatorContext,
    private readonly aggregate: AggregateFunction<unknown, unknown, unknown>,
    keySelector: KeySelector<any, any>,
  ) {
    super(ctx, [keySelector])
  }

  protected override openKeyed(): void {
    this.state = this.keyedStateBackend.getOrCreateState(new AggregatingStateDescriptor('_aggregate', this.aggregate))
  }

  protected processKeyed(value: unknown, timestamp: number | undefined): void {
    this.state.add(value)
    this.ctx.output.collect(this.state.get(), timestamp)
  }
}

export class QueryableStateOperator extends AbstractKeyedOperator {
  private add!: (value: unknown) => unknown

  constructor(
    ctx: OperatorContext,
    private readonly name: string,
    private readonly mode: QueryableMode,
    keySelector: KeySelector<any, any>,
  ) {
    super(ctx, [keySelector])
  }

  protected override openKeyed(): void {
    const backend = this.keyedStateBackend
    let state: AbstractKeyedState
    let kind: QueryableKind
    switch (this.mode.type) {
      case 'value': {
        const s = backend.getOrCreateState<InternalValueState<unknown>>(new ValueStateDescriptor(this.name))
        this.add = (v) => {
          s.update(v)
          return v
        }
        state = s
        kind = 'value'
        break
      }
      case 'reduce': {
        const s = backend.getOrCreateState<InternalReducingState<unknown>>(
          new ReducingStateDescriptor(this.name, this.mode.reduce),
        )
        this.add = (v) => {
          s.add(v)
          return s.get()
        }
        state = s
        kind = 'reducing'
        break
      }
      case 'aggregate': {
        const s = backend.getOrCreateState<InternalAggregatingState<unknown, unknown, unknown>>(
          new AggregatingStateDescriptor(this.name, this.mode.aggregate),
        )
        this.add = (v) => {
          s.add(v)
          return s.get()
        }
        state = s
        kind = 'aggregating'
        break
      }
    }
    this.ctx.registerQueryableState({ name: this.name, kind, state, backend })
  }

  protected processKeyed(value: unknown, timestamp: number | undefined): void {
    this.ctx.output.collect(this.add(value), timestamp)
  }
}
