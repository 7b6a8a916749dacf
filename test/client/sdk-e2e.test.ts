// The SDK end to end against a real `livestate run` child process serving the `shop` fixture job,
// once per wire encoding (JSON, msgpack) and, for one-off reads, per transport (HTTP, WebSocket):
// every read shape of DESIGN §6, subscriptions while events are ingested, and contract error codes.
import { type LivestateClient, type LivestateError, createClient, isLivestateError } from '@livestate/client'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type shopJob from '../fixtures/client/shop-job.ts'
import type { LivestateProcess } from '../support/livestate-process.ts'
import { stopQuietly } from '../support/livestate-process.ts'
import {
  ShopOracle,
  T0,
  type Visit,
  eventually,
  latestCheckpointId,
  makeVisits,
  postVisits,
  runShop,
  removeTempDirs,
  tempStateDir,
} from './support/shop.ts'

const USERS = Array.from({ length: 60 }, (_, i) => `u${String(i).padStart(2, '0')}`)
const BLOG = Array.from({ length: 12 }, (_, i) => `/blog/${String.fromCharCode(97 + i)}`)
const PAGES = ['/home', '/docs', '/pricing', ...BLOG]
const BASE = makeVisits(600, { users: USERS, pages: PAGES, stepMs: 250, idEvery: 10 })
const FIRST_ID = 9_007_199_254_740_993n // above 2^53: a number could not hold it

let server: LivestateProcess
let url: string
const oracle = new ShopOracle()

beforeAll(async () => {
  server = runShop(tempStateDir())
  url = await server.url
  for (let i = 0; i < BASE.length; i += 200) await postVisits(url, BASE.slice(i, i + 200), `base-${i}`)
  oracle.add(BASE)
  // Every state reads the same source through its own task: wait until each one has it all.
  const probe = createClient<typeof shopJob>({ url, job: 'shop', transport: 'http' })
  try {
    const sum = (m: Map<unknown, number>) => [...m.values()].reduce((a, b) => a + b, 0)
    const lastUser = USERS.at(-1)!
    await eventually(
      async () =>
        sum(await probe.state('page-views').getMany(PAGES)) === BASE.length &&
        (await probe.state('user-pages').get(lastUser))?.length === oracle.userPages.get(lastUser)!.length &&
        (await probe.state('user-time').get(lastUser))?.ms === oracle.userTime.get(lastUser)!.ms &&
        (await probe.state('last-visit').get(lastUser))?.ts === oracle.lastVisit.get(lastUser)!.ts &&
        (await probe.state('visit-by-id').getMany([...oracle.visitById.keys()])).size === oracle.visitById.size &&
        ((await probe.state('views-per-minute').get('/home', { window: 'all' })) ?? []).reduce(
          (n, w) => n + w.value,
          0,
        ) === oracle.pageViews.get('/home'),
      30_000,
      () => 'the base visits were not processed by every state',
    )
  } finally {
    await probe.close()
  }
}, 90_000)

afterAll(async () => {
  await stopQuietly(server)
  removeTempDirs()
})

function expectCode(error: unknown, code: string): LivestateError {
  expect(isLivestateError(error), String(error)).toBe(true)
  expect((error as LivestateError).code).toBe(code)
  return error as LivestateError
}

/** The server's gauge of open WebSocket subscriptions (GET /metrics). */
async function openSubscriptions(): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const m = /^livestate_ws_subscriptions (\d+)/m.exec(text)
  if (!m) throw new Error('no livestate_ws_subscriptions in /metrics')
  return Number(m[1])
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

