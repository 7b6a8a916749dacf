import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadAuthTokens, parseAuthTokens } from './auth-tokens.ts'

const dir = mkdtempSync(join(tmpdir(), 'livestate-auth-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function file(name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

describe('parseAuthTokens', () => {
  it('accepts the documented format with "*" and job lists', () => {
    const parsed = parseAuthTokens({
      tokens: [
        { token: 'reader-token', scopes: ['read', 'subscribe'], jobs: ['clicks'] },
        { token: 'admin-token', scopes: ['read', 'subscribe', 'ingest', 'admin'], jobs: '*', name: 'ops' },
      ],
    })
    expect(parsed.tokens).toHaveLength(2)
    expect(parsed.tokens[1]?.jobs).toBe('*')
  })

  it('accepts an empty token list (nobody gets in)', () => {
    expect(parseAuthTokens({ tokens: [] }).tokens).toEqual([])
  })

  it.each([
    ['not an object', 5, '(top level)'],
    ['missing tokens', {}, 'tokens'],
    ['unknown scope', { tokens: [{ token: 't', scopes: ['write'], jobs: '*' }] }, 'tokens.0.scopes.0'],
    ['no scopes', { tokens: [{ token: 't', scopes: [], jobs: '*' }] }, 'tokens.0.scopes'],
    ['empty token', { tokens: [{ token: '', scopes: ['read'], jobs: '*' }] }, 'tokens.0.token'],
    ['token with a space', { tokens: [{ token: 'a b', scopes: ['read'], jobs: '*' }] }, 'tokens.0.token'],
    ['jobs as a string other than *', { tokens: [{ token: 't', scopes: ['read'], jobs: 'clicks' }] }, 'tokens.0.jobs'],
    ['job name with a slash', { tokens: [{ token: 't', scopes: ['read'], jobs: ['../x'] }] }, 'tokens.0.jobs'],
    ['misspelled field', { tokens: [{ token: 't', scope: ['read'], jobs: '*' }] }, 'tokens.0'],
    [
      'duplicate token',
      {
        tokens: [
          { token: 't', scopes: ['read'], jobs: '*' },
          { token: 't', scopes: ['admin'], jobs: '*' },
        ],
      },
      'tokens.1.token',
    ],
  ])('rejects %s with a one-line message naming %s', (_name, value, where) => {
    let message = ''
    try {
      parseAuthTokens(value)
    } catch (e) {
      message = (e as Error).message
    }
    expect(message).toContain(where)
    expect(message).not.toContain('\n')
  })
})

describe('loadAuthTokens', () => {
  it('reads a valid file', () => {
    const path = file('ok.json', JSON.stringify({ tokens: [{ token: 'abc', scopes: ['read'], jobs: '*' }] }))
    expect(loadAuthTokens(path).tokens[0]?.token).toBe('abc')
  })

  it('names the file for a missing file, bad JSON and a bad shape, in one line each', () => {
    const missing = join(dir, 'missing.json')
    expect(() => loadAuthTokens(missing)).toThrow(/cannot read auth tokens file .*missing\.json \(ENOENT\)/)
    expect(() => loadAuthTokens(file('bad.json', '{"tokens": ['))).toThrow(/bad\.json is not valid JSON/)
    expect(() => loadAuthTokens(file('shape.json', '{"tokens":[{"token":"x"}]}'))).toThrow(
      /invalid auth tokens file .*shape\.json: tokens\.0\.scopes/,
    )
  })
})
