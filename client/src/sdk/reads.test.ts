// Point, batch and range reads over a real local server speaking the contract (HTTP and WS).
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { type ContractServer, startContractServer } from '../../test/contract-server.ts'
import { waitFor } from '../../test/wait-for.ts'
import { LivestateError } from '../protocol/livestate-error.ts'
import { createClient } from './create-client.ts'
import type { LivestateClient } from './client-types.ts'

let server: ContractServer
const clients: LivestateClient[] = []
const open = (options: Partial<Parameters<typeof createClient>[0]> = {}) => {
  const c = createClient({
    url: server.url,
    job: 'clicks',
    requestTimeoutMs: 3000,
    retry: { retries: 3, baseDelayMs: 1, maxDelayMs: 5 },
    ...options,
  })
  clients.push(c)
  return c
}

beforeAll(async () => {
  server = await startContractServer()
  server.defineState('clicks', 'page-views', 'aggregating')
  server.defineState('clicks', 'by-id', 'value', 'number')
  server.defineState('clicks', 'big', 'value', 'bigint')
  server.defineState('clicks', 'prefs', 'map')
  server.defineState('clicks', 'pairs', 'reducing', 'composite')
  server.set('clicks', 'page-views', '/home', 42)
  server.set('clicks', 'page-views', '/blog/a b', 7)
  for (let i = 0; i < 25; i++) server.set('clicks', 'page-views', `/docs/${String(i).padStart(2, '0')}`, i)
  server.set('clicks', 'by-id', 42, 'forty-two')
  server.set('clicks', 'big', 12345678901234567890n, 'huge')
  server.set('clicks', 'prefs', 'ann', [
    ['dark', true],
    ['lang', 'en'],
  ])
  server.set('clicks', 'pairs', ['a', 1], 11)
})

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
  server.tokens = undefined
})

afterAll(() => server.close())

describe.each(['json', 'msgpack'] as const)('get over HTTP (%s)', (encoding) => {
  test('returns the value, undefined for a missing key', async () => {
    const views = open({ encoding, transport: 'http' }).job('clicks').state<string, number>('page-views')
    expect(await views.get('/home')).toBe(42)
    expect(await views.get('/nowhere')).toBeUndefined()
  })

  test('URL-encodes path keys and parses numeric ones server-side', async () => {
    const c = open({ encoding, transport: 'http' })
    server.httpLog.length = 0
    expect(await c.job('clicks').state<string, number>('page-views').get('/blog/a b')).toBe(7)
    expect(server.httpLog).toContain('GET /v1/jobs/clicks/states/page-views/keys/%2Fblog%2Fa%20b')
    expect(await c.job('clicks').state<number, string>('by-id').get(42)).toBe('forty-two')
  })

  test('sends composite keys through POST …/get', async () => {
    const c = open({ encoding, transport: 'http' })
    server.httpLog.length = 0
    expect(await c.job('clicks').state<[string, number], number>('pairs').get(['a', 1])).toBe(11)
    expect(await c.job('clicks').state<[string, number], number>('pairs').get(['a', 2])).toBeUndefined()
    expect(server.httpLog.filter((l) => l.startsWith('POST'))).toEqual([
      'POST /v1/jobs/clicks/states/pairs/get',
      'POST /v1/jobs/clicks/states/pairs/get',
    ])
  })

  test('turns a MapState value into a Map, or one entry with mapKey', async () => {
    const prefs = open({ encoding, transport: 'http' }).job('clicks').state<string, Map<string, unknown>>('prefs')
    expect(await prefs.get('ann')).toEqual(
      new Map<string, unknown>([
        ['dark', true],
        ['lang', 'en'],
      ]),
    )
    expect(await prefs.get('ann', { mapKey: 'lang' })).toBe('en')
  })

  test('returns bigint keys as bigints', async () => {
    const big = open({ encoding }).job('clicks').state<bigint, string>('big')
    expect(await big.get(12345678901234567890n)).toBe('huge')
    const all = []
    for await (const e of big.entries()) all.push(e)
    expect(all).toEqual([{ key: 12345678901234567890n, value: 'huge' }])
  })
})

