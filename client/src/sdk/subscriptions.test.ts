// Live subscriptions over a real local server speaking the WS contract: snapshot + changes, gap-free
// resume after a dropped socket, (epoch, seq) dedup, watch iterators, errors.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { WebSocket } from 'ws'
import { type ContractServer, startContractServer } from '../../test/contract-server.ts'
import { waitFor } from '../../test/wait-for.ts'
import type { Key } from '../protocol/keys.ts'
import type { ChangeMeta, ClientOptions, LivestateClient } from './client-types.ts'
import { createClient } from './create-client.ts'
import type { WebSocketLike } from './websocket-impl.ts'

/** `ws` as a browser's WebSocket behaves: an error event never says why an upgrade was refused. */
class StatuslessWebSocket implements WebSocketLike {
  private readonly socket: WebSocket
  onopen: WebSocketLike['onopen'] = null
  onclose: WebSocketLike['onclose'] = null
  onerror: WebSocketLike['onerror'] = null
  onmessage: WebSocketLike['onmessage'] = null
  constructor(url: string) {
    this.socket = new WebSocket(url)
    this.socket.onopen = (e) => this.onopen?.(e)
    this.socket.onclose = (e) => this.onclose?.(e)
    this.socket.onerror = () => this.onerror?.({ type: 'error' })
    this.socket.onmessage = (e) => this.onmessage?.(e)
  }
  get readyState() {
    return this.socket.readyState
  }
  get binaryType() {
    return this.socket.binaryType
  }
  set binaryType(type: string) {
    this.socket.binaryType = type as WebSocket['binaryType']
  }
  send(data: string | ArrayBuffer | Uint8Array) {
    this.socket.send(data)
  }
  close(code?: number, reason?: string) {
    this.socket.close(code, reason)
  }
}

let server: ContractServer
const clients: LivestateClient[] = []
const errors: unknown[] = []
const open = (options: Partial<ClientOptions> = {}) => {
  const c = createClient({
    url: server.url,
    job: 'clicks',
    requestTimeoutMs: 3000,
    reconnect: { baseDelayMs: 20, maxDelayMs: 100 },
    onError: (e) => errors.push(e),
    ...options,
  })
  clients.push(c)
  return c
}

type Seen = { value: unknown; key: Key; meta: ChangeMeta }
function recorder() {
  const seen: Seen[] = []
  const callback = (value: unknown, key: Key, meta: ChangeMeta) => seen.push({ value, key, meta })
  return { seen, callback, values: () => seen.map((s) => [s.key, s.value]) }
}

let n = 0
const freshState = (kind: 'value' | 'map' = 'value', keyType: 'string' | 'bigint' = 'string') => {
  const name = `s${++n}`
  server.defineState('clicks', name, kind, keyType)
  return name
}

beforeAll(async () => {
  server = await startContractServer()
})
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
  server.tokens = undefined
  errors.length = 0
})
afterAll(() => server.close())

describe.each(['json', 'msgpack'] as const)('subscribe (%s)', (encoding) => {
  test('delivers the current value first, then updates and deletes, with (epoch, seq)', async () => {
    const state = freshState()
    server.set('clicks', state, '/home', 1)
    const r = recorder()
    const sub = open({ encoding }).job('clicks').state<string, number>(state).subscribe(['/home', '/other'], r.callback)
    await sub.ready
    await waitFor(() => r.seen.length === 1)
    server.set('clicks', state, '/home', 2)
    server.set('clicks', state, '/other', 5)
    server.set('clicks', state, '/home', undefined)
    server.set('clicks', state, '/ignored', 9)
    await waitFor(() => r.seen.length === 4)
    expect(r.seen).toEqual([
      { key: '/home', value: 1, meta: { type: 'snapshot', epoch: 1, seq: 1 } },
      { key: '/home', value: 2, meta: { type: 'update', epoch: 1, seq: 2 } },
      { key: '/other', value: 5, meta: { type: 'update', epoch: 1, seq: 1 } },
      { key: '/home', value: undefined, meta: { type: 'delete', epoch: 1, seq: 3 } },
    ])
    sub.close()
    expect(sub.closed).toBe(true)
    await waitFor(() => server.subIds().length === 0, 2000, 'unsubscribe')
  })

  test('prefix and all selectors', async () => {
    const state = freshState()
    server.set('clicks', state, '/blog/a', 1)
    server.set('clicks', state, '/home', 2)
    const views = open({ encoding }).job('clicks').state<string, number>(state)
    const blog = recorder()
    const all = recorder()
    await Promise.all([
      views.subscribe({ prefix: '/blog/' }, blog.callback).ready,
      views.subscribe({ all: true }, all.callback).ready,
    ])
    server.set('clicks', state, '/blog/b', 3)
    await waitFor(() => blog.seen.length === 2 && all.seen.length === 3)
    expect(blog.values()).toEqual([
      ['/blog/a', 1],
      ['/blog/b', 3],
    ])
    expect(all.values()).toEqual([
      ['/blog/a', 1],
      ['/home', 2],
      ['/blog/b', 3],
    ])
  })
})

