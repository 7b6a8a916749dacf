// Built-in aggregate functions: count, sum, min, max, avg. Accumulators are plain JSON values so
// they serialise into state and checkpoints unchanged.
import type { AggregateFunction } from './functions.ts'

export function count<T = unknown>(): AggregateFunction<T, number, number> {
  return {
    createAccumulator: () => 0,
    add: (_v, acc) => acc + 1,
    getResult: (acc) => acc,
    merge: (a, b) => a + b,
  }
}

export function sum<T>(fn: (value: T) => number): AggregateFunction<T, number, number> {
  return {
    createAccumulator: () => 0,
    add: (v, acc) => acc + fn(v),
    getResult: (acc) => acc,
    merge: (a, b) => a + b,
  }
}

export function min<T>(fn: (value: T) => number): AggregateFunction<T, number | null, number | null> {
  return {
    createAccumulator: () => null,
    add: (v, acc) => {
      const x = fn(v)
      return acc === null || x < acc ? x : acc
    },
    getResult: (acc) => acc,
    merge: (a, b) => (a === null ? b : b === null ? a : Math.min(a, b)),
  }
}

export function max<T>(fn: (value: T) => number): AggregateFunction<T, number | null, number | null> {
  return {
    createAccumulator: () => null,
    add: (v, acc) => {
      const x = fn(v)
      return acc === null || x > acc ? x : acc
    },
    getResult: (acc) => acc,
    merge: (a, b) => (a === null ? b : b === null ? a : Math.max(a, b)),
  }
}

export function avg<T>(fn: (value: T) => number): AggregateFunction<T, [number, number], number | null> {
  return {
    createAccumulator: () => [0, 0],
    add: (v, acc) => [acc[0] + fn(v), acc[1] + 1],
    getResult: (acc) => (acc[1] === 0 ? null : acc[0] / acc[1]),
    merge: (a, b) => [a[0] + b[0], a[1] + b[1]],
  }
}
