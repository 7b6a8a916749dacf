import { describe, expect, it } from 'vitest'
import { type ChangeFrameLike, OutboundQueue, mergeChange } from './outbound-queue.ts'

type F = ChangeFrameLike & { key: string; value?: number }
const encode = (f: F) => JSON.stringify(f)
const change = (sub: string, key: string, seq: number, value: number, type: F['type'] = 'update', epoch = 1): F => ({
  sub,
  type,
  key,
  value,
  epoch,
  seq,
})

function drain(q: OutboundQueue<F>): unknown[] {
  const out: unknown[] = []
  for (let p = q.shift(); p !== undefined; p = q.shift())
    out.push(typeof p === 'string' && p.startsWith('{') ? JSON.parse(p) : p)
  return out
}

describe('OutboundQueue', () => {
  it('keeps plain frames in order and counts their bytes', () => {
    const q = new OutboundQueue<F>()
    q.pushFrame('ab')
    q.pushFrame(new Uint8Array(3))
    expect(q.bytes).toBe(5)
    expect(q.length).toBe(2)
    expect(q.shift()).toBe('ab')
    expect(q.bytes).toBe(3)
  })

  it('conflates changes per (sub, key) to the latest value, keeping the latest seq', () => {
    const q = new OutboundQueue<F>()
    expect(q.pushChange('s1/a', change('s1', 'a', 1, 10), encode)).toBe(false)
    q.pushChange('s1/b', change('s1', 'b', 2, 20), encode)
    expect(q.pushChange('s1/a', change('s1', 'a', 3, 11), encode)).toBe(true)
    q.pushChange('s1/a', change('s1', 'a', 4, 12), encode)
    expect(q.conflated).toBe(2)
    expect(drain(q)).toEqual([change('s1', 'a', 4, 12), change('s1', 'b', 2, 20)])
    expect(q.bytes).toBe(0)
  })

  it('tracks bytes when a conflated frame changes size', () => {
    const q = new OutboundQueue<F>()
    q.pushChange('k', change('s1', 'k', 1, 1), encode)
    const before = q.bytes
    q.pushChange('k', change('s1', 'k', 2, 1000000), encode)
    expect(q.bytes).toBe(before + 6)
  })

  it('keeps frames and changes in arrival order, a change at its first position', () => {
    const q = new OutboundQueue<F>()
    q.pushFrame('first')
    q.pushChange('a', change('s1', 'a', 1, 1), encode)
    q.pushFrame('middle')
    q.pushChange('a', change('s1', 'a', 2, 2), encode)
    expect(drain(q)).toEqual(['first', change('s1', 'a', 2, 2), 'middle'])
  })

  it('a key sent and then changed again gets a new slot', () => {
    const q = new OutboundQueue<F>()
    q.pushChange('a', change('s1', 'a', 1, 1), encode)
    expect(drain(q)).toHaveLength(1)
    expect(q.pushChange('a', change('s1', 'a', 2, 2), encode)).toBe(false)
    expect(drain(q)).toEqual([change('s1', 'a', 2, 2)])
  })

  it('dropSub forgets frames and changes of that subscription only', () => {
    const q = new OutboundQueue<F>()
    q.pushFrame('status-s1', 's1')
    q.pushChange('s1/a', change('s1', 'a', 1, 1), encode)
    q.pushChange('s2/a', change('s2', 'a', 1, 1), encode)
    q.pushFrame('answer')
    q.dropSub('s1')
    expect(drain(q)).toEqual([change('s2', 'a', 1, 1), 'answer'])
    expect(q.bytes).toBe(0)
  })

  it('stays correct over many shifts (compaction)', () => {
    const q = new OutboundQueue<F>()
    for (let i = 0; i < 5000; i++) q.pushFrame(String(i))
    for (let i = 0; i < 4000; i++) expect(q.shift()).toBe(String(i))
    q.pushFrame('x')
    expect(q.length).toBe(1001)
    expect(drain(q).at(-1)).toBe('x')
  })
})

describe('mergeChange', () => {
  it('a snapshot absorbs later updates of its epoch and stays a snapshot', () => {
    expect(mergeChange(change('s', 'a', 1, 1, 'snapshot'), change('s', 'a', 2, 2))).toEqual(
      change('s', 'a', 2, 2, 'snapshot'),
    )
  })

  it('the newer frame wins otherwise (delete, new epoch, update over update)', () => {
    const del: F = { sub: 's', type: 'delete', key: 'a', epoch: 1, seq: 3 }
    expect(mergeChange(change('s', 'a', 1, 1, 'snapshot'), del)).toBe(del)
    const nextEpoch = change('s', 'a', 1, 5, 'snapshot', 2)
    expect(mergeChange(change('s', 'a', 9, 1), nextEpoch)).toBe(nextEpoch)
    expect(mergeChange(del, change('s', 'a', 4, 4))).toEqual(change('s', 'a', 4, 4))
  })
})
