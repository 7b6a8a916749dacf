// A seeded stream of events for the serving fixture job `clicks`: clicks of a few users on a few
// pages over ten minutes of event time (out of order), plus register writes with bigint and number
// keys. Users and pages include non-ASCII and astral characters, whose key order (code points)
// differs from JS string order (UTF-16 units).
import type { Click, SetValue } from '../../fixtures/serving/serving-events.ts'

export const USERS = ['u00', 'u01', 'u02', 'u03', 'u04', 'u05', 'u06', 'u07', 'ünï', 'z\uFFFD', 'z😀', 'Zed']
export const PAGES = ['/home', '/about', '/blog/', '/blog/a', '/blog/b', '/blog/ünï', '/docs/x', '/docs/y']
export const BASE_TS = Date.UTC(2024, 4, 1, 12, 0, 0)

/** mulberry32: a small seeded PRNG, so every run (and both parallelisms) see the same events. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function clickStream(count: number, seed: number, users = USERS): Click[] {
  const random = seededRandom(seed)
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!
  return Array.from({ length: count }, (_, i) => ({
    t: 'click' as const,
    user: pick(users),
    page: pick(PAGES),
    // ten minutes of event time, jittered ±30 s so windows receive late-ish elements
    ts: BASE_TS + Math.floor((i / count) * 600_000) + Math.floor(random() * 60_000) - 30_000,
    ms: 1 + Math.floor(random() * 1000),
  }))
}

/**
 * Register writes: bigint keys beyond 2^53 (as decimal strings) and integer number keys (queryable
 * number keys are integers, DESIGN §1), one of them deleted again.
 */
export function registerWrites(): SetValue[] {
  return [
    { t: 'set', state: 'user-ids', key: '9007199254740993', value: { name: 'big' } },
    { t: 'set', state: 'user-ids', key: '-9223372036854775808', value: { name: 'min' } },
    { t: 'set', state: 'user-ids', key: '42', value: { name: 'small' } },
    { t: 'set', state: 'by-number', key: 5, value: 'five' },
    { t: 'set', state: 'by-number', key: -7, value: 'minus seven' },
    { t: 'set', state: 'by-number', key: Number.MAX_SAFE_INTEGER, value: 'max safe' },
    { t: 'set', state: 'by-number', key: 6, value: 'six' },
    { t: 'del', state: 'by-number', key: 6 },
  ]
}
