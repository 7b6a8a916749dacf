// ValueState, ReducingState and AggregatingState: one stored value per (key, namespace).
import type { AggregatingStateDescriptor, ReducingStateDescriptor } from '../../api/state-descriptors.ts'
import type { AggregatingState, ReducingState, ValueState } from '../../api/state.ts'
import { AbstractKeyedState } from './abstract-keyed-state.ts'

export class InternalValueState<T> extends AbstractKeyedState implements ValueState<T> {
  value(): T | undefined {
    return this.read(this.primary()) as T | undefined
  }

  update(value: T): void {
    if (value === undefined) {
      this.clear()
      return
    }
    this.write(this.primary(), value)
  }
}

export class InternalReducingState<T> extends AbstractKeyedState implements ReducingState<T> {
  get(): T | undefined {
    return this.read(this.primary()) as T | undefined
  }

  add(value: T): void {
    const primary = this.primary()
    const current = this.read(primary) as T | undefined
    const reduce = (this.descriptor as ReducingStateDescriptor<T>).reduce
    this.write(primary, current === undefined ? value : reduce(current, value))
  }

  /** Used by window merging: stores an already-reduced value. */
  set(value: T): void {
    this.write(this.primary(), value)
  }
}

/** Stores the accumulator; reads answer getResult(accumulator). */
export class InternalAggregatingState<IN, ACC, OUT> extends AbstractKeyedState implements AggregatingState<IN, OUT> {
  private get fn() {
    return (this.descriptor as AggregatingStateDescriptor<IN, ACC, OUT>).aggregate
  }

  get(): OUT | undefined {
    const acc = this.read(this.primary()) as ACC | undefined
    return acc === undefined ? undefined : this.fn.getResult(acc)
  }

  add(value: IN): void {
    const primary = this.primary()
    const acc = (this.read(primary) as ACC | undefined) ?? this.fn.createAccumulator()
    this.write(primary, this.fn.add(value, acc))
  }

  getAccumulator(): ACC | undefined {
    return this.read(this.primary()) as ACC | undefined
  }

  setAccumulator(acc: ACC): void {
    this.write(this.primary(), acc)
  }

  protected override queryFromStored(acc: unknown): unknown {
    return this.fn.getResult(acc as ACC)
  }
}