describe('errors and retries', () => {
  test('throws LivestateError with the contract code for non-retryable errors, without retrying', async () => {
    const c = open()
    const err = await c
      .job('clicks')
      .state('nope')
      .get('k')
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(LivestateError)
    expect(err).toMatchObject({ code: 'UNKNOWN_STATE', retryable: false })
    server.httpLog.length = 0
    server.failNext(1, { code: 'FORBIDDEN', match: /keys/ })
    await expect(c.job('clicks').state('page-views').get('/home')).rejects.toMatchObject({ code: 'FORBIDDEN' })
    expect(server.httpLog.filter((l) => l.includes('/keys/'))).toHaveLength(1)
  })

  test('retries retryable errors and succeeds', async () => {
    const c = open()
    server.httpLog.length = 0
    server.failNext(2, { code: 'STATE_NOT_READY', retryAfter: 0, match: /keys/ })
    expect(await c.job('clicks').state('page-views').get('/home')).toBe(42)
    expect(server.httpLog.filter((l) => l.includes('/keys/'))).toHaveLength(3)
  })

  test('gives up after the bounded number of retries with the last error', async () => {
    const c = open({ retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 2 } })
    server.failNext(3, { code: 'TIMEOUT', match: /keys/ })
    await expect(c.job('clicks').state('page-views').get('/home')).rejects.toMatchObject({
      code: 'TIMEOUT',
      retryable: true,
    })
  })

  test('waits for Retry-After before retrying', async () => {
    const c = open()
    server.failNext(1, { code: 'RATE_LIMITED', retryAfter: 1, match: /keys/ })
    const started = Date.now()
    expect(await c.job('clicks').state('page-views').get('/home')).toBe(42)
    expect(Date.now() - started).toBeGreaterThanOrEqual(950)
  })

  test('sends the token as a bearer header; without it the server says UNAUTHORIZED', async () => {
    server.tokens = new Set(['secret'])
    await expect(open().job('clicks').state('page-views').get('/home')).rejects.toMatchObject({ code: 'UNAUTHORIZED' })
    expect(await open({ token: 'secret' }).job('clicks').state('page-views').get('/home')).toBe(42)
  })
})

describe('getMany', () => {
  test('returns a Map keyed by the keys passed, omitting missing ones', async () => {
    const views = open().job('clicks').state<string, number>('page-views')
    const many = await views.getMany(['/home', '/missing', '/docs/03'])
    expect([...many]).toEqual([
      ['/home', 42],
      ['/docs/03', 3],
    ])
  })

  test('splits more than 1000 keys into several requests', async () => {
    const views = open().job('clicks').state<string, number>('page-views')
    server.httpLog.length = 0
    const keys = Array.from({ length: 2500 }, (_, i) => `/k${i}`)
    keys[2400] = '/home'
    const many = await views.getMany(keys)
    expect([...many]).toEqual([['/home', 42]])
    expect(server.httpLog.filter((l) => l.startsWith('POST'))).toHaveLength(3)
  })

  test.each(['json', 'msgpack'] as const)(
    'over the WebSocket (%s), a get answered with a retryable error frame is retried; a missing key is undefined',
    async (encoding) => {
      const views = open({ encoding, transport: 'ws', retry: { retries: 3, baseDelayMs: 1, maxDelayMs: 5 } })
        .job('clicks')
        .state<string, number>('page-views')
      server.wsFrames.length = 0
      server.failNext(2, { code: 'STATE_NOT_READY', match: /^get$/ })
      expect(await views.get('/home')).toBe(42)
      expect(server.wsFrames.map((f) => f.op)).toEqual(['get', 'get', 'get'])
      expect(await views.get('/missing')).toBeUndefined()
      server.failNext(4, { code: 'TIMEOUT', match: /^get$/ }) // the first try and 3 retries
      await expect(views.get('/home')).rejects.toMatchObject({ code: 'TIMEOUT', retryable: true })
    },
  )

  test('over the WebSocket, an unanswered get times out with TIMEOUT, retried like any retryable error', async () => {
    const views = open({
      transport: 'ws',
      encoding: 'msgpack',
      requestTimeoutMs: 60,
      retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 1 },
    })
      .job('clicks')
      .state<string, number>('page-views')
    expect(await views.get('/home')).toBe(42) // socket open, state described
    server.wsFrames.length = 0
    server.stallFrames = true
    try {
      const started = Date.now()
      await expect(views.get('/home')).rejects.toMatchObject({ code: 'TIMEOUT', name: 'LivestateError' })
      expect(Date.now() - started).toBeGreaterThanOrEqual(110) // two attempts of 60 ms each
      expect(server.wsFrames.map((f) => f.op)).toEqual(['get', 'get'])
    } finally {
      server.stallFrames = false
    }
    expect(await views.get('/home')).toBe(42)
  })

  test('over the WebSocket, a get in flight when the socket drops is retried on the new socket', async () => {
    const views = open({ transport: 'ws', encoding: 'msgpack', reconnect: { baseDelayMs: 5, maxDelayMs: 10 } })
      .job('clicks')
      .state<string, number>('page-views')
    expect(await views.get('/home')).toBe(42)
    server.wsFrames.length = 0
    server.stallFrames = true
    const answer = views.get('/home')
    await waitFor(() => server.wsFrames.length === 1, 2000, 'the get frame')
    server.stallFrames = false
    server.dropSockets()
    expect(await answer).toBe(42)
    expect(server.wsFrames.map((f) => f.op)).toEqual(['get', 'get'])
  })

  test('works over the WebSocket with msgpack', async () => {
    const views = open({ transport: 'ws', encoding: 'msgpack' }).job('clicks').state<string, number>('page-views')
    server.wsFrames.length = 0
    expect(await views.getMany(['/home', '/x'])).toEqual(new Map([['/home', 42]]))
    expect(server.wsFrames.map((f) => f.op)).toEqual(['getMany'])
  })
})

