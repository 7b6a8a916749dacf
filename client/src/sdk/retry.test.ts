import { describe, expect, test } from 'vitest'
import { LivestateError } from '../protocol/livestate-error.ts'
import { backoffDelay } from './backoff.ts'
import { retryDelay, withRetry } from './retry.ts'

const policy = { retries: 3, baseDelayMs: 100, maxDelayMs: 1000 }

describe('backoffDelay', () => {
  test('doubles per attempt, caps at max, and jitters within the upper half', () => {
    expect(backoffDelay(0, policy, () => 0)).toBe(50)
    expect(backoffDelay(0, policy, () => 1)).toBe(100)
    expect(backoffDelay(2, policy, () => 1)).toBe(400)
    expect(backoffDelay(10, policy, () => 1)).toBe(1000)
    expect(backoffDelay(10, policy, () => 0)).toBe(500)
  })
})

describe('retryDelay', () => {
  test('only retryable LivestateErrors, only while attempts remain', () => {
    expect(retryDelay(new LivestateError('BAD_REQUEST', 'x'), 0, policy)).toBeUndefined()
    expect(retryDelay(new Error('x'), 0, policy)).toBeUndefined()
    expect(retryDelay(new LivestateError('STATE_NOT_READY', 'x'), 0, policy)).toBeGreaterThan(0)
    expect(retryDelay(new LivestateError('STATE_NOT_READY', 'x'), 3, policy)).toBeUndefined()
  })

  test('honours Retry-After, and gives up on one longer than a minute', () => {
    expect(retryDelay(new LivestateError('STATE_NOT_READY', 'x', { retryAfter: 2 }), 0, policy)).toBe(2000)
    expect(retryDelay(new LivestateError('RATE_LIMITED', 'x', { retryAfter: 3600 }), 0, policy)).toBeUndefined()
  })
})

describe('withRetry', () => {
  test('retries until success and throws the last error when attempts run out', async () => {
    let calls = 0
    const fast = { retries: 2, baseDelayMs: 1, maxDelayMs: 1 }
    await expect(
      withRetry(async () => {
        if (++calls < 3) throw new LivestateError('INTERNAL', 'flaky')
        return 'ok'
      }, fast),
    ).resolves.toBe('ok')
    calls = 0
    await expect(
      withRetry(async () => {
        calls++
        throw new LivestateError('TIMEOUT', `try ${calls}`)
      }, fast),
    ).rejects.toMatchObject({ code: 'TIMEOUT', message: 'try 3' })
  })
})
