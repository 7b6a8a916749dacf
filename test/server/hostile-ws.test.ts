// Hostile-input corpus, WebSocket: malformed and malicious frames get an error frame (or the
// documented close code: 1009 frame too big, 1007 invalid UTF-8), the connection and the server live on.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { call } from './support/http.ts'
import { type TestServer, startTestServer } from './support/start-server.ts'
import { TestWsClient } from './support/ws-client.ts'

let s: TestServer
beforeAll(async () => {
  s = await startTestServer({ limits: { wsSubscriptions: 3 } })
})
afterEach(async () => {
  expect((await call(`${s.url}/v1/health`)).status).toBe(200)
})
afterAll(() => s.close())

const b = (...bytes: number[]) => new Uint8Array(bytes)

describe('WebSocket hostile corpus', () => {
  let ws: TestWsClient
  beforeAll(async () => {
    ws = await TestWsClient.open(s.wsUrl)
  })
  afterAll(() => ws.close())

  const seen = new Set<unknown>()
  /** The next error frame without id not returned before. */
  const lastError = async () => {
    const r = await ws.waitFor((x) => x.frame.ok === false && !('id' in x.frame) && !seen.has(x), 3000)
    seen.add(r)
    return r
  }

  it.each([
    ['bad JSON text', 'not json'],
    ['a JSON array', '[1,2]'],
    ['a JSON string', '"get"'],
    ['a non-numeric id', '{"id":"1","op":"get","job":"clicks","state":"page-views","key":"a"}'],
    ['a negative id', '{"id":-1,"op":"get"}'],
    ['deep JSON', `{"id":1,"x":${'['.repeat(1000)}${']'.repeat(1000)}}`],
  ])('text frame with %s → error frame without id', async (_name, text) => {
    ws.ws.send(text)
    const r = await lastError()
    expect(r.binary).toBe(false)
    expect(r.frame.error).toMatchObject({ code: 'BAD_REQUEST' })
  })

  it.each([
    ['truncated msgpack', b(0x82, 0xa2, 0x69, 0x64)],
    ['0xc1', b(0xc1)],
    ['array32 of 4 billion', b(0xdd, 0xff, 0xff, 0xff, 0xff)],
    ['map16 longer than the frame', b(0xde, 0xff, 0xff, 0x01)],
    ['nesting 5000 deep', new Uint8Array(5000).fill(0x91)],
  ])('binary frame with %s → binary error frame without id', async (_name, bytes) => {
    ws.ws.send(bytes, { binary: true })
    const r = await lastError()
    expect(r.binary).toBe(true)
    expect(r.frame.error).toMatchObject({ code: 'BAD_REQUEST' })
  })

  it.each([
    ['an unknown op', { id: 101, op: 'drop' }, 'BAD_REQUEST'],
    ['get without a key', { id: 102, op: 'get', job: 'clicks', state: 'page-views' }, 'BAD_REQUEST'],
    ['a path-traversal job', { id: 103, op: 'get', job: '../../etc', state: 'passwd', key: 'x' }, 'UNKNOWN_JOB'],
    ['a path-traversal state', { id: 104, op: 'get', job: 'clicks', state: '../x', key: 'x' }, 'UNKNOWN_STATE'],
    [
      '1001 keys',
      { id: 105, op: 'getMany', job: 'clicks', state: 'page-views', keys: Array.from({ length: 1001 }, (_, i) => i) },
      'BAD_REQUEST',
    ],
    [
      'subscribe with keys and prefix',
      { id: 106, op: 'subscribe', job: 'clicks', state: 'page-views', keys: ['a'], prefix: 'a' },
      'BAD_REQUEST',
    ],
    ['unsubscribe of an unknown sub', { id: 107, op: 'unsubscribe', sub: 's999' }, 'BAD_REQUEST'],
    ['an object key', { id: 108, op: 'get', job: 'clicks', state: 'page-views', key: { a: 1 } }, 'BAD_REQUEST'],
    [
      'a timeout above the maximum',
      { id: 109, op: 'get', job: 'clicks', state: 'page-views', key: 'a', timeout: 1e9 },
      'BAD_REQUEST',
    ],
  ])('%s → error frame with its id', async (_name, frame, code) => {
    const r = await ws.request(frame)
    expect(r.frame).toEqual({ id: frame.id, ok: false, error: { code, message: expect.any(String), retryable: false } })
  })

  it('__proto__ in a frame is ignored', async () => {
    ws.ws.send('{"id":110,"op":"get","job":"clicks","state":"page-views","key":"/home","__proto__":{"polluted":1}}')
    const r = await ws.waitFor((x) => x.frame.id === 110)
    expect(r.frame).toMatchObject({ ok: true, value: 42 })
  })

  it('more subscriptions than the limit → error frame', async () => {
    for (let i = 0; i < 3; i++) {
      expect(
        (await ws.request({ id: 200 + i, op: 'subscribe', job: 'clicks', state: 'page-views', keys: [`k${i}`] })).frame
          .ok,
      ).toBe(true)
    }
    const r = await ws.request({ id: 203, op: 'subscribe', job: 'clicks', state: 'page-views', keys: ['k3'] })
    expect(r.frame).toMatchObject({
      ok: false,
      error: { code: 'BAD_REQUEST', message: expect.stringContaining('at most 3') },
    })
  })

  it('the connection still answers after all of the above', async () => {
    expect(
      (await ws.request({ id: 300, op: 'get', job: 'clicks', state: 'page-views', key: '/home' })).frame,
    ).toMatchObject({ ok: true, value: 42 })
  })

  it('a frame over 64 KiB closes that connection with 1009; other connections continue', async () => {
    const victim = await TestWsClient.open(s.wsUrl)
    victim.ws.send(Buffer.alloc(65 * 1024, 0x61), { binary: true })
    expect((await victim.closed).code).toBe(1009)
    expect((await ws.request({ id: 301, op: 'get', job: 'clicks', state: 'page-views', key: '/home' })).frame.ok).toBe(
      true,
    )
  })

  it('a text frame of invalid UTF-8 closes that connection with 1007', async () => {
    const victim = await TestWsClient.open(s.wsUrl)
    victim.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false })
    expect((await victim.closed).code).toBe(1007)
  })

  it('an upgrade to a garbage path or without the upgrade header is an ordinary 400', async () => {
    expect((await call(`${s.url}/v1/ws`)).body.error.code).toBe('BAD_REQUEST')
    await expect(TestWsClient.open(`${s.wsUrl.replace('/v1/ws', '/v1/wsx')}`)).rejects.toMatchObject({ status: 400 })
  })
})
