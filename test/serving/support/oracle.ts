// The expected state of the fixture job `clicks` (test/fixtures/serving/clicks-job.ts), computed
// directly from the events sent to it, and the key order of the contract (DESIGN §4 entries:
// ascending canonical key order), written independently of src/keys.
import { WINDOW_MS } from '../../fixtures/serving/clicks-job.ts'
import { type Click, isClick, isRecord, type SetValue } from '../../fixtures/serving/serving-events.ts'

export type Key = string | number | bigint | boolean | Key[]
export interface Entry {
  key: Key
  value: unknown
}
export interface WindowRecord {
  key: string
  window: { start: number; end: number }
  value: number
}

const typeRank = (k: Key) =>
  typeof k === 'string' ? 0 : Array.isArray(k) ? 1 : typeof k === 'bigint' ? 2 : typeof k === 'number' ? 3 : 4

function compareCodePoints(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!)
  const y = Array.from(b, (c) => c.codePointAt(0)!)
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!
  return x.length - y.length
}

/** Strings by code point, arrays element-wise (a prefix first), numbers numerically, by type rank across types. */
export function compareKeys(a: Key, b: Key): number {
  const ra = typeRank(a)
  const rb = typeRank(b)
  if (ra !== rb) return ra - rb
  if (typeof a === 'string') return compareCodePoints(a, b as string)
  if (Array.isArray(a)) {
    const bb = b as Key[]
    for (let i = 0; i < Math.min(a.length, bb.length); i++) {
      const c = compareKeys(a[i]!, bb[i]!)
      if (c !== 0) return c
    }
    return a.length - bb.length
  }
  return a < (b as typeof a) ? -1 : a > (b as typeof a) ? 1 : 0
}

export function windowStart(ts: number): number {
  return ts - (((ts % WINDOW_MS) + WINDOW_MS) % WINDOW_MS)
}

const id = (k: Key) => JSON.stringify(k, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))

export class ClicksOracle {
  readonly clicks: Click[] = []
  readonly registers: SetValue[] = []

  /** Records events in the order the job's source reads them; ignores what the job ignores. */
  add(events: readonly unknown[]): void {
    for (const e of events) {
      if (isClick(e)) this.clicks.push(e)
      else if (isRecord(e) && (e.t === 'set' || e.t === 'del')) this.registers.push(e as unknown as SetValue)
    }
  }

  /** Every entry of a state in key order, as a full scan answers it. */
  entries(state: string): Entry[] {
    if (state === 'views-per-minute')
      return this.pages().map((page) => ({ key: page, value: this.windows(page).at(-1) }))
    const m = new Map<string, Entry>()
    const put = (key: Key, value: unknown) => m.set(id(key), { key, value })
    const update = <T>(key: Key, f: (prev: T | undefined) => T) => put(key, f(m.get(id(key))?.value as T | undefined))
    for (const c of this.clicks) {
      switch (state) {
        case 'last-click':
          put(c.user, c)
          break
        case 'user-clicks':
          update<number>(c.user, (n) => (n ?? 0) + 1)
          break
        case 'user-time':
          update<{ user: string; ms: number }>(c.user, (v) => ({ user: c.user, ms: (v?.ms ?? 0) + c.ms }))
          break
        case 'user-page':
          update<number>([c.user, c.page], (n) => (n ?? 0) + 1)
          break
        case 'page-views':
          update<number>(c.page, (n) => (n ?? 0) + 1)
          break
        case 'user-pages':
          update<string[]>(c.user, (pages) => [...(pages ?? []), c.page])
          break
        case 'user-page-counts':
          update<[string, number][]>(c.user, (pairs) => {
            const next = new Map(pairs ?? [])
            next.set(c.page, (next.get(c.page) ?? 0) + 1)
            return [...next].sort((a, b) => compareKeys(a[0], b[0]))
          })
          break
        case 'user-last-seen':
          update<number>(c.user, (ts) => Math.max(ts ?? c.ts, c.ts))
          break
      }
    }
    for (const r of this.registers) {
      if (r.state !== state) continue
      const key: Key = state === 'user-ids' ? BigInt(r.key) : (r.key as Key)
      if (r.t === 'del') m.delete(id(key))
      else put(key, r.value)
    }
    return [...m.values()].sort((a, b) => compareKeys(a.key, b.key))
  }

  /** The value of one key (undefined: no value). */
  value(state: string, key: Key): unknown {
    return this.entries(state).find((e) => id(e.key) === id(key))?.value
  }

  /** In-flight windows of a page, ascending by start (none fire: the watermark trails by 30 days). */
  windows(page: string): WindowRecord[] {
    const counts = new Map<number, number>()
    for (const c of this.clicks) {
      if (c.page !== page) continue
      const start = windowStart(c.ts)
      counts.set(start, (counts.get(start) ?? 0) + 1)
    }
    return [...counts]
      .sort((a, b) => a[0] - b[0])
      .map(([start, value]) => ({ key: page, window: { start, end: start + WINDOW_MS }, value }))
  }

  users(): string[] {
    return [...new Set(this.clicks.map((c) => c.user))].sort(compareCodePoints)
  }

  pages(): string[] {
    return [...new Set(this.clicks.map((c) => c.page))].sort(compareCodePoints)
  }
}
