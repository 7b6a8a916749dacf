// The InputGate wake-up contract that keeps a task from sleeping on data already queued: a producer
// may push between the task's empty poll and its wait (the task awaits its output flush in between).
import { describe, expect, it } from 'vitest'
import { InputGate, LocalChannel } from '../../src/runtime/channel.ts'

const within = (p: Promise<void>, ms: number) =>
  Promise.race([
    p.then(() => 'woken' as const),
    new Promise<'asleep'>((resolve) => setTimeout(() => resolve('asleep'), ms)),
  ])

describe('InputGate', () => {
  it('a push between an empty poll and available() still wakes the task', async () => {
    const channel = new LocalChannel(0, 0, 4)
    const gate = new InputGate([channel])
    expect(gate.poll()).toBeUndefined()
    channel.push({ kind: 'end' })
    expect(await within(gate.available(), 50)).toBe('woken')
    expect(gate.poll()?.message).toEqual({ kind: 'end' })
  })

  it('without a push, available() waits until the next one', async () => {
    const channel = new LocalChannel(0, 0, 4)
    const gate = new InputGate([channel])
    const woken = gate.available()
    expect(await within(woken, 20)).toBe('asleep')
    channel.push({ kind: 'end' })
    expect(await within(woken, 50)).toBe('woken')
  })
})
