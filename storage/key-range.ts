// KeyRange validation and the rewrite of a sublevel's range into its parent's keyspace.
// Pure; engines receive only ranges resolved here.

import { assertBytes, concatBytes, prefixUpperBound } from './bytes.ts'
import type { Bytes, KeyRange } from './ordered-store.ts'

/** A validated range: at most one lower and one upper bound, limit Infinity when uncapped. */
export interface ResolvedRange {
  gt?: Bytes
  gte?: Bytes
  lt?: Bytes
  lte?: Bytes
  reverse: boolean
  limit: number
}

const FULL_RANGE: ResolvedRange = Object.freeze({ reverse: false, limit: Number.POSITIVE_INFINITY })

export function resolveRange(range: KeyRange | undefined): ResolvedRange {
  if (range === undefined) return FULL_RANGE
  if (range === null || typeof range !== 'object') throw new TypeError('A key range must be an object')
  const out: ResolvedRange = { reverse: false, limit: Number.POSITIVE_INFINITY }
  for (const bound of ['gt', 'gte', 'lt', 'lte'] as const) {
    const value = range[bound]
    if (value === undefined) continue
    assertBytes(value, `Range option '${bound}'`)
    out[bound] = value
  }
  if (out.gt !== undefined && out.gte !== undefined) throw new TypeError("A key range cannot have both 'gt' and 'gte'")
  if (out.lt !== undefined && out.lte !== undefined) throw new TypeError("A key range cannot have both 'lt' and 'lte'")
  if (range.reverse !== undefined) {
    if (typeof range.reverse !== 'boolean') throw new TypeError("Range option 'reverse' must be a boolean")
    out.reverse = range.reverse
  }
  if (range.limit !== undefined) {
    const limit = range.limit
    if (typeof limit !== 'number' || !(Number.isInteger(limit) || limit === Number.POSITIVE_INFINITY) || limit < 0) {
      throw new TypeError(`Range option 'limit' must be a non-negative integer or Infinity, got ${String(limit)}`)
    }
    out.limit = limit
  }
  return out
}

/**
 * The same range inside the namespace `prefix` of the parent keyspace. A missing bound becomes
 * the namespace edge, so a scan never leaves the namespace. Byte order is preserved because every
 * key of the namespace shares the same prefix.
 */
export function scopeRange(range: ResolvedRange, prefix: Bytes): ResolvedRange {
  if (prefix.length === 0) return range
  const out: ResolvedRange = { reverse: range.reverse, limit: range.limit }
  if (range.gt !== undefined) out.gt = concatBytes(prefix, range.gt)
  else out.gte = range.gte !== undefined ? concatBytes(prefix, range.gte) : prefix
  if (range.lt !== undefined) out.lt = concatBytes(prefix, range.lt)
  else if (range.lte !== undefined) out.lte = concatBytes(prefix, range.lte)
  else {
    const upper = prefixUpperBound(prefix)
    if (upper !== undefined) out.lt = upper
  }
  return out
}