describe.each(['json', 'msgpack'] as const)('over %s', (encoding) => {
  let client: LivestateClient<typeof shopJob>
  beforeAll(() => {
    client = createClient<typeof shopJob>({ url, job: 'shop', encoding })
  })
  afterAll(() => client.close())

  test.each(['http', 'ws'] as const)('get returns the value of every state kind (transport %s)', async (transport) => {
    const o = { transport }
    for (const page of PAGES) expect(await client.state('page-views').get(page, o)).toBe(oracle.pageViews.get(page))
    for (const user of USERS.slice(0, 5)) {
      expect(await client.state('user-time').get(user, o)).toEqual(oracle.userTime.get(user))
      expect(await client.state('last-visit').get(user, o)).toEqual(oracle.lastVisit.get(user))
      expect(await client.state('user-pages').get(user, o)).toEqual(oracle.userPages.get(user))
      const counts = await client.state('user-page-counts').get(user, o)
      expect(counts).toBeInstanceOf(Map)
      expect(counts).toEqual(oracle.userPageCounts.get(user))
      const [page, n] = [...oracle.userPageCounts.get(user)!][0]!
      expect(await client.state('user-page-counts').get(user, { ...o, mapKey: page })).toBe(n)
      expect(await client.state('user-page-counts').get(user, { ...o, mapKey: '/never' })).toBeUndefined()
    }
    // A key above 2^53 survives both encodings (JSON carries it as a decimal string).
    expect(await client.state('visit-by-id').get(FIRST_ID, o)).toEqual(oracle.visitById.get(FIRST_ID))
  })

  test.each(['http', 'ws'] as const)('a missing key is undefined, not an error (transport %s)', async (transport) => {
    expect(await client.state('page-views').get('/no-such-page', { transport })).toBeUndefined()
    expect(await client.state('user-pages').get('nobody', { transport })).toBeUndefined()
    expect(await client.state('visit-by-id').get(1n, { transport })).toBeUndefined()
  })

  test.each(['http', 'ws'] as const)('getMany returns found keys only, in a Map (transport %s)', async (transport) => {
    const asked = ['/docs', '/missing-1', '/home', '/missing-2', '/blog/c']
    const found = await client.state('page-views').getMany(asked, { transport })
    expect([...found]).toEqual([
      ['/docs', oracle.pageViews.get('/docs')],
      ['/home', oracle.pageViews.get('/home')],
      ['/blog/c', oracle.pageViews.get('/blog/c')],
    ])
    const counts = await client.state('user-page-counts').getMany(['u01', 'u02'], { transport })
    expect(counts.get('u01')).toEqual(oracle.userPageCounts.get('u01'))
    const ids = [...oracle.visitById.keys()]
    const byId = await client.state('visit-by-id').getMany(ids, { transport })
    expect([...byId.keys()]).toEqual(ids) // the very bigint keys passed in
  })

  test('getMany of more keys than one request may carry splits them (1500 keys)', async () => {
    const keys = [...PAGES, ...Array.from({ length: 1500 - PAGES.length }, (_, i) => `/absent/${i}`)]
    const found = await client.state('page-views').getMany(keys, { transport: 'http' })
    expect(found).toEqual(new Map(PAGES.map((p) => [p, oracle.pageViews.get(p)])))
  })

  test('entries walks every page of cursors, in ascending key order', async () => {
    const seen: [string, Visit][] = []
    for await (const { key, value } of client.state('last-visit').entries({ pageSize: 7 })) seen.push([key, value])
    expect(seen.map(([k]) => k)).toEqual([...USERS].sort())
    expect(new Map(seen)).toEqual(oracle.lastVisit)

    const blog: [string, number][] = []
    for await (const { key, value } of client.state('page-views').entries({ prefix: '/blog/', pageSize: 5 })) {
      blog.push([key, value])
    }
    expect(blog).toEqual(BLOG.map((p) => [p, oracle.pageViews.get(p)]))

    const range: string[] = []
    for await (const { key } of client.state('user-pages').entries({ from: 'u10', to: 'u20', pageSize: 4 })) {
      range.push(key)
    }
    expect(range).toEqual(USERS.filter((u) => u >= 'u10' && u < 'u20'))
  })

  test('entries of a bigint-keyed state yield bigint keys', async () => {
    const seen = new Map<bigint, Visit>()
    for await (const { key, value } of client.state('visit-by-id').entries({ pageSize: 16 })) {
      expect(typeof key).toBe('bigint')
      seen.set(key, value)
    }
    expect(seen).toEqual(oracle.visitById)
  })

  test("consistency 'committed' with minCheckpoint waits for that checkpoint, else NOT_CAUGHT_UP", async () => {
    const next = ((await latestCheckpointId(url)) ?? 0) + 1
    const views = client.state('page-views')
    for (const transport of ['http', 'ws'] as const) {
      const options = { consistency: 'committed', minCheckpoint: next, timeout: 10_000, transport } as const
      expect(await views.get('/home', options)).toBe(oracle.pageViews.get('/home'))
      expect(await client.state('user-page-counts').get('u03', options)).toEqual(oracle.userPageCounts.get('u03'))
    }
    const impatient = createClient<typeof shopJob>({ url, job: 'shop', encoding, retry: { retries: 0 } })
    try {
      for (const transport of ['http', 'ws'] as const) {
        const error = await failureOf(
          impatient
            .state('page-views')
            .get('/home', { consistency: 'committed', minCheckpoint: next + 1_000_000, timeout: 150, transport }),
        )
        expect(expectCode(error, 'NOT_CAUGHT_UP').retryable).toBe(true)
      }
    } finally {
      await impatient.close()
    }
  })

  test.each(['http', 'ws'] as const)(
    'window states: latest, a given start, and all (transport %s)',
    async (transport) => {
      const perMinute = client.state('views-per-minute')
      for (const page of ['/home', '/blog/a']) {
        const all = oracle.windowsOf(page)
        expect(all.length).toBeGreaterThan(1)
        expect(await perMinute.get(page, { transport })).toEqual(all.at(-1))
        expect(await perMinute.get(page, { window: 'latest', transport })).toEqual(all.at(-1))
        expect(await perMinute.get(page, { window: all[0]!.window.start, transport })).toEqual(all[0])
        expect(await perMinute.get(page, { window: 'all', transport })).toEqual(all)
      }
      expect(await perMinute.get('/home', { window: T0 - 3_600_000, transport })).toBeUndefined()
    },
  )

  test('subscribe: the current values first, then every change while events are ingested', async () => {
    const [a, b, c] = ['a', 'b', 'c'].map((x) => `/live/${encoding}/${x}`) as [string, string, string]
    const before = makeVisits(6, { users: USERS, pages: [a, b] })
    await postVisits(url, before)
    oracle.add(before)
    const views = client.state('page-views')
    const [atA, atB] = [oracle.pageViews.get(a), oracle.pageViews.get(b)]
    await eventually(
      async () => (await views.get(b, { transport: 'http' })) === atB,
      10_000,
      () => `${b} not at ${atB}`,
    )

    const frames: { key: string; value: number | undefined; type: string; epoch: number; seq: number }[] = []
    const errors: unknown[] = []
    const sub = views.subscribe([a, b, c], (value, key, meta) => frames.push({ key, value, ...meta }), {
      onError: (e) => errors.push(e),
    })
    await sub.ready
    await eventually(
      () => frames.filter((f) => f.type === 'snapshot').length === 2,
      10_000,
      () => JSON.stringify(frames),
    )
    expect(frames.slice(0, 2).sort((x, y) => x.key.localeCompare(y.key))).toMatchObject([
      { key: a, value: atA, type: 'snapshot' },
      { key: b, value: atB, type: 'snapshot' },
    ])

    for (let round = 0; round < 4; round++) {
      const batch = makeVisits(5, { users: USERS, pages: [a, b, c], offsetMs: round * 1000 })
      await postVisits(url, batch)
      oracle.add(batch)
    }
    const latest = () => new Map(frames.map((f) => [f.key, f.value]))
    await eventually(
      () => [a, b, c].every((k) => latest().get(k) === oracle.pageViews.get(k)),
      15_000,
      () => `values ${JSON.stringify([...latest()])}, oracle ${[a, b, c].map((k) => oracle.pageViews.get(k))}`,
    )
    for (const key of [a, b, c]) {
      const mine = frames.filter((f) => f.key === key)
      for (let i = 1; i < mine.length; i++) {
        const [p, q] = [mine[i - 1]!, mine[i]!]
        expect(q.epoch > p.epoch || (q.epoch === p.epoch && q.seq > p.seq), `${key}: ${JSON.stringify([p, q])}`).toBe(
          true,
        )
        expect(q.value!).toBeGreaterThan(p.value!)
      }
    }
    expect(frames.find((f) => f.key === c)).toMatchObject({ type: 'update', value: 1 }) // appeared after subscribing
    expect(errors).toEqual([])
    sub.close()
    expect(sub.closed).toBe(true)
  })

  test('subscribe { all: true } to a bigint-keyed state: snapshot of every key, keys as bigints', async () => {
    const got = new Map<bigint, Visit | undefined>()
    const sub = client.state('visit-by-id').subscribe({ all: true }, (value, key) => got.set(key, value))
    await sub.ready
    await eventually(
      () => got.size >= oracle.visitById.size,
      10_000,
      () => `${got.size} of ${oracle.visitById.size}`,
    )
    sub.close()
    for (const key of got.keys()) expect(typeof key).toBe('bigint')
    expect(got).toEqual(oracle.visitById)
  })

  test('watch: an async iterator over a prefix; leaving the loop closes the subscription on the server', async () => {
    const prefix = `/watch/${encoding}/`
    const pages = [`${prefix}x`, `${prefix}y`]
    const batches = [0, 1, 2].map((round) => makeVisits(4, { users: USERS, pages, offsetMs: round * 1000 }))
    const final = new ShopOracle()
    for (const batch of batches) final.add(batch)
    const openBefore = await openSubscriptions()

    const watcher = client.state('page-views').watch({ prefix })
    const feed = (async () => {
      for (const batch of batches) {
        await postVisits(url, batch)
        oracle.add(batch)
        await new Promise((r) => setTimeout(r, 50))
      }
    })()
    const values = new Map<string, number | undefined>()
    const reached = () => pages.every((p) => values.get(p) === final.pageViews.get(p))
    let timedOut = false
    const deadline = setTimeout(() => {
      timedOut = true
      void watcher.return?.()
    }, 15_000)
    for await (const event of watcher) {
      expect(event.key.startsWith(prefix)).toBe(true)
      expect(event.type).not.toBe('delete')
      expect(event.meta.type).toBe(event.type)
      values.set(event.key, event.value)
      if (reached()) break
    }
    clearTimeout(deadline)
    await feed
    expect(timedOut, `watch saw ${JSON.stringify([...values])}`).toBe(false)
    expect(await watcher.next()).toEqual({ done: true, value: undefined })
    await eventually(
      async () => (await openSubscriptions()) === openBefore,
      5_000,
      () => 'the server still counts the subscription of the finished loop',
    )
  })

  test('jobs() lists the running job and its states', async () => {
    const jobs = await client.jobs()
    expect(jobs).toHaveLength(1)
    expect(jobs[0]).toMatchObject({ name: 'shop', status: 'RUNNING', parallelism: 2 })
    expect([...jobs[0]!.states].sort()).toEqual(
      [
        'last-visit',
        'page-views',
        'user-page-counts',
        'user-pages',
        'user-time',
        'views-per-minute',
        'visit-by-id',
      ].sort(),
    )
  })

  test('without a job option the client uses the only job on the server', async () => {
    const anyJob = createClient<typeof shopJob>({ url, encoding })
    try {
      expect(await anyJob.state('page-views').get('/home')).toBe(oracle.pageViews.get('/home'))
    } finally {
      await anyJob.close()
    }
  })

  test.each(['http', 'ws'] as const)('errors carry the contract code (transport %s)', async (transport) => {
    const untyped = client.job('shop')
    const unknownState = expectCode(
      await failureOf(untyped.state<string, number>('no-such-state').get('x', { transport })),
      'UNKNOWN_STATE',
    )
    expect(unknownState.retryable).toBe(false)
    expectCode(await failureOf(untyped.state('no-such-state').getMany(['x'], { transport })), 'UNKNOWN_STATE')
    expectCode(await failureOf(client.job('no-such-job').state('page-views').get('x', { transport })), 'UNKNOWN_JOB')
  })

  test('entries and subscriptions of an unknown state fail with UNKNOWN_STATE; bad options with BAD_REQUEST', async () => {
    const unknown = client.job('shop').state<string, number>('no-such-state')
    expectCode(await failureOf(unknown.entries().next()), 'UNKNOWN_STATE')

    const errors: LivestateError[] = []
    const sub = unknown.subscribe(['x'], () => {}, { onError: (e) => errors.push(e) })
    expectCode(await failureOf(sub.ready), 'UNKNOWN_STATE')
    expect(errors.map((e) => e.code)).toEqual(['UNKNOWN_STATE'])
    expect(sub.closed).toBe(true)

    expectCode(await failureOf(unknown.watch({ all: true }).next()), 'UNKNOWN_STATE')
    expectCode(await failureOf(client.state('page-views').entries({ pageSize: 5_000 }).next()), 'BAD_REQUEST')
  })
})