describe('resume after a dropped connection', () => {
  test('resubscribes and delivers the latest values with no duplicates and no regressions', async () => {
    const state = freshState()
    server.set('clicks', state, 'a', 'a0')
    server.set('clicks', state, 'b', 'b0')
    const r = recorder()
    const c = open()
    const sub = c.job('clicks').state<string, string>(state).subscribe(['a', 'b'], r.callback)
    await sub.ready
    server.set('clicks', state, 'a', 'a1')
    await waitFor(() => r.seen.length === 3)
    const subscribesBefore = server.wsFrames.filter((f) => f.op === 'subscribe').length
    server.dropSockets({ refuseMs: 150 })
    server.set('clicks', state, 'a', 'a2') // written while the client is away: nobody to push to
    await waitFor(() => r.seen.length === 4, 5000, 'the missed value after reconnect')
    expect(server.wsFrames.filter((f) => f.op === 'subscribe').length).toBe(subscribesBefore + 1)
    server.set('clicks', state, 'b', 'b1')
    await waitFor(() => r.seen.length === 5)
    // b0's snapshot came again after the reconnect (same epoch and seq) and was dropped.
    expect(r.values()).toEqual([
      ['a', 'a0'],
      ['b', 'b0'],
      ['a', 'a1'],
      ['a', 'a2'],
      ['b', 'b1'],
    ])
    expect(r.seen[3]?.meta).toEqual({ type: 'snapshot', epoch: 1, seq: 3 })
  })

  test('drops frames not strictly newer than the last delivered, accepts a new epoch', async () => {
    const state = freshState()
    server.set('clicks', state, 'k', 1)
    server.set('clicks', state, 'k', 2)
    const r = recorder()
    const statuses: string[] = []
    const sub = open()
      .job('clicks')
      .state<string, number>(state)
      .subscribe(['k'], r.callback, { onStatus: (s) => statuses.push(s) })
    await sub.ready
    await waitFor(() => r.seen.length === 1)
    const [sid] = server.subIds().slice(-1)
    if (sid === undefined) throw new Error('no sub')
    server.broadcast({ sub: sid, type: 'update', key: 'k', value: -1, epoch: 1, seq: 1 }) // older
    server.broadcast({ sub: sid, type: 'update', key: 'k', value: -2, epoch: 1, seq: 2 }) // duplicate
    server.broadcast({ sub: 'not-ours', type: 'update', key: 'k', value: -3, epoch: 9, seq: 9 }) // unknown sub
    server.broadcast({ sub: sid, type: 'status', state: 'restoring' })
    server.restart() // epoch 2 snapshot, seq back to 1: a legitimate regression across epochs
    server.broadcast({ sub: sid, type: 'status', state: 'live' })
    await waitFor(() => statuses.length === 2)
    expect(r.seen.map((s) => [s.value, s.meta])).toEqual([
      [2, { type: 'snapshot', epoch: 1, seq: 2 }],
      [2, { type: 'snapshot', epoch: 2, seq: 1 }],
    ])
    expect(statuses).toEqual(['restoring', 'live'])
  })

  test('after the last subscription closes, a drop does not reconnect', async () => {
    const state = freshState()
    const c = open()
    const sub = c
      .job('clicks')
      .state(state)
      .subscribe({ all: true }, () => {})
    await sub.ready
    sub.close()
    server.dropSockets()
    await new Promise((r) => setTimeout(r, 300))
    expect(server.socketCount()).toBe(0)
  })
})

describe('watch', () => {
  test('yields events as an async iterator; break closes the subscription', async () => {
    const state = freshState()
    server.set('clicks', state, 'k', 1)
    const views = open({ encoding: 'msgpack' }).job('clicks').state<string, number>(state)
    const got: unknown[] = []
    setTimeout(() => server.set('clicks', state, 'k', 2), 50)
    for await (const event of views.watch(['k'])) {
      got.push([event.type, event.key, event.value])
      if (got.length === 2) break
    }
    expect(got).toEqual([
      ['snapshot', 'k', 1],
      ['update', 'k', 2],
    ])
    await waitFor(() => server.subIds().length === 0, 2000, 'unsubscribe after break')
  })

  test('ends when the client closes', async () => {
    const state = freshState()
    const c = open()
    const it = c.job('clicks').state(state).watch({ all: true })
    const next = it.next()
    await waitFor(() => server.subIds().length === 1)
    await c.close()
    await expect(next).resolves.toEqual({ done: true, value: undefined })
  })

  test('throws the error that ended the subscription', async () => {
    const it = open().job('clicks').state('no-such-state').watch({ all: true })
    await expect(it.next()).rejects.toMatchObject({ code: 'UNKNOWN_STATE' })
  })
})

