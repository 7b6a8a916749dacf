import { describe, expect, it } from 'vitest'
import { DEFAULT_LIMITS, resolveLimits } from './limits.ts'

describe('resolveLimits', () => {
  it('defaults: 1 MiB bodies, 8 MiB ingest, 64 KiB frames, 1000 keys and subscriptions', () => {
    const l = resolveLimits(undefined)
    expect(l).toEqual(DEFAULT_LIMITS)
    expect(l.bodyBytes).toBe(1048576)
    expect(l.ingestBodyBytes).toBe(8388608)
    expect(l.wsFrameBytes).toBe(65536)
    expect(l.batchKeys).toBe(1000)
    expect(l.wsSubscriptions).toBe(1000)
  })

  it('overrides single limits', () => {
    expect(resolveLimits({ bodyBytes: 10 }).bodyBytes).toBe(10)
  })

  it.each([0, -1, 1.5, Number.NaN, '5'])('rejects %j as a limit', (value) => {
    expect(() => resolveLimits({ bodyBytes: value as number })).toThrow(TypeError)
  })

  it('rejects unknown limit names and headers timeout above request timeout', () => {
    expect(() => resolveLimits({ nope: 1 } as never)).toThrow(/unknown server limit/)
    expect(() => resolveLimits({ headersTimeoutMs: 10, requestTimeoutMs: 5 })).toThrow(TypeError)
  })
})
