import { describe, expect, test } from 'vitest'
import { LivestateError } from '../protocol/livestate-error.ts'
import type { ResponseFrame } from '../protocol/messages.ts'
import { PendingRequest, RequestManager } from './request-manager.ts'

describe('RequestManager', () => {
  test('gives unique increasing ids and matches answers by id, in any order', async () => {
    const m = new RequestManager()
    const a = m.register(0)
    const b = m.register(0)
    expect(b.id).toBeGreaterThan(a.id)
    expect(m.nextId()).toBeGreaterThan(b.id)
    expect(m.resolve({ id: b.id, ok: true, sub: 'sb' })).toBe(true)
    expect(m.resolve({ id: a.id, ok: true, sub: 'sa' })).toBe(true)
    await expect(a.response).resolves.toMatchObject({ sub: 'sa' })
    await expect(b.response).resolves.toMatchObject({ sub: 'sb' })
    expect(m.size).toBe(0)
  })

  test('ignores an answer for an id nobody waits for', () => {
    const m = new RequestManager()
    expect(m.resolve({ id: 99, ok: true })).toBe(false)
  })

  test('runs onAnswer synchronously, before the promise settles', async () => {
    const m = new RequestManager()
    const seen: string[] = []
    const r = m.register(0, (f: ResponseFrame) => seen.push(`sync ${f.id}`))
    void r.response.then(() => seen.push('async'))
    m.resolve({ id: r.id, ok: true })
    expect(seen).toEqual([`sync ${r.id}`])
    await r.response
    expect(seen).toEqual([`sync ${r.id}`, 'async'])
  })

  test('times out with TIMEOUT and forgets the id', async () => {
    const m = new RequestManager()
    const r = m.register(20)
    await expect(r.response).rejects.toMatchObject({ code: 'TIMEOUT' })
    expect(m.resolve({ id: r.id, ok: true })).toBe(false)
  })

  test('one timer serves every deadline: each request times out on its own, the earliest first', async () => {
    const m = new RequestManager()
    const slow = m.register(120)
    const fast = m.register(20)
    const answered = m.register(40)
    const order: string[] = []
    void slow.response.catch(() => order.push('slow'))
    void fast.response.catch(() => order.push('fast'))
    m.resolve({ id: answered.id, ok: true })
    await expect(fast.response).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringMatching(/20 ms/) })
    expect(m.size).toBe(1)
    await expect(slow.response).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringMatching(/120 ms/) })
    expect(order).toEqual(['fast', 'slow'])
    await expect(answered.response).resolves.toMatchObject({ ok: true })
  })

  test('the deadline timer never keeps a process alive (unref), and re-arms only for earlier deadlines', () => {
    const m = new RequestManager()
    const first = m.register(60_000)
    const timer = (m as unknown as { timer: NodeJS.Timeout }).timer
    expect(timer.hasRef()).toBe(false)
    m.resolve({ id: first.id, ok: true })
    const later = m.register(60_000)
    expect((m as unknown as { timer: NodeJS.Timeout }).timer).toBe(timer) // a later deadline: same timer
    const earlier = m.register(1_000)
    expect((m as unknown as { timer: NodeJS.Timeout }).timer).not.toBe(timer) // earlier: re-armed
    for (const r of [later, earlier]) m.resolve({ id: r.id, ok: true })
  })

  test('a PendingRequest object gets exactly one call: its answer, or TIMEOUT from the shared timer', async () => {
    const m = new RequestManager()
    const calls: string[] = []
    class Recorder extends PendingRequest {
      constructor(private readonly name: string) {
        super()
      }
      answer(frame: ResponseFrame) {
        calls.push(`${this.name} answer ${frame.ok}`)
      }
      fail(error: unknown) {
        calls.push(`${this.name} fail ${(error as LivestateError).code}`)
      }
    }
    const answered = m.add(new Recorder('a'), 30)
    m.add(new Recorder('b'), 30)
    m.add(new Recorder('c'), 0) // no deadline
    expect(m.resolve({ id: answered, ok: true })).toBe(true)
    await new Promise((r) => setTimeout(r, 80))
    expect(calls).toEqual(['a answer true', 'b fail TIMEOUT'])
    expect(m.resolve({ id: answered, ok: true })).toBe(false)
    expect(m.size).toBe(1)
    m.rejectAll(new LivestateError('INTERNAL', 'closed'))
    expect(calls).toEqual(['a answer true', 'b fail TIMEOUT', 'c fail INTERNAL'])
  })

  test('rejectAll fails every pending request (a dropped socket)', async () => {
    const m = new RequestManager()
    const err = new LivestateError('INTERNAL', 'lost', { retryable: true })
    const rs = [m.register(1000), m.register(1000)]
    m.rejectAll(err)
    for (const r of rs) await expect(r.response).rejects.toBe(err)
    expect(m.size).toBe(0)
  })
})
