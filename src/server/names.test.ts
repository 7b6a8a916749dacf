import { describe, expect, it } from 'vitest'
import { isValidName, quoteName } from './names.ts'

describe('isValidName', () => {
  it.each(['clicks', 'page-views', 'a', 'A.b_c-1', '0', 'x'.repeat(128)])('accepts %s', (name) => {
    expect(isValidName(name)).toBe(true)
  })

  it.each(['', '..', '../etc', '.hidden', '-x', '_x', 'a/b', 'a%2Fb', 'a b', 'a\u0000', 'é', 'x'.repeat(129), 'a\nb'])(
    'rejects %j',
    (name) => {
      expect(isValidName(name)).toBe(false)
    },
  )

  it('rejects non-strings', () => {
    expect(isValidName(5)).toBe(false)
    expect(isValidName(undefined)).toBe(false)
  })
})

describe('quoteName', () => {
  it('escapes control characters and truncates', () => {
    expect(quoteName('a\nb')).toBe('"a\\nb"')
    expect(quoteName('x'.repeat(500)).length).toBeLessThan(140)
  })
})
