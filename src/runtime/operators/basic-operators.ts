// Stateless one-input operators: map, filter, flatMap (Flink's StreamMap, StreamFilter, StreamFlatMap).
// They keep the element's timestamp.
import type { FilterFunction, FlatMapFunction, MapFunction } from '../../api/functions.ts'
import type { OperatorContext } from '../stream-operator.ts'
import { AbstractStreamOperator } from './abstract-stream-operator.ts'

export class StreamMap extends AbstractStreamOperator {
  constructor(
    ctx: OperatorContext,
    private readonly fn: MapFunction<unknown, unknown>,
  ) {
    super(ctx)
  }
  processElement(value: unknown, timestamp: number | undefined): void {
    this.ctx.output.collect(this.fn(value), timestamp)
  }
}

export class StreamFilter extends AbstractStreamOperator {
  constructor(
    ctx: OperatorContext,
    private readonly fn: FilterFunction<unknown>,
  ) {
    super(ctx)
  }
  processElement(value: unknown, timestamp: number | undefined): void {
    if (this.fn(value)) this.ctx.output.collect(value, timestamp)
  }
}

export class StreamFlatMap extends AbstractStreamOperator {
  private timestamp: number | undefined
  private readonly collector = { collect: (v: unknown) => this.ctx.output.collect(v, this.timestamp) }
  constructor(
    ctx: OperatorContext,
    private readonly fn: FlatMapFunction<unknown, unknown>,
  ) {
    super(ctx)
  }
  processElement(value: unknown, timestamp: number | undefined): void {
    this.timestamp = timestamp
    this.fn(value, this.collector)
  }
}
