import { describe, expect, it } from 'vitest'
import type { Scope } from './auth-tokens.ts'
import { OPEN_PRINCIPAL, TokenAuthenticator, authorize, bearerToken, canSeeJob, isClusterAdmin } from './auth.ts'

const auth = new TokenAuthenticator({
  tokens: [
    { token: 'reader', scopes: ['read'], jobs: ['clicks'] },
    { token: 'root', scopes: ['read', 'subscribe', 'ingest', 'admin'], jobs: '*' },
    { token: 'clicks-admin', scopes: ['admin'], jobs: ['clicks'] },
  ],
})

describe('TokenAuthenticator', () => {
  it('finds principals by token and refuses unknown or missing tokens', () => {
    expect(auth.authenticate('reader')?.label).toBe('tokens[0]')
    expect(auth.authenticate('readerx')).toBeUndefined()
    expect(auth.authenticate('')).toBeUndefined()
    expect(auth.authenticate(undefined)).toBeUndefined()
  })

  it('lets everyone in without an auth file', () => {
    const open = new TokenAuthenticator(undefined)
    expect(open.isOpen).toBe(true)
    expect(open.authenticate(undefined)).toBe(OPEN_PRINCIPAL)
  })
})

describe('bearerToken', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer   abc ', 'abc'],
    ['Basic abc', undefined],
    ['Bearer', undefined],
    ['Bearer a b', undefined],
    [undefined, undefined],
  ])('%j → %j', (header, token) => {
    expect(bearerToken(header)).toBe(token)
  })
})

describe('authorize', () => {
  const decide = (token: string, job: string, scope: Scope): string => {
    try {
      authorize(auth.authenticate(token)!, job, scope)
      return 'ok'
    } catch (e) {
      return (e as { code: string }).code
    }
  }

  it('a job outside the token list answers UNKNOWN_JOB, like an unknown job', () => {
    expect(decide('reader', 'orders', 'read')).toBe('UNKNOWN_JOB')
    expect(decide('reader', 'orders', 'admin')).toBe('UNKNOWN_JOB')
  })

  it('a listed job without the scope answers FORBIDDEN', () => {
    expect(decide('reader', 'clicks', 'read')).toBe('ok')
    expect(decide('reader', 'clicks', 'ingest')).toBe('FORBIDDEN')
    expect(decide('clicks-admin', 'clicks', 'read')).toBe('FORBIDDEN')
    expect(decide('clicks-admin', 'clicks', 'admin')).toBe('ok')
  })

  it('"*" covers every job', () => {
    expect(canSeeJob(auth.authenticate('root')!, 'anything')).toBe(true)
    expect(decide('root', 'anything', 'admin')).toBe('ok')
  })

  it('only admin on "*" is a cluster admin (/metrics)', () => {
    expect(isClusterAdmin(auth.authenticate('root')!)).toBe(true)
    expect(isClusterAdmin(auth.authenticate('clicks-admin')!)).toBe(false)
    expect(isClusterAdmin(OPEN_PRINCIPAL)).toBe(true)
  })
})
