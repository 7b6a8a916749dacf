// Lazy k-way merge of one subtask's key groups into canonical key order: stored keys are sorted by
// key group first, so an ordered scan reads every key group's keys side by side and takes the
// smallest, reading only as far as the page needs (values are fetched for returned keys only).
import { decodeKey, type Key } from '../keys/key-codec.ts'
import type { StateTable } from '../state/state-table.ts'

export interface MergedKey {
  keyGroup: number
  /** Canonical key bytes as a binary string (no key group). */
  keyChars: string
  key: Key
}

interface Head extends MergedKey {
  it: AsyncIterator<string>
}

export interface MergeBounds {
  /** Inclusive lower bound (binary string of canonical key bytes). */
  lower: string
  /** Exclusive: continue after this key (a cursor). */
  afterKey?: string
  toKey?: string
  prefix?: string
}

/** Yields each distinct key of [kgStart, kgEnd] within the bounds, in canonical key order. */
export async function* mergeKeyGroups(
  table: StateTable,
  kgStart: number,
  kgEnd: number,
  b: MergeBounds,
): AsyncIterable<MergedKey> {
  const heap: Head[] = []
  const inBounds = (keyChars: string) =>
    (b.prefix === undefined || keyChars.startsWith(b.prefix)) && (b.toKey === undefined || keyChars < b.toKey)
  // Advances an iterator past namespaces of the same key; undefined when exhausted or out of bounds.
  const advance = async (it: AsyncIterator<string>, keyGroup: number, skip?: string): Promise<Head | undefined> => {
    for (;;) {
      const r = await it.next()
      if (r.done) return undefined
      const primary = r.value
      const { key, end } = decodeKey(Buffer.from(primary.slice(2), 'latin1'))
      const keyChars = primary.slice(2, 2 + end)
      if (keyChars === skip) continue
      if (!inBounds(keyChars)) {
        await it.return?.()
        return undefined
      }
      return { keyGroup, keyChars, key, it }
    }
  }
  const starts: Promise<Head | undefined>[] = []
  for (let kg = kgStart; kg <= kgEnd; kg++) {
    const kgChars = String.fromCharCode(kg >>> 8, kg & 0xff)
    const after =
      b.afterKey !== undefined && b.afterKey + '\xff' > b.lower ? kgChars + b.afterKey + '\xff' : kgChars + b.lower
    // `after` is exclusive, but a primary key is [kg][key][namespace], so kg+lower itself still
    // lets the key equal to `lower` through
    starts.push(advance(table.primaryKeys(kg, kg, after)[Symbol.asyncIterator](), kg))
  }
  for (const h of await Promise.all(starts)) if (h) push(heap, h)
  try {
    while (heap.length > 0) {
      const top = pop(heap)!
      yield { keyGroup: top.keyGroup, keyChars: top.keyChars, key: top.key }
      const next = await advance(top.it, top.keyGroup, top.keyChars)
      if (next) push(heap, next)
    }
  } finally {
    await Promise.all(heap.map((h) => h.it.return?.()))
  }
}

function less(a: Head, b: Head): boolean {
  return a.keyChars < b.keyChars
}

function push(h: Head[], x: Head): void {
  h.push(x)
  let i = h.length - 1
  while (i > 0) {
    const p = (i - 1) >> 1
    if (!less(h[i]!, h[p]!)) break
    ;[h[i], h[p]] = [h[p]!, h[i]!]
    i = p
  }
}

function pop(h: Head[]): Head | undefined {
  const top = h[0]
  const last = h.pop()
  if (h.length > 0 && last) {
    h[0] = last
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < h.length && less(h[l]!, h[m]!)) m = l
      if (r < h.length && less(h[r]!, h[m]!)) m = r
      if (m === i) break
      ;[h[i], h[m]] = [h[m]!, h[i]!]
      i = m
    }
  }
  return top
}
