import { describe, expect, it } from 'vitest'
import type { ChangeEvent, QueryGateway, SubscriptionSelector } from '../../query/query-gateway.ts'
import type { Payload } from './outbound-queue.ts'
import { WsSender, type WsSocket } from './ws-sender.ts'
import { type ChangeFrame, WsSubscriptions } from './ws-subscriptions.ts'

function setup(options: { max?: number; snapshot?: ChangeEvent[]; throwOnSubscribe?: Error } = {}) {
  const sent: unknown[] = []
  const socket: WsSocket = {
    bufferedAmount: 0,
    readyState: 1,
    send: (data: Payload) => sent.push(JSON.parse(data as string)),
    close: () => {},
    terminate: () => {},
    pause: () => {},
    resume: () => {},
  }
  const listeners: ((e: ChangeEvent) => void)[] = []
  let closed = 0
  const gateway = {
    subscribe(_job: string, _state: string, _selector: SubscriptionSelector, listener: (e: ChangeEvent) => void) {
      if (options.throwOnSubscribe) throw options.throwOnSubscribe
      listeners.push(listener)
      for (const e of options.snapshot ?? []) listener(e) // synchronously, before subscribe returns
      return { close: () => closed++ }
    },
  } as unknown as QueryGateway
  const errors: unknown[] = []
  let count = 0
  const sender = new WsSender<ChangeFrame>(socket, {
    capBytes: 1 << 20,
    graceMs: 1000,
    closeTimeoutMs: 1000,
    onSlowClose() {},
    onConflated() {},
  })
  const subs = new WsSubscriptions({
    gateway,
    sender,
    maxSubscriptions: options.max ?? 10,
    onCountChange: (d) => {
      count += d
    },
    onListenerError: (e) => errors.push(e),
  })
  const ack = (id: number) => (sub: string) => sender.sendFrame(JSON.stringify({ id, ok: true, sub }))
  return { sent, listeners, subs, ack, errors, closed: () => closed, count: () => count }
}

describe('WsSubscriptions', () => {
  it('sends the answer before snapshot frames the gateway delivered during subscribe()', () => {
    const t = setup({ snapshot: [{ type: 'snapshot', key: 'a', value: 1, epoch: 1, seq: 5 }] })
    t.subs.open('j', 's', { keys: ['a'] }, 'json', t.ack(1))
    expect(t.sent).toEqual([
      { id: 1, ok: true, sub: 's1' },
      { sub: 's1', type: 'snapshot', key: 'a', value: 1, epoch: 1, seq: 5 },
    ])
  })

  it('turns updates, deletes and status events into subscription frames', () => {
    const t = setup()
    t.subs.open('j', 's', { all: true }, 'json', t.ack(1))
    const emit = t.listeners[0]!
    emit({ type: 'update', key: 'a', value: 2, epoch: 1, seq: 6 })
    emit({ type: 'status', state: 'restoring' })
    emit({ type: 'delete', key: 'a', epoch: 2, seq: 1 })
    expect(t.sent.slice(1)).toEqual([
      { sub: 's1', type: 'update', key: 'a', value: 2, epoch: 1, seq: 6 },
      { sub: 's1', type: 'status', state: 'restoring' },
      { sub: 's1', type: 'delete', key: 'a', epoch: 2, seq: 1 },
    ])
  })

  it('stops delivering after close and releases the gateway subscription once', () => {
    const t = setup()
    t.subs.open('j', 's', { all: true }, 'json', t.ack(1))
    expect(t.count()).toBe(1)
    expect(t.subs.close('s1')).toBe(true)
    expect(t.subs.close('s1')).toBe(false)
    t.listeners[0]!({ type: 'update', key: 'a', value: 2, epoch: 1, seq: 6 })
    expect(t.sent).toHaveLength(1)
    expect(t.closed()).toBe(1)
    expect(t.count()).toBe(0)
  })

  it('enforces the per-connection limit and leaves nothing open when the gateway refuses', () => {
    const t = setup({ max: 1 })
    t.subs.open('j', 's', { all: true }, 'json', t.ack(1))
    expect(() => t.subs.open('j', 's', { all: true }, 'json', t.ack(2))).toThrow(
      expect.objectContaining({ code: 'BAD_REQUEST' }),
    )
    const refused = setup({ throwOnSubscribe: new Error('UNKNOWN_STATE') })
    expect(() => refused.subs.open('j', 's', { all: true }, 'json', refused.ack(1))).toThrow('UNKNOWN_STATE')
    expect(refused.subs.size).toBe(0)
    expect(refused.sent).toEqual([])
  })

  it('a value that cannot be encoded is reported, never thrown into the gateway', () => {
    const t = setup()
    t.subs.open('j', 's', { all: true }, 'json', t.ack(1))
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    expect(() => t.listeners[0]!({ type: 'update', key: 'a', value: cyclic, epoch: 1, seq: 1 })).not.toThrow()
    expect(t.errors).toHaveLength(1)
  })
})
