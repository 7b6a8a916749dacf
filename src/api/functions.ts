// User-function types of the job API (Flink's MapFunction, FilterFunction, ReduceFunction,
// AggregateFunction, KeySelector). Plain functions where Flink has single-method interfaces.

export type MapFunction<I, O> = (value: I) => O
export type FilterFunction<T> = (value: T) => boolean
export type FlatMapFunction<I, O> = (value: I, out: Collector<O>) => void
export type ReduceFunction<T> = (a: T, b: T) => T
export type KeySelector<T, K> = (value: T) => K
export type TimestampAssigner<T> = (value: T) => number

export interface Collector<T> {
  collect(value: T): void
}

/** Flink's AggregateFunction: an accumulator built incrementally, merged for session windows. */
export interface AggregateFunction<IN, ACC, OUT> {
  createAccumulator(): ACC
  add(value: IN, accumulator: ACC): ACC
  getResult(accumulator: ACC): OUT
  merge(a: ACC, b: ACC): ACC
}
