// The binary key prefix of a sublevel: one segment per nesting level, each `[name byte length]
// [UTF-8 name]`. Length-prefixing makes sibling prefixes never prefixes of each other, so names
// need no escaping, and keys inside a sublevel keep exactly their unprefixed byte order.

import { EMPTY_BYTES, assertBytes, concatBytes } from './bytes.ts'
import { resolveRange, scopeRange, type ResolvedRange } from './key-range.ts'
import type { Bytes, KeyRange } from './ordered-store.ts'

/** Joins nested names in messages (`operator/state`); reserved, so a path reads unambiguously. */
export const SUBLEVEL_SEPARATOR = '/'
export const MAX_SUBLEVEL_NAME_BYTES = 255

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export class SublevelPrefix {
  static readonly ROOT = new SublevelPrefix(EMPTY_BYTES, '')

  /** Strips the prefix from iterated keys; undefined at the root, where there is nothing to strip. */
  readonly stripKey: ((key: Bytes) => Bytes) | undefined
  readonly stripEntry: ((entry: [Bytes, Bytes]) => [Bytes, Bytes]) | undefined

  private constructor(
    readonly bytes: Bytes,
    /** The sublevel names joined by SUBLEVEL_SEPARATOR; '' at the root. */
    readonly path: string,
  ) {
    const n = bytes.length
    this.stripKey = n === 0 ? undefined : (key) => key.subarray(n)
    this.stripEntry = n === 0 ? undefined : (entry) => [entry[0].subarray(n), entry[1]]
  }

  get isRoot(): boolean {
    return this.bytes.length === 0
  }

  child(name: string): SublevelPrefix {
    const nameBytes = encodeSublevelName(name)
    const segment = new Uint8Array(1 + nameBytes.length)
    segment[0] = nameBytes.length
    segment.set(nameBytes, 1)
    const path = this.isRoot ? name : this.path + SUBLEVEL_SEPARATOR + name
    return new SublevelPrefix(concatBytes(this.bytes, segment), path)
  }

  key(key: Bytes): Bytes {
    assertBytes(key, 'A key')
    return this.bytes.length === 0 ? key : concatBytes(this.bytes, key)
  }

  range(range: KeyRange | undefined): ResolvedRange {
    return scopeRange(resolveRange(range), this.bytes)
  }
}

/** Validates a sublevel name (non-empty, no separator, well-formed, ≤ 255 UTF-8 bytes). */
export function encodeSublevelName(name: string): Bytes {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError('A sublevel name must be a non-empty string')
  }
  if (name.includes(SUBLEVEL_SEPARATOR)) {
    throw new TypeError(
      `Sublevel name '${name}' contains '${SUBLEVEL_SEPARATOR}': nest sublevels with .sublevel(a).sublevel(b) instead`,
    )
  }
  const bytes = encoder.encode(name)
  // Lone surrogates would encode as U+FFFD and collide with a different name.
  if (decoder.decode(bytes) !== name) throw new TypeError(`Sublevel name '${name}' is not well-formed Unicode`)
  if (bytes.length > MAX_SUBLEVEL_NAME_BYTES) {
    throw new TypeError(`Sublevel name is ${bytes.length} UTF-8 bytes; the maximum is ${MAX_SUBLEVEL_NAME_BYTES}`)
  }
  return bytes
}
