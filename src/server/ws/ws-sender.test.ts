import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { ChangeFrameLike, Payload } from './outbound-queue.ts'
import { FlushTimer, SLOW_CONSUMER_CODE, WsSender, type WsSocket } from './ws-sender.ts'

// A socket whose unflushed bytes the test controls: send() adds to bufferedAmount, flush() drains.
class FakeSocket implements WsSocket {
  bufferedAmount = 0
  readyState = 1
  sent: Payload[] = []
  callbacks: (() => void)[] = []
  paused = false
  closed: { code: number; reason: string } | undefined
  terminated = false
  send(data: Payload, cb?: () => void): void {
    this.sent.push(data)
    this.bufferedAmount += typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength
    if (cb) this.callbacks.push(cb)
  }
  flush(): void {
    this.bufferedAmount = 0
    const cbs = this.callbacks
    this.callbacks = []
    for (const cb of cbs) cb()
  }
  close(code: number, reason: string): void {
    this.closed = { code, reason }
    this.readyState = 2
  }
  terminate(): void {
    this.terminated = true
    this.readyState = 3
  }
  pause(): void {
    this.paused = true
  }
  resume(): void {
    this.paused = false
  }
}

type F = ChangeFrameLike & { key: string; value: string }
const frame = (key: string, seq: number, value = 'x'.repeat(40)): F => ({
  sub: 's1',
  type: 'update',
  key,
  value,
  epoch: 1,
  seq,
})
const encode = (f: F) => JSON.stringify(f)

describe('WsSender', () => {
  let socket: FakeSocket
  let sender: WsSender<F>
  let slowCloses: number
  let conflated: number

  beforeEach(() => {
    vi.useFakeTimers()
    socket = new FakeSocket()
    slowCloses = 0
    conflated = 0
    sender = new WsSender<F>(socket, {
      capBytes: 200,
      graceMs: 1000,
      closeTimeoutMs: 500,
      onSlowClose: () => slowCloses++,
      onConflated: () => conflated++,
      now: () => Date.now(),
    })
  })
  afterEach(() => {
    sender.dispose()
    vi.useRealTimers()
  })

  it('writes straight to the socket while under the cap', () => {
    sender.sendFrame('hello')
    sender.sendChange('a', frame('a', 1), encode)
    expect(socket.sent).toHaveLength(2)
    expect(socket.paused).toBe(false)
  })

  it('queues and conflates once the socket holds more than the cap, then delivers the latest values when it drains', () => {
    for (let seq = 1; seq <= 4; seq++) sender.sendChange('a', frame('a', seq), encode) // 3rd write crosses 200 bytes
    const direct = socket.sent.length
    for (let seq = 5; seq <= 50; seq++) {
      sender.sendChange('a', frame('a', seq), encode)
      sender.sendChange('b', frame('b', seq), encode)
    }
    expect(socket.sent.length).toBe(direct)
    expect(conflated).toBeGreaterThan(80)
    expect(socket.paused).toBe(true)
    socket.flush()
    const delivered = socket.sent.slice(direct).map((p) => JSON.parse(p as string) as F)
    expect(delivered.map((f) => [f.key, f.seq])).toEqual([
      ['a', 50],
      ['b', 50],
    ])
    socket.flush()
    expect(socket.paused).toBe(false)
  })

  it('never drops or reorders response frames while behind', () => {
    socket.bufferedAmount = 1000
    for (let i = 0; i < 5; i++) sender.sendFrame(`r${i}`)
    expect(socket.sent).toEqual([])
    socket.bufferedAmount = 0
    vi.advanceTimersByTime(200)
    expect(socket.sent).toEqual(['r0', 'r1', 'r2', 'r3', 'r4'])
  })

  it('closes with 4008 after staying behind longer than the grace period, then terminates', () => {
    socket.bufferedAmount = 1000
    sender.sendChange('a', frame('a', 1), encode)
    vi.advanceTimersByTime(900)
    expect(socket.closed).toBeUndefined()
    vi.advanceTimersByTime(300)
    expect(socket.closed).toEqual({ code: SLOW_CONSUMER_CODE, reason: 'consumer too slow' })
    expect(slowCloses).toBe(1)
    expect(socket.paused).toBe(false)
    expect(sender.isClosed).toBe(true)
    sender.sendFrame('late')
    expect(socket.sent).toEqual([])
    vi.advanceTimersByTime(600)
    expect(socket.terminated).toBe(true)
  })

  it('a consumer that catches up within the grace period is not closed', () => {
    socket.bufferedAmount = 1000
    sender.sendChange('a', frame('a', 1), encode)
    vi.advanceTimersByTime(800)
    socket.flush()
    vi.advanceTimersByTime(200)
    socket.bufferedAmount = 1000
    sender.sendChange('a', frame('a', 2), encode)
    vi.advanceTimersByTime(800)
    expect(socket.closed).toBeUndefined()
    expect(slowCloses).toBe(0)
  })

  it('dropSub removes queued changes of an unsubscribed subscription', () => {
    socket.bufferedAmount = 1000
    sender.sendChange('a', frame('a', 1), encode)
    expect(sender.queuedBytes).toBeGreaterThan(0)
    sender.dropSub('s1')
    expect(sender.queuedBytes).toBe(0)
  })
})

describe('WsSender write coalescing (changeFlush)', () => {
  afterEach(() => vi.useRealTimers())

  function corkingSender(capBytes = 1 << 20) {
    vi.useFakeTimers()
    const socket = new FakeSocket()
    const transport = { corked: 0, writes: 0, cork: () => transport.corked++, uncork: () => {} }
    // an uncork of the TCP socket writes everything held in one go
    transport.uncork = () => {
      if (transport.corked === 0) return
      transport.corked = 0
      transport.writes++
    }
    const changeFlush = new FlushTimer(15)
    const sender = new WsSender<F>(socket, {
      transport,
      changeFlush,
      capBytes,
      graceMs: 1000,
      closeTimeoutMs: 1000,
      onSlowClose: () => {},
      onConflated: () => {},
    })
    return { socket, transport, sender }
  }

  it('holds change frames until the shared flush timer, then writes them at once', async () => {
    const { socket, transport, sender } = corkingSender()
    for (let i = 0; i < 5; i++) sender.sendChange(`s1\u0000k${i}`, frame(`k${i}`, i + 1), encode)
    await vi.advanceTimersByTimeAsync(0) // the end of the turn: still held
    expect(socket.sent).toHaveLength(5)
    expect(transport.writes).toBe(0)
    await vi.advanceTimersByTimeAsync(15)
    expect(transport.writes).toBe(1)
  })

  it('an answer frame flushes what is held at the end of the turn', async () => {
    const { transport, sender } = corkingSender()
    sender.sendChange('s1\u0000k', frame('k', 1), encode)
    sender.sendFrame('{"id":1,"ok":true}')
    expect(transport.writes).toBe(0)
    await vi.advanceTimersByTimeAsync(0)
    expect(transport.writes).toBe(1)
    await vi.advanceTimersByTimeAsync(15) // the delayed flush finds nothing held
    expect(transport.writes).toBe(1)
  })

  it('held bytes past a quarter of the cap are written at once, so a fast reader never looks slow', async () => {
    const { socket, transport, sender } = corkingSender(4_000)
    for (let i = 0; i < 30; i++) sender.sendChange(`s1\u0000k${i}`, frame(`k${i}`, i + 1), encode)
    expect(transport.writes).toBeGreaterThan(0)
    expect(socket.sent).toHaveLength(30) // nothing was queued or conflated
  })
})
