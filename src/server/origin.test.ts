import { describe, expect, it } from 'vitest'
import { hostnameOf, isAllowedOrigin, isLoopbackHost, normalizeOrigin } from './origin.ts'

describe('normalizeOrigin', () => {
  it('accepts origins', () => {
    expect(normalizeOrigin('https://App.example.com', 'o')).toBe('https://app.example.com')
    expect(normalizeOrigin('http://localhost:5173', 'o')).toBe('http://localhost:5173')
  })

  it.each(['*', 'example.com', 'https://a.com/', 'https://a.com/path', 'https://a.com?x', 'null'])(
    'rejects %s',
    (o) => {
      expect(() => normalizeOrigin(o, 'corsOrigins')).toThrow(TypeError)
    },
  )
})

describe('isAllowedOrigin', () => {
  const self = 'http://127.0.0.1:8080'
  it('allows no Origin, the same origin and the allowlist only', () => {
    expect(isAllowedOrigin(undefined, self, [])).toBe(true)
    expect(isAllowedOrigin(self, self, [])).toBe(true)
    expect(isAllowedOrigin('https://app.example.com', self, ['https://app.example.com'])).toBe(true)
    expect(isAllowedOrigin('https://evil.example', self, ['https://app.example.com'])).toBe(false)
    expect(isAllowedOrigin('null', self, [])).toBe(false)
  })
})

describe('loopback hosts', () => {
  it.each([
    ['127.0.0.1:8080', true],
    ['localhost', true],
    ['app.localhost:1', true],
    ['[::1]:8080', true],
    ['127.1.2.3', true],
    ['evil.example:8080', false],
    ['10.0.0.1', false],
    ['127.0.0.1.evil.example', false],
  ])('%s is loopback: %s', (host, loopback) => {
    expect(isLoopbackHost(hostnameOf(host))).toBe(loopback)
  })
})
