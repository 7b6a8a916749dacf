// Seeded input of the exactly-once tests and its oracle: events {k, v, seq} where most keys come from
// a skewed pool of 2,000 and ~5% are brand-new keys (first seen at that record), so keys keep
// appearing during the whole run. The oracle (count, sum, last seq per key) is a plain loop.
import { closeSync, openSync, writeSync } from 'node:fs'
import { seededRandom } from './seeded-random.ts'

export interface TotalsEvent {
  k: string
  v: number
  seq: number
}

export interface KeyTotals {
  count: number
  sum: number
  lastSeq: number
}

export type TotalsOracle = Map<string, KeyTotals>

/** Calls `each` for events 0..n-1 of the seeded stream (no array: 1M events stay cheap). */
export function forEachTotalsEvent(n: number, seed: number, each: (e: TotalsEvent) => void): void {
  const random = seededRandom(seed)
  for (let seq = 0; seq < n; seq++) {
    const r = random()
    const k = r < 0.05 ? `n${seq}` : `k${Math.floor(((r - 0.05) / 0.95) ** 2 * 2000)}`
    const v = Math.floor(random() * 2001) - 1000
    each({ k, v, seq })
  }
}

export function totalsEvents(n: number, seed: number, from = 0): TotalsEvent[] {
  const out: TotalsEvent[] = []
  forEachTotalsEvent(n, seed, (e) => {
    if (e.seq >= from) out.push(e)
  })
  return out
}

/** Oracle over events, by a plain loop. */
export function totalsOracle(events: Iterable<TotalsEvent>): TotalsOracle {
  const m: TotalsOracle = new Map()
  for (const e of events) addToOracle(m, e)
  return m
}

export function addToOracle(m: TotalsOracle, e: TotalsEvent): void {
  const t = m.get(e.k)
  if (t) {
    t.count++
    t.sum += e.v
    t.lastSeq = e.seq
  } else m.set(e.k, { count: 1, sum: e.v, lastSeq: e.seq })
}

/** Writes events 0..n-1 as NDJSON and returns their oracle, computed in the same pass. */
export function writeTotalsNdjson(path: string, n: number, seed: number): TotalsOracle {
  const oracle: TotalsOracle = new Map()
  const fd = openSync(path, 'w')
  try {
    let chunk = ''
    forEachTotalsEvent(n, seed, (e) => {
      addToOracle(oracle, e)
      chunk += `${JSON.stringify(e)}\n`
      if (chunk.length >= 1 << 20) {
        writeSync(fd, chunk)
        chunk = ''
      }
    })
    writeSync(fd, chunk)
  } finally {
    closeSync(fd)
  }
  return oracle
}
