// The queryable key model: which JS values are keys, their equality and their display form.
// Keys stand for the Java types Flink keys by: String, Integer/Long/Double, Long, Boolean, and
// composite (tuple) keys. Encoding lives in key-codec.ts, hashing in key-hash.ts.
//
// Choices (not Flink's, which has no JS types):
// - numbers: any finite number (Flink allows Double keys); NaN and ±Infinity are rejected; -0 is
//   the same key as 0.
// - bigints: int64 range only (Java long); larger values are rejected rather than hashed some
//   invented way — use a string for bigger identifiers.
// - strings: must be well-formed UTF-16 (no lone surrogates), because the canonical encoding is
//   UTF-8 and a lone surrogate has no UTF-8 form: two different strings would share one key.
// - arrays (composite keys): elements are keys themselves, nested at most MAX_KEY_DEPTH deep.

export type Key = string | number | bigint | boolean | readonly Key[]

/** How deeply composite keys may nest; bounds recursion on untrusted input. */
export const MAX_KEY_DEPTH = 32

const INT64_MIN = -(1n << 63n)
const INT64_MAX = (1n << 63n) - 1n

const KINDS = 'a string, finite number, bigint, boolean or array of these'

type WellFormed = { isWellFormed(this: string): boolean }
const isWellFormed = (String.prototype as unknown as WellFormed).isWellFormed

/** Returns `value` typed as a Key, or throws a TypeError that says what is wrong and where. */
export function validateKey(value: unknown, what = 'key'): Key {
  const problem = findProblem(value, 0)
  if (problem !== undefined) throw new TypeError(`${what}${problem.path} ${problem.message}`)
  return value as Key
}

/** True when `value` is a valid key (no exception, for filters and type guards). */
export function isKey(value: unknown): value is Key {
  return findProblem(value, 0) === undefined
}

type Problem = { path: string; message: string }

// The path (`[2][0]`) is built only on failure so that validating a good key allocates nothing.
function findProblem(value: unknown, depth: number): Problem | undefined {
  switch (typeof value) {
    case 'string':
      if (isWellFormed.call(value)) return undefined
      return { path: '', message: 'must be a well-formed string; got a string with a lone UTF-16 surrogate' }
    case 'number':
      if (Number.isFinite(value)) return undefined
      return { path: '', message: `must be a finite number; got ${value}` }
    case 'bigint':
      if (value >= INT64_MIN && value <= INT64_MAX) return undefined
      return { path: '', message: `must be a bigint in the int64 range (-2^63 .. 2^63-1); got ${value}n` }
    case 'boolean':
      return undefined
    case 'object':
      if (Array.isArray(value)) return findArrayProblem(value, depth)
  }
  return { path: '', message: `must be ${KINDS}; got ${describe(value)}` }
}

function findArrayProblem(value: readonly unknown[], depth: number): Problem | undefined {
  if (depth >= MAX_KEY_DEPTH) return { path: '', message: `must not nest arrays more than ${MAX_KEY_DEPTH} deep` }
  for (let i = 0; i < value.length; i++) {
    const inner = findProblem(value[i], depth + 1)
    if (inner !== undefined) return { path: `[${i}]${inner.path}`, message: inner.message }
  }
  return undefined
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value !== 'object') return typeof value
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name
  return typeof name === 'string' && name !== 'Object' && name !== '' ? name : 'object'
}

/** Key equality: same type and value; arrays element-wise. -0 equals 0. */
export function keyEquals(a: Key, b: Key): boolean {
  if (a === b) return true
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    if (!keyEquals(a[i] as Key, b[i] as Key)) return false
  }
  return true
}

/**
 * A stable display form for messages and JSON: a top-level string as-is, numbers and booleans
 * as JSON, bigints as `123n`, arrays as `["a",1,2n]` (strings quoted inside arrays).
 */
export function keyToString(key: Key): string {
  return typeof key === 'string' ? key : elementToString(key)
}

function elementToString(key: Key): string {
  switch (typeof key) {
    case 'string':
      return JSON.stringify(key)
    case 'bigint':
      return `${key}n`
    case 'number':
      return String(key) // String(-0) is '0', matching the key's identity
    case 'boolean':
      return key ? 'true' : 'false'
  }
  let out = '['
  for (let i = 0; i < key.length; i++) out += (i === 0 ? '' : ',') + elementToString(key[i] as Key)
  return out + ']'
}
