// The bundled demo (`livestate demo`, `npm start`): a seeded clickstream with skewed users and pages
// and slightly out-of-order timestamps, with three queryable states: page-views (count per page),
// last-click (latest click per user) and views-per-minute (in-flight one-minute windows per page).
import { count } from '../api/aggregates.ts'
import { defineJob } from '../api/job.ts'
import { TumblingEventTimeWindows } from '../api/windows.ts'

export type Click = { user: string; page: string; ts: number }

const PAGES = [
  '/home',
  '/pricing',
  '/docs',
  '/blog/',
  '/blog/streams',
  '/blog/state',
  '/about',
  '/careers',
  '/login',
  '/signup',
]

/** Zipf-like skew: low indexes are much more likely. */
function skewed(random: () => number, n: number): number {
  return Math.min(n - 1, Math.floor(n * random() ** 3))
}

export const DEMO_RATE = 2_000

export default defineJob({ name: 'clicks', parallelism: 2 }, (env) => {
  const base = Date.now()
  const clicks = env.fromGenerator<Click>(
    'clicks',
    (i, random) => ({
      user: `user-${skewed(random, 5_000)}`,
      page: PAGES[skewed(random, PAGES.length)]!,
      // one event every 1000/rate ms, up to 2 s out of order
      ts: base + Math.floor((i * 1000) / DEMO_RATE) - Math.floor(random() * 2_000),
    }),
    { seed: 7, ratePerSecond: DEMO_RATE },
  )
  const perPage = clicks.keyBy((c) => c.page).asQueryableState('page-views', { aggregate: count() })
  const lastClick = clicks.keyBy((c) => c.user).asQueryableState('last-click')
  const perMinute = clicks
    .assignTimestamps((c) => c.ts, { maxOutOfOrderness: 5_000 })
    .keyBy((c) => c.page)
    .window(TumblingEventTimeWindows.of(60_000))
    .aggregate(count(), { queryable: 'views-per-minute' })
  return { perPage, lastClick, perMinute }
})
