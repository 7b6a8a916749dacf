import { describe, expect, it } from 'vitest'
import { parseUntrustedJson, sanitizeParsed, stringifyJson } from './json-codec.ts'

describe('parseUntrustedJson', () => {
  it('parses ordinary JSON', () => {
    expect(parseUntrustedJson('{"a":[1,{"b":2}]}', 8)).toEqual({ a: [1, { b: 2 }] })
  })

  it('rejects a syntax error as BAD_REQUEST', () => {
    expect(() => parseUntrustedJson('{"a":', 8)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }))
  })

  it('rejects nesting deeper than the limit without overflowing the stack', () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`
    expect(() => parseUntrustedJson(deep, 64)).toThrow(
      expect.objectContaining({ code: 'BAD_REQUEST', message: expect.stringContaining('deeper') }),
    )
    expect(() => parseUntrustedJson('[[[1]]]', 3)).not.toThrow()
    expect(() => parseUntrustedJson('[[[[1]]]]', 3)).toThrow()
  })

  it('removes __proto__ keys at every depth', () => {
    const v = parseUntrustedJson('{"__proto__":{"polluted":1},"a":[{"__proto__":{"x":1},"k":2}]}', 8) as Record<
      string,
      unknown
    >
    expect(Object.hasOwn(v, '__proto__')).toBe(false)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    const inner = (v.a as Record<string, unknown>[])[0]!
    expect(Object.hasOwn(inner, '__proto__')).toBe(false)
    expect(inner.k).toBe(2)
    const target = Object.assign({}, v)
    expect(Object.getPrototypeOf(target)).toBe(Object.prototype)
  })

  it('leaves scalars alone', () => {
    expect(sanitizeParsed(5, 1)).toBe(5)
    expect(sanitizeParsed(null, 1)).toBe(null)
  })
})

describe('stringifyJson', () => {
  it('writes bigints as decimal strings, nested too', () => {
    expect(stringifyJson({ a: [1n, -(2n ** 63n)] })).toBe('{"a":["1","-9223372036854775808"]}')
  })
})