describe('entries', () => {
  test('follows cursors page by page until null, in key order', async () => {
    const views = open().job('clicks').state<string, number>('page-views')
    server.httpLog.length = 0
    const keys: string[] = []
    for await (const { key, value } of views.entries({ prefix: '/docs/', pageSize: 10 })) {
      expect(value).toBe(Number(key.slice(6)))
      keys.push(key)
    }
    expect(keys).toEqual(Array.from({ length: 25 }, (_, i) => `/docs/${String(i).padStart(2, '0')}`))
    const pages = server.httpLog.filter((l) => l.includes('/entries'))
    expect(pages).toHaveLength(3)
    expect(pages[0]).not.toContain('cursor=')
    expect(pages[1]).toContain('cursor=%2Fdocs%2F09')
  })

  test('stops early when the loop breaks', async () => {
    const views = open().job('clicks').state<string, number>('page-views')
    server.httpLog.length = 0
    for await (const _ of views.entries({ pageSize: 5 })) break
    expect(server.httpLog.filter((l) => l.includes('/entries'))).toHaveLength(1)
  })
})

describe('get over the WebSocket', () => {
  test.each(['json', 'msgpack'] as const)('transport ws pipelines gets over one socket (%s)', async (encoding) => {
    const views = open({ transport: 'ws', encoding }).job('clicks').state<string, number>('page-views')
    server.wsFrames.length = 0
    const [a, b, missing] = await Promise.all([views.get('/home'), views.get('/docs/01'), views.get('/none')])
    expect([a, b, missing]).toEqual([42, 1, undefined])
    expect(server.wsFrames.map((f) => f.op)).toEqual(['get', 'get', 'get'])
    expect(new Set(server.wsFrames.map((f) => f.id)).size).toBe(3)
    expect(server.socketCount()).toBe(1)
  })

  test('auto transport uses the socket once a subscription opened it', async () => {
    const c = open()
    const views = c.job('clicks').state<string, number>('page-views')
    server.wsFrames.length = 0
    const sub = views.subscribe(['/home'], () => {})
    await sub.ready
    expect(await views.get('/docs/02')).toBe(2)
    expect(server.wsFrames.map((f) => f.op)).toEqual(['subscribe', 'get'])
  })
})

describe('job selection', () => {
  test('uses the only job on the server when no job option is given', async () => {
    const c = createClient({ url: server.url })
    clients.push(c)
    expect(await c.state('page-views').get('/home')).toBe(42)
    expect((await c.jobs()).map((j) => j.name)).toEqual(['clicks'])
  })

  test('refuses to guess between several jobs, naming them', async () => {
    const two = await startContractServer()
    try {
      two.defineState('clicks', 'page-views', 'value')
      two.defineState('other', 'x', 'value')
      const c = createClient({ url: two.url })
      clients.push(c)
      await expect(c.state('page-views').get('/home')).rejects.toMatchObject({
        code: 'UNKNOWN_JOB',
        message: expect.stringMatching(/runs 2 \(clicks, other\); pass \{ job \}/),
      })
    } finally {
      await two.close()
    }
  })
})
