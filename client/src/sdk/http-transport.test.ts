// Error mapping of HTTP answers: contract bodies keep their code and flag, Retry-After is kept,
// anything else maps by status; network failures and deadlines become LivestateErrors.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, test } from 'vitest'
import { encodeMsgpack } from '../protocol/codec.ts'
import { HttpTransport, errorFromResponse, parseRetryAfter } from './http-transport.ts'

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } })

describe('errorFromResponse', () => {
  test('a contract body keeps code, message, retryable and Retry-After', () => {
    const res = json(503, {}, { 'retry-after': '2' })
    const e = errorFromResponse(res, { error: { code: 'STATE_NOT_READY', message: 'restoring', retryable: true } })
    expect(e).toMatchObject({ code: 'STATE_NOT_READY', message: 'restoring', retryable: true, retryAfter: 2 })
  })

  test('an unknown code in a body becomes INTERNAL', () => {
    expect(errorFromResponse(json(500, {}), { error: { code: 'WAT', message: 'x' } })).toMatchObject({
      code: 'INTERNAL',
    })
  })

  test.each([
    [502, 'INTERNAL', true],
    [503, 'STATE_NOT_READY', true],
    [401, 'UNAUTHORIZED', false],
    [413, 'PAYLOAD_TOO_LARGE', false],
    [429, 'RATE_LIMITED', true],
    [418, 'BAD_REQUEST', false],
  ])('a body that is not a contract error maps HTTP %i to %s', (status, code, retryable) => {
    const e = errorFromResponse(new Response('<html>proxy error</html>', { status }), '<html>proxy error</html>')
    expect(e).toMatchObject({ code, retryable })
    expect(e.message).toContain(String(status))
  })
})

describe('parseRetryAfter', () => {
  test('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter(null)).toBeUndefined()
    expect(parseRetryAfter('3')).toBe(3)
    expect(parseRetryAfter('soon')).toBeUndefined()
    const inTwo = new Date(Date.now() + 2500).toUTCString()
    expect(parseRetryAfter(inTwo)).toBeGreaterThan(0.5)
  })
})

describe('HttpTransport', () => {
  test('uses the fetch option, asks for msgpack, sends the bearer token, decodes msgpack bodies', async () => {
    const calls: { url: string; init: RequestInit }[] = []
    const t = new HttpTransport({
      baseUrl: 'http://h:1/base/',
      token: 'tok',
      encoding: 'msgpack',
      fetch: async (url, init) => {
        calls.push({ url, init })
        return new Response(encodeMsgpack({ jobs: [] }) as Uint8Array<ArrayBuffer>, {
          headers: { 'content-type': 'application/msgpack' },
        })
      },
    })
    expect(
      await t.request({ method: 'GET', path: ['v1', 'jobs', 'a/b'], query: { x: 1, y: undefined }, timeoutMs: 1000 }),
    ).toEqual({ jobs: [] })
    expect(calls[0]?.url).toBe('http://h:1/base/v1/jobs/a%2Fb?x=1')
    expect(calls[0]?.init.headers).toMatchObject({ accept: 'application/msgpack', authorization: 'Bearer tok' })
  })

  test('a refused connection is a retryable LivestateError', async () => {
    const t = new HttpTransport({ baseUrl: 'http://127.0.0.1:1', token: undefined, encoding: 'json', fetch: undefined })
    await expect(t.request({ method: 'GET', path: ['v1', 'jobs'], timeoutMs: 2000 })).rejects.toMatchObject({
      code: 'INTERNAL',
      retryable: true,
    })
  })

  test('a server that never answers hits the deadline as TIMEOUT', async () => {
    const server = createServer(() => {})
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const port = (server.address() as AddressInfo).port
      const t = new HttpTransport({
        baseUrl: `http://127.0.0.1:${port}`,
        token: undefined,
        encoding: 'json',
        fetch: undefined,
      })
      await expect(t.request({ method: 'GET', path: ['v1', 'jobs'], timeoutMs: 100 })).rejects.toMatchObject({
        code: 'TIMEOUT',
      })
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })
})
