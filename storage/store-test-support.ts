// Helpers shared by the storage tests and conformance suites: byte literals, readable hex, draining
// iterators, and the reference (filter + sort) answer for a range over a set of entries.

import { type ResolvedRange, resolveRange } from './key-range.ts'
import type { Bytes, KeyRange, OrderedStore } from './ordered-store.ts'

export type StoreFixture = { store: OrderedStore; cleanup: () => Promise<void> }

/** Bytes from numbers or (UTF-8) strings: b(0, 255), b('abc'). */
export function b(...parts: (number | string)[]): Bytes {
  const out: number[] = []
  for (const part of parts) {
    if (typeof part === 'number') out.push(part)
    else out.push(...new TextEncoder().encode(part))
  }
  return Uint8Array.from(out)
}

export function hex(bytes: Bytes | undefined): string | undefined {
  return bytes === undefined ? undefined : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex')
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of iterable) out.push(item)
  return out
}

/** Entries as [hexKey, hexValue] pairs, so expectations compare readably across Buffer/Uint8Array. */
export async function entriesHex(iterable: AsyncIterable<[Bytes, Bytes]>): Promise<[string, string][]> {
  return (await collect(iterable)).map(([k, v]) => [hex(k)!, hex(v)!])
}

export async function keysHex(iterable: AsyncIterable<Bytes>): Promise<string[]> {
  return (await collect(iterable)).map((k) => hex(k)!)
}

/** The oracle's byte order: Node's memcmp, independent of the stores' own compareBytes. */
const memcmp = (a: Bytes, b: Bytes): number => Buffer.compare(a, b)

function isInRange(key: Bytes, r: ResolvedRange): boolean {
  if (r.gt !== undefined && memcmp(key, r.gt) <= 0) return false
  if (r.gte !== undefined && memcmp(key, r.gte) < 0) return false
  if (r.lt !== undefined && memcmp(key, r.lt) >= 0) return false
  if (r.lte !== undefined && memcmp(key, r.lte) > 0) return false
  return true
}

/** What a correct store yields for `range` over `entries` (any order, unique keys). */
export function referenceScan(entries: Iterable<[Bytes, Bytes]>, range?: KeyRange): [string, string][] {
  const resolved: ResolvedRange = resolveRange(range)
  const inRange = [...entries].filter(([k]) => isInRange(k, resolved)).sort((x, y) => memcmp(x[0], y[0]))
  if (resolved.reverse) inRange.reverse()
  return inRange.slice(0, resolved.limit).map(([k, v]) => [hex(k)!, hex(v)!])
}

/** Resolves to the thrown error (or fails when nothing is thrown). */
export async function caught(action: () => unknown): Promise<Error & { code?: string }> {
  try {
    await action()
  } catch (err) {
    return err as Error & { code?: string }
  }
  throw new Error('expected the action to throw')
}
