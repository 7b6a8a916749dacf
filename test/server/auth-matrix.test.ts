// Auth matrix: every route × every kind of token (none, invalid, per-scope tokens limited to one job,
// an all-jobs admin). A job outside a token's list answers exactly like an unknown job.
import { encodeMsgpack } from '@livestate/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuthTokenFile } from '../../src/server/auth-tokens.ts'
import { call } from './support/http.ts'
import { type TestServer, startTestServer } from './support/start-server.ts'
import { TestWsClient } from './support/ws-client.ts'

const TOKENS: AuthTokenFile = {
  tokens: [
    { token: 'reader-clicks', scopes: ['read'], jobs: ['clicks'] },
    { token: 'sub-clicks', scopes: ['subscribe'], jobs: ['clicks'] },
    { token: 'ingest-clicks', scopes: ['ingest'], jobs: ['clicks'] },
    { token: 'admin-clicks', scopes: ['admin'], jobs: ['clicks'] },
    { token: 'root', scopes: ['read', 'subscribe', 'ingest', 'admin'], jobs: '*' },
  ],
}

type Who = 'none' | 'invalid' | 'reader-clicks' | 'sub-clicks' | 'ingest-clicks' | 'admin-clicks' | 'root'
const WHO: Who[] = ['none', 'invalid', 'reader-clicks', 'sub-clicks', 'ingest-clicks', 'admin-clicks', 'root']

function headers(who: Who): Record<string, string> {
  if (who === 'none') return {}
  return { authorization: `Bearer ${who === 'invalid' ? 'not-a-token' : who}` }
}

interface Route {
  name: string
  method: 'GET' | 'POST'
  path: string
  body?: string
  /** Expected status per token, in WHO order. */
  expect: [number, number, number, number, number, number, number]
}

const S = '/v1/jobs/clicks/states/page-views'
const O = '/v1/jobs/orders/states/totals'
const ROUTES: Route[] = [
  { name: 'health', method: 'GET', path: '/v1/health', expect: [200, 200, 200, 200, 200, 200, 200] },
  { name: 'dashboard', method: 'GET', path: '/', expect: [200, 200, 200, 200, 200, 200, 200] },
  { name: 'openapi', method: 'GET', path: '/v1/openapi.json', expect: [200, 200, 200, 200, 200, 200, 200] },
  { name: 'metrics', method: 'GET', path: '/metrics', expect: [401, 401, 403, 403, 403, 403, 200] },
  { name: 'jobs', method: 'GET', path: '/v1/jobs', expect: [401, 401, 200, 403, 403, 403, 200] },
  { name: 'job detail', method: 'GET', path: '/v1/jobs/clicks', expect: [401, 401, 200, 403, 403, 403, 200] },
  { name: 'other job detail', method: 'GET', path: '/v1/jobs/orders', expect: [401, 401, 404, 404, 404, 404, 200] },
  { name: 'state', method: 'GET', path: S, expect: [401, 401, 200, 403, 403, 403, 200] },
  { name: 'other job state', method: 'GET', path: O, expect: [401, 401, 404, 404, 404, 404, 200] },
  { name: 'point get', method: 'GET', path: `${S}/keys/%2Fhome`, expect: [401, 401, 200, 403, 403, 403, 200] },
  { name: 'other job point get', method: 'GET', path: `${O}/keys/eu`, expect: [401, 401, 404, 404, 404, 404, 200] },
  {
    name: 'batch get',
    method: 'POST',
    path: `${S}/get`,
    body: '{"keys":["/home"]}',
    expect: [401, 401, 200, 403, 403, 403, 200],
  },
  {
    name: 'other job batch get',
    method: 'POST',
    path: `${O}/get`,
    body: '{"keys":["eu"]}',
    expect: [401, 401, 404, 404, 404, 404, 200],
  },
  { name: 'entries', method: 'GET', path: `${S}/entries`, expect: [401, 401, 200, 403, 403, 403, 200] },
  {
    name: 'ingest',
    method: 'POST',
    path: '/v1/jobs/clicks/sources/clicks/events',
    body: '[1]',
    expect: [401, 401, 403, 403, 202, 403, 202],
  },
  {
    name: 'other job ingest',
    method: 'POST',
    path: '/v1/jobs/orders/sources/orders/events',
    body: '[1]',
    expect: [401, 401, 404, 404, 404, 404, 202],
  },
  {
    name: 'savepoint',
    method: 'POST',
    path: '/v1/jobs/clicks/savepoints',
    expect: [401, 401, 403, 403, 403, 200, 200],
  },
  {
    name: 'other job savepoint',
    method: 'POST',
    path: '/v1/jobs/orders/savepoints',
    expect: [401, 401, 404, 404, 404, 404, 200],
  },
  { name: 'unknown job', method: 'GET', path: '/v1/jobs/ghost', expect: [401, 401, 404, 404, 404, 404, 404] },
]

let s: TestServer
beforeAll(async () => {
  s = await startTestServer({ authTokens: TOKENS })
})
afterAll(() => s.close())

