// The WebSocket protocol of DESIGN §5 over real sockets: get, getMany, subscribe/unsubscribe in text
// and binary frames, snapshot-then-changes ordering, and slow consumers: a paused reader is conflated
// (seq jumps, latest values), then closed with 4008 while a normal subscriber keeps every final value.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Registry } from 'prom-client'
import { click, eventually, resetPage, setKey } from './support/engine.ts'
import { type TestServer, startTestServer } from './support/start-server.ts'
import { type Frame, TestWsClient } from './support/ws-client.ts'

async function metric(registry: Registry, name: string): Promise<number> {
  const m = registry.getSingleMetric(name)
  if (!m) return 0
  return (await m.get()).values.reduce((sum, v) => sum + v.value, 0)
}

/** Change frames (snapshot/update/delete) of one subscription, in arrival order. */
const changes = (c: TestWsClient, sub: string) =>
  c.received.map((r) => r.frame).filter((f) => f.sub === sub && typeof f.type === 'string' && f.type !== 'status')
const isChangeOf = (sub: unknown) => (r: { frame: Frame }) => r.frame.sub === sub && typeof r.frame.type === 'string'

describe('WebSocket protocol', () => {
  let s: TestServer
  let c: TestWsClient
  beforeAll(async () => {
    s = await startTestServer()
    c = await TestWsClient.open(s.wsUrl)
  })
  afterAll(async () => {
    c.close()
    await s.close()
  })

  it('get answers in the frame kind received', async () => {
    const text = await c.request({ id: 1, op: 'get', job: 'clicks', state: 'page-views', key: '/home' })
    expect(text).toMatchObject({ binary: false, frame: { id: 1, ok: true, value: 42, meta: { epoch: 1 } } })
    const bin = await c.request({ id: 2, op: 'get', job: 'clicks', state: 'page-views', key: '/home' }, true)
    expect(bin).toMatchObject({ binary: true, frame: { id: 2, ok: true, value: 42 } })
    const missing = await c.request({ id: 3, op: 'get', job: 'clicks', state: 'page-views', key: 'nope' })
    expect(missing.frame).toMatchObject({ id: 3, ok: false, error: { code: 'KEY_NOT_FOUND' } })
  })

  it('getMany in request order; bigint keys as strings in text, int64 in binary', async () => {
    const text = await c.request({
      id: 4,
      op: 'getMany',
      job: 'clicks',
      state: 'page-views',
      keys: ['/blog/b', 'x', '/home'],
    })
    expect(text.frame.entries).toEqual([
      { key: '/blog/b', value: 9 },
      { key: 'x', error: expect.objectContaining({ code: 'KEY_NOT_FOUND' }) },
      { key: '/home', value: 42 },
    ])
    const big = await c.request({ id: 5, op: 'getMany', job: 'clicks', state: 'user-ids', keys: ['9007199254740993'] })
    expect(big.frame.entries).toEqual([{ key: '9007199254740993', value: { name: 'big' } }])
    const bin = await c.request(
      { id: 6, op: 'getMany', job: 'clicks', state: 'user-ids', keys: [9007199254740993n] },
      true,
    )
    expect(bin.frame.entries).toEqual([{ key: 9007199254740993n, value: { name: 'big' } }])
  })

  it('subscribe: the answer first, then snapshots, then updates and deletes; unsubscribe stops them', async () => {
    const ack = await c.request({ id: 7, op: 'subscribe', job: 'clicks', state: 'page-views', prefix: '/blog/' })
    const sub = ack.frame.sub as string
    expect(sub).toMatch(/^s\d+$/)
    const ackIndex = c.received.indexOf(ack)
    const snap = await c.waitFor((r) => isChangeOf(sub)(r) && r.frame.key === '/blog/a')
    expect(c.received.indexOf(snap)).toBeGreaterThan(ackIndex)
    expect(snap.frame).toMatchObject({ type: 'snapshot', value: 7, epoch: 1, seq: expect.any(Number) })
    // /blog/a 7 → 8, /home 42 → 43 (outside the prefix), /blog/b cleared
    await s.ingest('clicks', [click('/blog/a'), click('/home'), resetPage('/blog/b')])
    const del = await c.waitFor((r) => isChangeOf(sub)(r) && r.frame.type === 'delete')
    expect(del.frame).toEqual({ sub, type: 'delete', key: '/blog/b', epoch: 1, seq: expect.any(Number) })
    const frames = changes(c, sub)
    expect(frames.map((f) => [f.type, f.key])).toEqual([
      ['snapshot', '/blog/a'],
      ['snapshot', '/blog/b'],
      ['update', '/blog/a'],
      ['delete', '/blog/b'],
    ])
    expect((await c.request({ id: 8, op: 'unsubscribe', sub })).frame).toEqual({ id: 8, ok: true })
    await s.ingest('clicks', [click('/blog/a')])
    let id = 100
    await eventually(async () =>
      expect(
        (await c.request({ id: id++, op: 'get', job: 'clicks', state: 'page-views', key: '/blog/a' })).frame.value,
      ).toBe(9),
    )
    expect(changes(c, sub)).toHaveLength(4)
  })

  it('binary subscriptions get binary frames; keys and all selectors work', async () => {
    const byKey = await c.request({ id: 10, op: 'subscribe', job: 'clicks', state: 'by-number', keys: [5] }, true)
    const snap = await c.waitFor(isChangeOf(byKey.frame.sub))
    expect(snap).toMatchObject({ binary: true, frame: { type: 'snapshot', key: 5, value: 'five' } })
    const all = await c.request({ id: 11, op: 'subscribe', job: 'orders', state: 'totals', all: true })
    expect((await c.waitFor(isChangeOf(all.frame.sub))).frame).toMatchObject({ key: 'eu', value: 100 })
  })

  it('closing a connection releases its gateway subscriptions', async () => {
    const d = await TestWsClient.open(s.wsUrl)
    await d.request({ id: 1, op: 'subscribe', job: 'orders', state: 'totals', all: true })
    const before = s.subscriberCount('orders', 'totals')
    d.close()
    await d.closed
    await new Promise((r) => setTimeout(r, 50))
    expect(s.subscriberCount('orders', 'totals')).toBe(before - 1)
  })
})

