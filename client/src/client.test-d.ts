// Type tests: the typed client infers state names, key types and value types from a job-shaped type
// (the phantom fields `defineJob` declares), and rejects wrong names and wrong key types.
import { describe, expectTypeOf, test } from 'vitest'
import { createClient } from './index.ts'
import type { ChangeMeta, StateNamesOf, WatchEvent } from './index.ts'

type Queryable<N extends string, K, V, Kind extends string> = {
  readonly '~queryable'?: { name: N; key: K; value: V; kind: Kind }
}
interface FakeStream<T> {
  map<U>(fn: (t: T) => U): FakeStream<U>
}
type Click = { user: string; page: string; ts: number }
type MinuteWindow = { key: string; window: { start: number; end: number }; value: number }

declare const clicksJob: {
  readonly name: string
  readonly '~states'?: {
    perPage: FakeStream<Click> & Queryable<'page-views', string, number, 'aggregating'>
    lastClick: FakeStream<Click> & Queryable<'last-click', string, Click, 'value'>
    perMinute: FakeStream<MinuteWindow> & Queryable<'views-per-minute', string, MinuteWindow, 'window'>
    history: Queryable<'history', number, Click, 'list'>
    prefs: Queryable<'prefs', bigint, Map<string, boolean>, 'map'>
    pairs: Queryable<'pair-totals', readonly [string, number], number, 'reducing'>
    raw: FakeStream<Click>
  }
}
declare const sinkOnlyJob: { readonly name: string; readonly '~states'?: undefined }

const client = createClient<typeof clicksJob>({ url: 'http://127.0.0.1:8080', job: 'clicks' })

describe('typed client from a job type', () => {
  test('state names are the union of queryable names; non-queryable values add none', () => {
    expectTypeOf<StateNamesOf<typeof clicksJob>>().toEqualTypeOf<
      'page-views' | 'last-click' | 'views-per-minute' | 'history' | 'prefs' | 'pair-totals'
    >()
    expectTypeOf<StateNamesOf<typeof sinkOnlyJob>>().toBeNever()
  })

  test('a wrong state name is a compile error', () => {
    // @ts-expect-error 'page-view' is not a queryable state of the job
    void client.state('page-view')
    // @ts-expect-error 'raw' is a returned stream but not queryable
    void client.state('raw')
  })

  test('get returns the value type or undefined; wrong key types fail', () => {
    const views = client.state('page-views')
    expectTypeOf(views.get('/home')).toEqualTypeOf<Promise<number | undefined>>()
    expectTypeOf(views.get('/home', { consistency: 'committed', minCheckpoint: 3, timeout: 500 })).toEqualTypeOf<
      Promise<number | undefined>
    >()
    // @ts-expect-error page-views is keyed by string
    void views.get(42)
    // @ts-expect-error mapKey is only for map states
    void views.get('/home', { mapKey: 'x' })
    expectTypeOf(client.state('last-click').get('ann')).toEqualTypeOf<Promise<Click | undefined>>()
  })

  test('getMany returns a Map of key to value', () => {
    expectTypeOf(client.state('page-views').getMany(['/a', '/b'])).toEqualTypeOf<Promise<Map<string, number>>>()
    // @ts-expect-error keys must be strings
    void client.state('page-views').getMany([1, 2])
  })

  test('list states return arrays of the element type', () => {
    const history = client.state('history')
    expectTypeOf(history.get(7)).toEqualTypeOf<Promise<Click[] | undefined>>()
    // @ts-expect-error history is keyed by number
    void history.get('7')
  })

  test('map states return a Map, or one entry with mapKey', () => {
    const prefs = client.state('prefs')
    expectTypeOf(prefs.get(1n)).toEqualTypeOf<Promise<Map<string, boolean> | undefined>>()
    expectTypeOf(prefs.get(1n, { mapKey: 'dark' })).toEqualTypeOf<Promise<boolean | undefined>>()
    // @ts-expect-error prefs is keyed by bigint
    void prefs.get(1)
    // @ts-expect-error user keys of prefs are strings
    void prefs.get(1n, { mapKey: 5 })
  })

  test('window states return the window record, or all records with window: all', () => {
    const perMinute = client.state('views-per-minute')
    expectTypeOf(perMinute.get('/home')).toEqualTypeOf<Promise<MinuteWindow | undefined>>()
    expectTypeOf(perMinute.get('/home', { window: 'all' })).toEqualTypeOf<Promise<MinuteWindow[] | undefined>>()
    expectTypeOf(perMinute.get('/home', { window: 1_700_000_000_000 })).toEqualTypeOf<
      Promise<MinuteWindow | undefined>
    >()
  })

  test('composite keys are tuples', () => {
    const pairs = client.state('pair-totals')
    expectTypeOf(pairs.get(['a', 1])).toEqualTypeOf<Promise<number | undefined>>()
    // @ts-expect-error the second element is a number
    void pairs.get(['a', 'b'])
  })

  test('entries, subscribe and watch carry the key and value types', async () => {
    const views = client.state('page-views')
    for await (const entry of views.entries({ prefix: '/blog/', pageSize: 100 })) {
      expectTypeOf(entry).toEqualTypeOf<{ key: string; value: number }>()
    }
    const sub = views.subscribe(['/home'], (value, key, meta) => {
      expectTypeOf(value).toEqualTypeOf<number | undefined>()
      expectTypeOf(key).toEqualTypeOf<string>()
      expectTypeOf(meta).toEqualTypeOf<ChangeMeta>()
    })
    sub.close()
    views.subscribe({ prefix: '/blog/' }, () => {}).close()
    views.subscribe({ all: true }, () => {}).close()
    // @ts-expect-error keys must be strings
    void views.subscribe([1], () => {})
    for await (const event of views.watch(['/home'])) {
      expectTypeOf(event).toEqualTypeOf<WatchEvent<string, number>>()
    }
  })
})

describe('untyped client', () => {
  test('job(name).state<K, V>(name) types what you say', () => {
    const untyped = createClient({ url: 'http://127.0.0.1:8080' })
    const views = untyped.job('clicks').state<string, number>('page-views')
    expectTypeOf(views.get('/home')).toEqualTypeOf<Promise<number | undefined>>()
    // @ts-expect-error keyed by string
    void views.get(1)
    expectTypeOf(untyped.state('anything').get('k')).toEqualTypeOf<Promise<unknown>>()
  })

  test('a typed client can still address other jobs untyped', () => {
    expectTypeOf(client.job('other').state<number, string>('s').get(1)).toEqualTypeOf<Promise<string | undefined>>()
  })
})
