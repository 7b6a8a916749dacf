import { LivestateError } from '@livestate/client'
import { HTTPException } from 'hono/http-exception'
import { describe, expect, it } from 'vitest'
import { retryAfterOf, toLivestateError } from './errors.ts'

describe('toLivestateError', () => {
  it('keeps LivestateErrors', () => {
    const e = new LivestateError('KEY_NOT_FOUND', 'x')
    expect(toLivestateError(e)).toEqual({ error: e, unexpected: false })
  })

  it("maps hono's 4xx exceptions to 4xx codes, never INTERNAL", () => {
    expect(toLivestateError(new HTTPException(413)).error.code).toBe('PAYLOAD_TOO_LARGE')
    expect(toLivestateError(new HTTPException(415, { message: 'Unsupported Media Type' })).error.code).toBe(
      'BAD_REQUEST',
    )
    expect(toLivestateError(new HTTPException(400, { message: 'Malformed JSON' })).error.code).toBe('BAD_REQUEST')
  })

  it('turns anything else into an unexpected INTERNAL without leaking its message', () => {
    const mapped = toLivestateError(new Error('secret path /etc/x'))
    expect(mapped.unexpected).toBe(true)
    expect(mapped.error.code).toBe('INTERNAL')
    expect(mapped.error.message).not.toContain('secret')
  })
})

describe('retryAfterOf', () => {
  it('is set for STATE_NOT_READY and RATE_LIMITED only, at least 1 s', () => {
    expect(retryAfterOf(new LivestateError('STATE_NOT_READY', 'x'))).toBe(1)
    expect(retryAfterOf(new LivestateError('RATE_LIMITED', 'x', { retryAfter: 2.5 }))).toBe(3)
    expect(retryAfterOf(new LivestateError('TIMEOUT', 'x'))).toBeUndefined()
  })
})
