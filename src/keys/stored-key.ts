// The stored-key layout: [key group: 2 bytes BE][canonical key][namespace][user key], so that a
// key group — and a KeyGroupRange — is one contiguous prefix scan (Flink's RocksDB key layout).

import { decodeKey } from './key-codec.ts'
import type { Key } from './key.ts'
import type { KeyGroupRange } from './key-group-range.ts'
import { UPPER_BOUND_MAX_PARALLELISM } from './key-group-range-assignment.ts'

export const KEY_GROUP_PREFIX_BYTES = 2

function checkKeyGroup(keyGroup: number): void {
  if (!Number.isInteger(keyGroup) || keyGroup < 0 || keyGroup >= UPPER_BOUND_MAX_PARALLELISM) {
    throw new RangeError(`key group must be an integer in 0..${UPPER_BOUND_MAX_PARALLELISM - 1}; got ${keyGroup}`)
  }
}

/** The 2 big-endian bytes every stored key of `keyGroup` starts with. */
export function keyGroupPrefix(keyGroup: number): Uint8Array {
  checkKeyGroup(keyGroup)
  return Uint8Array.of(keyGroup >>> 8, keyGroup & 0xff)
}

/** `[keyGroup][keyBytes][namespace][userKey]`; keyBytes must come from encodeKey. */
export function composeStoredKey(
  keyGroup: number,
  keyBytes: Uint8Array,
  namespace?: Uint8Array,
  userKey?: Uint8Array,
): Uint8Array {
  checkKeyGroup(keyGroup)
  const nsLength = namespace === undefined ? 0 : namespace.length
  const out = new Uint8Array(2 + keyBytes.length + nsLength + (userKey === undefined ? 0 : userKey.length))
  out[0] = keyGroup >>> 8
  out[1] = keyGroup & 0xff
  out.set(keyBytes, 2)
  if (namespace !== undefined) out.set(namespace, 2 + keyBytes.length)
  if (userKey !== undefined) out.set(userKey, 2 + keyBytes.length + nsLength)
  return out
}

/** The key group a stored key belongs to. */
export function readKeyGroup(stored: Uint8Array): number {
  if (stored.length < KEY_GROUP_PREFIX_BYTES) throw new TypeError('stored key is shorter than its key-group prefix')
  return ((stored[0] as number) << 8) | (stored[1] as number)
}

/**
 * Key group, decoded key, and the bytes after the key (namespace + user key, which only the state
 * that wrote them can split). `rest` is a view into `stored`, not a copy.
 */
export function splitStoredKey(stored: Uint8Array): { keyGroup: number; key: Key; rest: Uint8Array } {
  const keyGroup = readKeyGroup(stored)
  const { key, end } = decodeKey(stored, KEY_GROUP_PREFIX_BYTES)
  return { keyGroup, key, rest: stored.subarray(end) }
}

/** Bounds of one scan over every stored key in `range`: gte = [start], lt = [end + 1]. */
export function keyGroupRangeBounds(range: KeyGroupRange): { gte: Uint8Array; lt: Uint8Array } {
  // end + 1 may be 32768 (0x8000), still two bytes; EMPTY (0..-1) gives gte == lt, an empty scan.
  const start = range.startKeyGroup
  const stop = range.endKeyGroup + 1
  return {
    gte: Uint8Array.of(start >>> 8, start & 0xff),
    lt: Uint8Array.of(stop >>> 8, stop & 0xff),
  }
}
