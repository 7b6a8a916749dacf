import { describe, expect, test } from 'vitest'
import { ResumeTracker, isNewer } from './resume-tracker.ts'

describe('isNewer', () => {
  test.each([
    [{ epoch: 1, seq: 5 }, undefined, true],
    [{ epoch: 1, seq: 6 }, { epoch: 1, seq: 5 }, true],
    [{ epoch: 1, seq: 5 }, { epoch: 1, seq: 5 }, false],
    [{ epoch: 1, seq: 4 }, { epoch: 1, seq: 5 }, false],
    [{ epoch: 2, seq: 1 }, { epoch: 1, seq: 99 }, true],
    [{ epoch: 1, seq: 99 }, { epoch: 2, seq: 1 }, false],
  ])('%o after %o → %s', (candidate, last, expected) => {
    expect(isNewer(candidate, last)).toBe(expected)
  })
})

describe('ResumeTracker', () => {
  test('delivers each key strictly increasing, independently per key', () => {
    const t = new ResumeTracker()
    expect(t.accept('a', { epoch: 1, seq: 1 })).toBe(true)
    expect(t.accept('b', { epoch: 1, seq: 1 })).toBe(true)
    expect(t.accept('a', { epoch: 1, seq: 1 })).toBe(false) // a resubscribe's repeated snapshot
    expect(t.accept('a', { epoch: 1, seq: 3 })).toBe(true) // conflated: seq jumps
    expect(t.accept('a', { epoch: 1, seq: 2 })).toBe(false) // late, older
    expect(t.accept('a', { epoch: 2, seq: 1 })).toBe(true) // new epoch starts over
    expect(t.positionOf('a')).toEqual({ epoch: 2, seq: 1 })
  })

  test('treats a bigint key and its JSON decimal string as the same key', () => {
    const t = new ResumeTracker()
    expect(t.accept(12345678901234567890n, { epoch: 1, seq: 2 })).toBe(true)
    expect(t.accept('12345678901234567890', { epoch: 1, seq: 2 })).toBe(false)
  })

  test('after a resubscribe, a first frame older than the last delivered rebases the key (server lost its numbering)', () => {
    const t = new ResumeTracker()
    expect(t.accept('a', { epoch: 1, seq: 40 })).toBe(true)
    expect(t.accept('b', { epoch: 1, seq: 41 })).toBe(true)
    t.resubscribed()
    expect(t.accept('a', { epoch: 1, seq: 3 })).toBe(true) // a restarted server numbering from 1 again
    expect(t.accept('a', { epoch: 1, seq: 2 })).toBe(false) // from here on, strictly newer only
    expect(t.accept('a', { epoch: 1, seq: 4 })).toBe(true)
    expect(t.positionOf('a')).toEqual({ epoch: 1, seq: 4 })
    expect(t.accept('b', { epoch: 1, seq: 41 })).toBe(false) // the same frame again: a duplicate
    expect(t.accept('b', { epoch: 1, seq: 5 })).toBe(false) // b was confirmed by its duplicate
  })

  test('without a resubscribe an older frame never rebases', () => {
    const t = new ResumeTracker()
    expect(t.accept('a', { epoch: 1, seq: 40 })).toBe(true)
    expect(t.accept('a', { epoch: 1, seq: 3 })).toBe(false)
    t.resubscribed()
    expect(t.accept('c', { epoch: 1, seq: 1 })).toBe(true) // a key first seen after the resubscribe
    expect(t.accept('c', { epoch: 1, seq: 1 })).toBe(false)
  })
})
