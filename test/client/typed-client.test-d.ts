// Type tests of the SDK against real job types (not hand-written look-alikes): the bundled demo job
// and the `shop` fixture job, whose build functions return a queryable state of every kind. The
// client reads them through the `~states` phantom of `defineJob`; nothing of the jobs is loaded.
import { createClient } from '@livestate/client'
import type { ChangeMeta, StateNamesOf, WatchEvent } from '@livestate/client'
import { describe, expectTypeOf, test } from 'vitest'
import type { WindowResult } from '../../src/index.ts'
import type clicksJob from '../../src/demo/clicks-job.ts'
import type { Click } from '../../src/demo/clicks-job.ts'
import type shopJob from '../fixtures/client/shop-job.ts'
import type { Visit } from '../fixtures/client/shop-job.ts'

const clicks = createClient<typeof clicksJob>({ url: 'http://127.0.0.1:8080' })
const shop = createClient<typeof shopJob>({ url: 'http://127.0.0.1:8080', job: 'shop' })

describe('the demo job (src/demo/clicks-job.ts)', () => {
  test('state names are the union of the queryable names the job returns', () => {
    expectTypeOf<StateNamesOf<typeof clicksJob>>().toEqualTypeOf<'page-views' | 'last-click' | 'views-per-minute'>()
    expectTypeOf(clicks.state).parameter(0).toEqualTypeOf<'page-views' | 'last-click' | 'views-per-minute'>()
  })

  test('a wrong state name is a compile error', () => {
    // @ts-expect-error 'page-view' is not a queryable state of the demo job
    void clicks.state('page-view')
    // @ts-expect-error names are exact literals, not any string
    void clicks.state('' as string)
  })

  test('get of a count() aggregate is number | undefined; a wrong key type is a compile error', () => {
    const views = clicks.state('page-views')
    expectTypeOf(views.get('/home')).toEqualTypeOf<Promise<number | undefined>>()
    expectTypeOf(views.get('/home', { consistency: 'committed', minCheckpoint: 3, timeout: 1000 })).toEqualTypeOf<
      Promise<number | undefined>
    >()
    // @ts-expect-error page-views is keyed by page (string)
    void views.get(1)
    // @ts-expect-error mapKey exists only on map states
    void views.get('/home', { mapKey: 'x' })
    // @ts-expect-error window exists only on window states
    void views.get('/home', { window: 'all' })
  })

  test('get of asQueryableState(name) is the stream element', () => {
    expectTypeOf(clicks.state('last-click').get('user-1')).toEqualTypeOf<Promise<Click | undefined>>()
  })

  test('get of a window state is the window record; window: all gives every in-flight window', () => {
    const perMinute = clicks.state('views-per-minute')
    expectTypeOf(perMinute.get('/home')).toEqualTypeOf<Promise<WindowResult<string, number> | undefined>>()
    expectTypeOf(perMinute.get('/home', { window: 'latest' })).toEqualTypeOf<
      Promise<WindowResult<string, number> | undefined>
    >()
    expectTypeOf(perMinute.get('/home', { window: 'all' })).toEqualTypeOf<
      Promise<WindowResult<string, number>[] | undefined>
    >()
    expectTypeOf(perMinute.get('/home', { window: 1_700_000_040_000 })).toEqualTypeOf<
      Promise<WindowResult<string, number> | undefined>
    >()
    // @ts-expect-error a window is 'latest', 'all' or a start in ms
    void perMinute.get('/home', { window: 'first' })
  })

  test('getMany, entries, subscribe and watch carry the key and value types', async () => {
    const views = clicks.state('page-views')
    expectTypeOf(views.getMany(['/a', '/b'])).toEqualTypeOf<Promise<Map<string, number>>>()
    // @ts-expect-error keys are strings
    void views.getMany([1])
    for await (const e of views.entries({ prefix: '/blog/' }))
      expectTypeOf(e).toEqualTypeOf<{ key: string; value: number }>()
    views
      .subscribe(['/home'], (value, key, meta) => {
        expectTypeOf(value).toEqualTypeOf<number | undefined>()
        expectTypeOf(key).toEqualTypeOf<string>()
        expectTypeOf(meta).toEqualTypeOf<ChangeMeta>()
      })
      .close()
    // @ts-expect-error subscribed keys are strings
    void views.subscribe([1], () => {})
    // @ts-expect-error a selection is keys, { prefix } or { all: true }
    void views.subscribe({ all: false }, () => {})
    for await (const e of views.watch({ all: true })) expectTypeOf(e).toEqualTypeOf<WatchEvent<string, number>>()
  })
})

describe('the shop fixture job (test/fixtures/client/shop-job.ts): every kind', () => {
  test('names include the declared process-function states', () => {
    expectTypeOf<StateNamesOf<typeof shopJob>>().toEqualTypeOf<
      'page-views' | 'user-time' | 'last-visit' | 'visit-by-id' | 'views-per-minute' | 'user-pages' | 'user-page-counts'
    >()
  })

  test('value, reducing and aggregating states return the value', () => {
    expectTypeOf(shop.state('last-visit').get('u1')).toEqualTypeOf<Promise<Visit | undefined>>()
    expectTypeOf(shop.state('user-time').get('u1')).toEqualTypeOf<Promise<Visit | undefined>>()
    expectTypeOf(shop.state('page-views').get('/home')).toEqualTypeOf<Promise<number | undefined>>()
  })

  test('a list state returns an array of its elements', () => {
    expectTypeOf(shop.state('user-pages').get('u1')).toEqualTypeOf<Promise<string[] | undefined>>()
    expectTypeOf(shop.state('user-pages').getMany(['u1'])).toEqualTypeOf<Promise<Map<string, string[]>>>()
  })

  test('a map state returns a Map, or one entry with mapKey', () => {
    const counts = shop.state('user-page-counts')
    expectTypeOf(counts.get('u1')).toEqualTypeOf<Promise<Map<string, number> | undefined>>()
    expectTypeOf(counts.get('u1', { mapKey: '/home' })).toEqualTypeOf<Promise<number | undefined>>()
    // @ts-expect-error the map's user keys are pages (strings)
    void counts.get('u1', { mapKey: 1 })
    // @ts-expect-error the state is keyed by user (string)
    void counts.get(1n)
  })

  test('a bigint-keyed state takes and yields bigint keys', async () => {
    const byId = shop.state('visit-by-id')
    expectTypeOf(byId.get(9_007_199_254_740_993n)).toEqualTypeOf<Promise<Visit | undefined>>()
    // @ts-expect-error keyed by bigint, not number
    void byId.get(1)
    // @ts-expect-error keyed by bigint, not string
    void byId.get('1')
    for await (const e of byId.entries()) expectTypeOf(e.key).toEqualTypeOf<bigint>()
  })

  test('the window state of the fixture', () => {
    expectTypeOf(shop.state('views-per-minute').get('/home', { window: 'all' })).toEqualTypeOf<
      Promise<WindowResult<string, number>[] | undefined>
    >()
  })

  test('a typed client still reaches any job untyped', () => {
    expectTypeOf(shop.job('clicks').state<string, number>('page-views').get('/home')).toEqualTypeOf<
      Promise<number | undefined>
    >()
    // @ts-expect-error the untyped handle takes the key type it was given
    void shop.job('clicks').state<string, number>('page-views').get(1)
  })
})