describe('slow consumers', () => {
  const KEYS = Array.from({ length: 10 }, (_, i) => `k${i}`)
  const VALUE = 'v'.repeat(2048)
  let s: TestServer

  beforeAll(async () => {
    s = await startTestServer({ limits: { wsBufferBytes: 64 * 1024, wsSlowGraceMs: 2000, wsCloseTimeoutMs: 20_000 } })
  })
  afterAll(() => s.close())

  async function subscribeAll(c: TestWsClient, id: number): Promise<string> {
    return (await c.request({ id, op: 'subscribe', job: 'orders', state: 'totals', keys: KEYS })).frame.sub as string
  }

  let round = 0
  /** Ingests one update of every key per round until `until()` holds (checked every 10 rounds). */
  async function produce(until: () => Promise<boolean>, maxRounds = 20_000): Promise<void> {
    for (let i = 0; i < maxRounds; i++) {
      round++
      await s.ingest(
        'orders',
        KEYS.map((key) => setKey('totals', key, { round, pad: VALUE })),
      )
      if (i % 10 === 9 && (await until())) return
    }
    throw new Error('producer gave up')
  }

  function expectIncreasingSeq(frames: Frame[]): void {
    const last = new Map<string, number>()
    for (const f of frames) {
      const prev = last.get(f.key as string) ?? -1
      expect(f.seq as number).toBeGreaterThan(prev)
      last.set(f.key as string, f.seq as number)
    }
  }

  async function finalValues(c: TestWsClient, sub: string, expected: number): Promise<void> {
    for (const key of KEYS) {
      await c.waitFor(
        (r) => isChangeOf(sub)(r) && r.frame.key === key && (r.frame.value as { round: number }).round === expected,
        15_000,
      )
    }
  }

  it('a briefly paused reader gets conflated updates (seq jumps) and then every key’s latest value', async () => {
    const normal = await TestWsClient.open(s.wsUrl)
    const slow = await TestWsClient.open(s.wsUrl)
    const normalSub = await subscribeAll(normal, 1)
    const slowSub = await subscribeAll(slow, 1)
    const conflatedBefore = await metric(s.registry, 'livestate_ws_conflated_updates_total')
    const socket = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket
    socket.pause()
    await produce(async () => (await metric(s.registry, 'livestate_ws_conflated_updates_total')) > conflatedBefore + 50)
    socket.resume()
    const last = round
    await finalValues(slow, slowSub, last)
    await finalValues(normal, normalSub, last)
    const slowFrames = changes(slow, slowSub)
    expectIncreasingSeq(slowFrames)
    expectIncreasingSeq(changes(normal, normalSub))
    const k0 = slowFrames.filter((f) => f.key === 'k0').map((f) => f.seq as number)
    const jumps = k0.slice(1).filter((seq, i) => seq - k0[i]! > 1)
    expect(jumps.length).toBeGreaterThan(0)
    expect(slowFrames.length).toBeLessThan(changes(normal, normalSub).length)
    normal.close()
    slow.close()
  })

  it('a reader paused past the grace period is closed with 4008; a normal subscriber keeps every final value', async () => {
    const normal = await TestWsClient.open(s.wsUrl)
    const slow = await TestWsClient.open(s.wsUrl)
    const normalSub = await subscribeAll(normal, 1)
    await subscribeAll(slow, 1)
    const closesBefore = await metric(s.registry, 'livestate_ws_slow_consumer_closes_total')
    const socket = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket
    socket.pause()
    await produce(async () => (await metric(s.registry, 'livestate_ws_slow_consumer_closes_total')) > closesBefore)
    const last = round + 1
    await s.ingest(
      'orders',
      KEYS.map((key) => setKey('totals', key, { round: last, pad: 'final' })),
    )
    await finalValues(normal, normalSub, last)
    expectIncreasingSeq(changes(normal, normalSub))
    socket.resume()
    expect(await slow.closed).toEqual({ code: 4008, reason: 'consumer too slow' })
    expect(s.subscriberCount('orders', 'totals')).toBe(1) // the slow connection's subscription was released
    expect((await normal.request({ id: 2, op: 'get', job: 'orders', state: 'totals', key: 'k0' })).frame.ok).toBe(true)
    normal.close()
  })
})
