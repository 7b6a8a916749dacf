// Key → key group → operator index, and the key-group range each operator index owns.
// Mirrors Flink's KeyGroupRangeAssignment (pure static functions, same integer arithmetic).

import type { Key } from './key.ts'
import { keyHashCode } from './key-hash.ts'
import { KeyGroupRange } from './key-group-range.ts'
import { murmurHash } from './murmur.ts'

/** Default lower bound for maxParallelism when the user configured none (Flink: 1 << 7). */
export const DEFAULT_LOWER_BOUND_MAX_PARALLELISM = 128

/** Inclusive upper bound for parallelism and maxParallelism (Flink: 1 << 15). */
export const UPPER_BOUND_MAX_PARALLELISM = 32768

/** The operator index (subtask) that `key` is routed to. Hot path: arguments are not checked. */
export function assignKeyToParallelOperator(key: Key, maxParallelism: number, parallelism: number): number {
  return computeOperatorIndexForKeyGroup(maxParallelism, parallelism, assignToKeyGroup(key, maxParallelism))
}

/** `murmurHash(hashCode(key)) % maxParallelism`. Hot path: maxParallelism is not checked. */
export function assignToKeyGroup(key: Key, maxParallelism: number): number {
  return murmurHash(keyHashCode(key)) % maxParallelism
}

export function computeKeyGroupForKeyHash(keyHash: number, maxParallelism: number): number {
  return murmurHash(keyHash) % maxParallelism
}

/**
 * The key groups operator `operatorIndex` owns: [ceil(i*maxP/p), floor(((i+1)*maxP - 1)/p)].
 * Products stay below 2^30 for maxP <= 32768, so this is exact, as Flink's int arithmetic is.
 */
export function computeKeyGroupRangeForOperatorIndex(
  maxParallelism: number,
  parallelism: number,
  operatorIndex: number,
): KeyGroupRange {
  checkParallelismPreconditions(parallelism)
  checkMaxParallelism(maxParallelism)
  if (maxParallelism < parallelism) {
    throw new RangeError(`maxParallelism (${maxParallelism}) must not be smaller than parallelism (${parallelism})`)
  }
  if (!Number.isInteger(operatorIndex) || operatorIndex < 0 || operatorIndex >= parallelism) {
    throw new RangeError(`operatorIndex must be an integer in 0..${parallelism - 1}; got ${operatorIndex}`)
  }
  const start = Math.floor((operatorIndex * maxParallelism + parallelism - 1) / parallelism)
  const end = Math.floor(((operatorIndex + 1) * maxParallelism - 1) / parallelism)
  return new KeyGroupRange(start, end)
}

/** `keyGroup * parallelism / maxParallelism` (integer division). Hot path: not checked. */
export function computeOperatorIndexForKeyGroup(maxParallelism: number, parallelism: number, keyGroup: number): number {
  return Math.floor((keyGroup * parallelism) / maxParallelism)
}

/** `min(max(roundUpToPowerOfTwo(p + p/2), 128), 32768)` with Java's integer `p/2`. */
export function computeDefaultMaxParallelism(parallelism: number): number {
  checkParallelismPreconditions(parallelism)
  return Math.min(
    Math.max(roundUpToPowerOfTwo(parallelism + (parallelism >> 1)), DEFAULT_LOWER_BOUND_MAX_PARALLELISM),
    UPPER_BOUND_MAX_PARALLELISM,
  )
}

/** Throws unless `parallelism` is an integer in 1..32768. */
export function checkParallelismPreconditions(parallelism: number): void {
  checkBounds('parallelism', parallelism)
}

/** Throws unless `maxParallelism` (the number of key groups) is an integer in 1..32768. */
export function checkMaxParallelism(maxParallelism: number): void {
  checkBounds('maxParallelism', maxParallelism)
}

function checkBounds(what: string, value: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`${what} must be an integer; got ${String(value)}`)
  }
  if (value <= 0 || value > UPPER_BOUND_MAX_PARALLELISM) {
    throw new RangeError(`${what} must be within 1..${UPPER_BOUND_MAX_PARALLELISM}; got ${value}`)
  }
}

// Flink's MathUtils.roundUpToPowerOfTwo for positive ints (smear the high bit right, add one).
function roundUpToPowerOfTwo(x: number): number {
  let v = x - 1
  v |= v >> 1
  v |= v >> 2
  v |= v >> 4
  v |= v >> 8
  v |= v >> 16
  return v + 1
}