describe('subscription errors', () => {
  test('a non-retryable subscribe error ends the subscription through onError and ready', async () => {
    const failures: unknown[] = []
    const sub = open()
      .job('clicks')
      .state('no-such-state')
      .subscribe(['k'], () => {}, { onError: (e) => failures.push(e) })
    await expect(sub.ready).rejects.toMatchObject({ code: 'UNKNOWN_STATE' })
    expect(failures).toMatchObject([{ code: 'UNKNOWN_STATE' }])
    expect(sub.closed).toBe(true)
  })

  test('a retryable subscribe error is retried', async () => {
    const state = freshState()
    server.failNext(2, { code: 'STATE_NOT_READY', match: /^subscribe$/ })
    const sub = open()
      .job('clicks')
      .state(state)
      .subscribe({ all: true }, () => {})
    await sub.ready
    expect(sub.closed).toBe(false)
  })

  test('a refused upgrade (401) ends subscriptions with UNAUTHORIZED; the token goes in access_token', async () => {
    const state = freshState()
    server.tokens = new Set(['secret'])
    const failures: unknown[] = []
    const sub = open()
      .job('clicks')
      .state(state)
      .subscribe({ all: true }, () => {}, { onError: (e) => failures.push(e) })
    await expect(sub.ready).rejects.toMatchObject({ code: 'UNAUTHORIZED' })
    expect(failures).toMatchObject([{ code: 'UNAUTHORIZED' }])
    const ok = open({ token: 'secret' })
      .job('clicks')
      .state(state)
      .subscribe({ all: true }, () => {})
    await ok.ready
  })

  test('without a valid token a browser-like socket (refusals without a status) still ends with UNAUTHORIZED', async () => {
    const state = freshState()
    server.tokens = new Set(['secret'])
    const failures: unknown[] = []
    const sub = open({ WebSocket: StatuslessWebSocket })
      .job('clicks')
      .state(state)
      .subscribe({ all: true }, () => {}, { onError: (e) => failures.push(e) })
    // The state's description (HTTP) answers 401: the subscription ends instead of retrying forever.
    await expect(sub.ready).rejects.toMatchObject({ code: 'UNAUTHORIZED' })
    expect(failures).toMatchObject([{ code: 'UNAUTHORIZED' }])
    expect(sub.closed).toBe(true)
  })

  test('subscribing on a closed client fails instead of hanging', async () => {
    const state = freshState()
    const c = open()
    await c.close()
    const sub = c
      .job('clicks')
      .state(state)
      .subscribe({ all: true }, () => {})
    await expect(sub.ready).rejects.toMatchObject({ message: expect.stringMatching(/closed/) })
    expect(sub.closed).toBe(true)
  })

  test('a callback that throws is reported and the subscription goes on', async () => {
    const state = freshState()
    const seen: number[] = []
    const sub = open()
      .job('clicks')
      .state<string, number>(state)
      .subscribe(['k'], (v) => {
        seen.push(v ?? -1)
        if (v === 1) throw new Error('boom')
      })
    await sub.ready
    server.set('clicks', state, 'k', 1)
    server.set('clicks', state, 'k', 2)
    await waitFor(() => seen.length === 2)
    expect(errors).toMatchObject([{ message: 'boom' }])
  })
})

describe('keys', () => {
  test('bigint keys come back as the caller passed them, in JSON too', async () => {
    const state = freshState('value', 'bigint')
    server.set('clicks', state, 12345678901234567890n, 'x')
    const r = recorder()
    await open().job('clicks').state<bigint, string>(state).subscribe([12345678901234567890n], r.callback).ready
    const all = recorder()
    await open().job('clicks').state<bigint, string>(state).subscribe({ all: true }, all.callback).ready
    await waitFor(() => r.seen.length === 1 && all.seen.length === 1)
    expect(r.seen[0]?.key).toBe(12345678901234567890n)
    expect(all.seen[0]?.key).toBe(12345678901234567890n)
  })

  test('map values arrive as Maps', async () => {
    const state = freshState('map')
    server.set('clicks', state, 'ann', [['dark', true]])
    const r = recorder()
    await open({ encoding: 'msgpack' }).job('clicks').state(state).subscribe(['ann'], r.callback).ready
    await waitFor(() => r.seen.length === 1)
    expect(r.seen[0]?.value).toEqual(new Map([['dark', true]]))
  })
})