describe('HTTP auth matrix', () => {
  const cases = ROUTES.flatMap((route) => WHO.map((who, i) => ({ ...route, who, status: route.expect[i]! })))
  it.each(cases)('$name as $who → $status', async ({ method, path, body, who, status }) => {
    const res = await call(`${s.url}${path}`, {
      method,
      headers: { ...headers(who), 'content-type': 'application/json' },
      body,
    })
    expect(res.status).toBe(status)
    if (status === 401) {
      expect(res.body.error.code).toBe('UNAUTHORIZED')
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/)
    }
    if (status === 403) expect(res.body.error.code).toBe('FORBIDDEN')
    if (status === 404) expect(res.body.error.code).toMatch(/^UNKNOWN_JOB$/)
  })

  it('/v1/jobs lists only the jobs a token may see', async () => {
    const reader = await call(`${s.url}/v1/jobs`, { headers: headers('reader-clicks') })
    expect(reader.body.jobs.map((j: { name: string }) => j.name)).toEqual(['clicks'])
    const root = await call(`${s.url}/v1/jobs`, { headers: headers('root') })
    expect(root.body.jobs.map((j: { name: string }) => j.name)).toEqual(['clicks', 'orders'])
  })

  it('a forbidden job answers byte-for-byte like an unknown one (name aside)', async () => {
    for (const [path, ghost] of [
      ['/v1/jobs/orders', '/v1/jobs/ordery'],
      [`${O}/keys/eu`, '/v1/jobs/ordery/states/totals/keys/eu'],
      ['/v1/jobs/orders/savepoints', '/v1/jobs/ordery/savepoints'],
    ] as const) {
      const method = path.endsWith('savepoints') ? 'POST' : 'GET'
      const forbidden = await fetch(`${s.url}${path}`, { method, headers: headers('reader-clicks') })
      const unknown = await fetch(`${s.url}${ghost}`, { method, headers: headers('root') })
      expect(forbidden.status).toBe(unknown.status)
      expect(forbidden.headers.get('content-type')).toBe(unknown.headers.get('content-type'))
      expect((await forbidden.text()).replace('orders', 'X')).toBe((await unknown.text()).replace('ordery', 'X'))
    }
  })

  it('the token is never accepted from the query string on HTTP routes', async () => {
    expect((await call(`${s.url}/v1/jobs?access_token=root`)).status).toBe(401)
  })

  it('401 comes before body parsing: an unauthenticated msgpack bomb is still 401', async () => {
    const res = await call(`${s.url}${S}/get`, {
      method: 'POST',
      headers: { 'content-type': 'application/msgpack' },
      body: encodeMsgpack({ keys: [] }) as BodyInit,
    })
    expect(res.status).toBe(401)
  })
})

describe('WebSocket auth', () => {
  it.each([
    ['no token', '', {}, 401],
    ['an invalid bearer token', '', { authorization: 'Bearer nope' }, 401],
    ['an invalid access_token', '?access_token=nope', {}, 401],
  ] as const)('upgrade with %s → %d before upgrading', async (_name, query, hdrs, status) => {
    await expect(TestWsClient.open(`${s.wsUrl}${query}`, { headers: hdrs })).rejects.toMatchObject({ status })
  })

  it('accepts Authorization: Bearer and access_token', async () => {
    const a = await TestWsClient.open(s.wsUrl, { headers: { authorization: 'Bearer root' } })
    const b = await TestWsClient.open(`${s.wsUrl}?access_token=root`)
    a.close()
    b.close()
  })

  it('get needs read, subscribe needs subscribe; other jobs are unknown', async () => {
    const reader = await TestWsClient.open(s.wsUrl, { headers: headers('reader-clicks') })
    const subscriber = await TestWsClient.open(`${s.wsUrl}?access_token=sub-clicks`)
    const get = { op: 'get', job: 'clicks', state: 'page-views', key: '/home' }
    const sub = { op: 'subscribe', job: 'clicks', state: 'page-views', keys: ['/home'] }
    expect((await reader.request({ id: 1, ...get })).frame).toMatchObject({ ok: true, value: 42 })
    expect((await reader.request({ id: 2, ...sub })).frame).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    expect(
      (await reader.request({ id: 3, op: 'getMany', job: 'clicks', state: 'page-views', keys: ['/home'] })).frame.ok,
    ).toBe(true)
    expect((await subscriber.request({ id: 1, ...sub })).frame).toMatchObject({ ok: true, sub: 's1' })
    expect((await subscriber.request({ id: 2, ...get })).frame).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    })
    const other = await reader.request({ id: 4, op: 'get', job: 'orders', state: 'totals', key: 'eu' })
    const ghost = await reader.request({ id: 5, op: 'get', job: 'ordery', state: 'totals', key: 'eu' })
    expect(other.frame.error).toEqual({
      ...(ghost.frame.error as object),
      message: (ghost.frame.error as { message: string }).message.replace('ordery', 'orders'),
    })
    reader.close()
    subscriber.close()
  })
})

// Last: a canceled job stops serving its state, which the tests above read.
describe('HTTP auth: cancel', () => {
  it('cancel needs admin on the job', async () => {
    const cancel = (who: Who, job: string) =>
      call(`${s.url}/v1/jobs/${job}/cancel`, { method: 'POST', headers: headers(who) })
    expect((await cancel('reader-clicks', 'clicks')).status).toBe(403)
    expect((await cancel('admin-clicks', 'orders')).status).toBe(404)
    expect((await cancel('admin-clicks', 'clicks')).status).toBe(200)
  })
})

describe('WebSocket origins', () => {
  let t: TestServer
  beforeAll(async () => {
    t = await startTestServer({ wsOrigins: ['https://app.example'] })
  })
  afterAll(() => t.close())

  it('a disallowed Origin gets 403 before the upgrade; allowlisted, same-origin and no Origin connect', async () => {
    await expect(TestWsClient.open(t.wsUrl, { origin: 'https://evil.example' })).rejects.toMatchObject({ status: 403 })
    for (const origin of ['https://app.example', t.url, undefined]) {
      const c = await TestWsClient.open(t.wsUrl, origin === undefined ? {} : { origin })
      c.close()
    }
  })
})
