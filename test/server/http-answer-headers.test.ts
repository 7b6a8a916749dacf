// The headers every answer carries (X-Request-Id, nosniff, no-referrer) and the point get's body over a
// real socket: respond() writes them into a plain header record, every other answer gets them after
// its handler, and CORS headers still join them. Plus the point get's hand-checked query and metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeIssue } from '../../src/server/errors.ts'
import { ReadQuery } from '../../src/server/schemas.ts'
import { call, rawRequest } from './support/http.ts'
import { type TestServer, startTestServer } from './support/start-server.ts'

const ORIGIN = 'https://app.example'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

function expectApiHeaders(headers: Headers): void {
  expect(headers.get('x-request-id')).toMatch(UUID)
  expect(headers.get('x-content-type-options')).toBe('nosniff')
  expect(headers.get('referrer-policy')).toBe('no-referrer')
}

describe('answer headers and the point get', () => {
  let s: TestServer
  let key: string
  beforeAll(async () => {
    s = await startTestServer({ corsOrigins: [ORIGIN] })
    key = `${s.url}/v1/jobs/clicks/states/page-views/keys/${encodeURIComponent('/home')}`
  })
  afterAll(() => s.close())

  it('every kind of answer carries the request id, nosniff and no-referrer', async () => {
    for (const path of [
      '/v1/jobs/clicks/states/page-views/keys/%2Fhome',
      '/v1/jobs/clicks/states/page-views/keys/nope',
      '/v1/jobs/clicks/states/page-views/keys/x?consistency=eventual',
      '/v1/jobs/nope/states/page-views/keys/x',
      '/v1/health',
      '/v1/jobs',
      '/metrics',
      '/',
      '/v1/openapi.json',
      '/v1/nothing-here',
    ]) {
      const res = await call(s.url + path)
      expectApiHeaders(res.headers)
    }
    const home = await call(`${s.url}/`)
    expect(home.headers.get('x-frame-options')).toBe('SAMEORIGIN')
  })

  it('a point get answers JSON with content type, Vary and a body in key, value, meta order', async () => {
    const res = await fetch(key)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(res.headers.get('vary')).toBe('Accept, Origin')
    const text = await res.text()
    const body = JSON.parse(text)
    expect(Object.keys(body)).toEqual(['key', 'value', 'meta'])
    expect(Object.keys(body.meta)).toEqual(['keyGroup', 'subtask', 'epoch', 'checkpointId', 'consistency'])
    expect(JSON.stringify(body)).toBe(text)
    const miss = await call(`${s.url}/v1/jobs/clicks/states/page-views/keys/nope`)
    expect(miss.headers.get('cache-control')).toBe('no-store')
  })

  it('keeps a plain X-Request-Id the client sent and replaces any other', async () => {
    const kept = await fetch(key, { headers: { 'x-request-id': 'trace-42=' } })
    expect(kept.headers.get('x-request-id')).toBe('trace-42=')
    const replaced = await fetch(key, { headers: { 'x-request-id': 'no spaces' } })
    expect(replaced.headers.get('x-request-id')).toMatch(UUID)
  })

  it('CORS answers carry the CORS headers and the API headers, preflights included', async () => {
    const get = await fetch(key, { headers: { origin: ORIGIN } })
    expect(get.status).toBe(200)
    expect(get.headers.get('access-control-allow-origin')).toBe(ORIGIN)
    expect(get.headers.get('access-control-expose-headers')).toBe('Retry-After,X-Request-Id')
    expect(get.headers.get('vary')).toContain('Origin')
    expectApiHeaders(get.headers)
    const preflight = await fetch(key, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'GET' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ORIGIN)
    expectApiHeaders(preflight.headers)
  })

  it('a bad read option is 400 BAD_REQUEST with the ReadQuery schema message', async () => {
    for (const [query, parsed] of [
      ['consistency=eventual', { consistency: 'eventual' }],
      ['minCheckpoint=01', { minCheckpoint: '01' }],
      ['timeout=1&timeout=2', { timeout: ['1', '2'] }],
      ['window=newest', { window: 'newest' }],
    ] as const) {
      const res = await call(`${key}?${query}`)
      const zod = ReadQuery.safeParse(parsed)
      expect(zod.success).toBe(false)
      expect(res).toMatchObject({
        status: 400,
        body: { error: { code: 'BAD_REQUEST', message: `query: ${describeIssue(zod.error!)}`, retryable: false } },
      })
    }
  })

  it('the cross-site guard and the body limit, registered for methods other than GET/HEAD, cover them all', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'PROPFIND']) {
      const foreign = await call(`${s.url}/v1/jobs/clicks/cancel`, {
        method,
        headers: { origin: 'https://evil.example' },
      })
      expect(foreign).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } })
    }
    for (const method of ['PUT', 'DELETE', 'OPTIONS']) {
      const big = await rawRequest(`${s.url}/v1/jobs/clicks/states/page-views/get`, {
        method,
        headers: { 'content-type': 'application/json', 'content-length': String(2 << 20) },
      })
      expect(big.status).toBe(413)
    }
    const read = await call(key, { headers: { origin: 'https://evil.example' } })
    expect(read.status).toBe(200)
    expect(read.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('checks the query before the state and the key, as the zod validators did', async () => {
    const res = await call(`${s.url}/v1/jobs/clicks/states/no-such-state/keys/x?consistency=eventual`)
    expect(res).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } })
    expect(res.body.error.message).toMatch(/^query: consistency: /)
    const tooLong = await call(`${s.url}/v1/jobs/clicks/states/no-such-state/keys/x?timeout=99999999`)
    expect(tooLong.body.error).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^timeout /) })
    const unknown = await call(`${s.url}/v1/jobs/clicks/states/no-such-state/keys/x`)
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'UNKNOWN_STATE' } } })
  })

  it('counts point gets in livestate_http_requests_total and the latency histogram', async () => {
    const line =
      /livestate_http_requests_total\{method="GET",route="\/v1\/jobs\/:job\/states\/:state\/keys\/:key",status="200"\} (\d+)/
    const count = async () => Number(line.exec((await call(`${s.url}/metrics`)).body)?.[1] ?? 0)
    const before = await count()
    for (let i = 0; i < 5; i++) expect((await fetch(key)).status).toBe(200)
    expect(await count()).toBe(before + 5)
    const text = (await call(`${s.url}/metrics`)).body as string
    expect(text).toMatch(
      /livestate_http_request_duration_seconds_count\{method="GET",route="\/v1\/jobs\/:job\/states\/:state\/keys\/:key"\} [1-9]/,
    )
  })
})
