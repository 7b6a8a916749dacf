import { fc, test } from '@fast-check/vitest'
import { LivestateError } from '@livestate/client'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { describeIssue } from './errors.ts'
import { keyParamOf, readQueryFrom, readQueryOf } from './read-query.ts'
import { ReadQuery } from './schemas.ts'

/** What the route answered when zod validated the query (the defaultHook's BAD_REQUEST message). */
function zodAnswer(q: Record<string, string | string[]>): { ok: unknown } | { error: string } {
  const parsed = ReadQuery.safeParse(q)
  return parsed.success ? { ok: parsed.data } : { error: `query: ${describeIssue(parsed.error)}` }
}

function handAnswer(q: Record<string, string | string[]>): { ok: unknown } | { error: string } {
  try {
    return { ok: readQueryFrom(q) }
  } catch (e) {
    if (!(e instanceof LivestateError) || e.code !== 'BAD_REQUEST') throw e
    return { error: e.message }
  }
}

const NAMES = ['consistency', 'minCheckpoint', 'timeout', 'mapKey', 'window', 'other', '__proto__', 'constructor']
const TEXT = fc.oneof(
  fc.constantFrom(
    '',
    'live',
    'committed',
    'Live',
    'latest',
    'all',
    '0',
    '00',
    '01',
    '7',
    '-1',
    '-0',
    '1.5',
    '999999999999999',
    '1000000000000000',
    '9999999999999999',
    '-9999999999999999',
    '-10000000000000000',
    ' 1',
    '1 ',
    'x'.repeat(4096),
    'x'.repeat(4097),
    '😀'.repeat(2048),
    '😀'.repeat(2049),
  ),
  fc.string(),
  fc.integer().map(String),
)
const VALUE = fc.oneof(TEXT, fc.array(TEXT, { minLength: 2, maxLength: 3 }))
const QUERY = fc.dictionary(fc.constantFrom(...NAMES), VALUE, { maxKeys: 5 })

describe('readQueryFrom (the point get query without zod)', () => {
  test.prop([QUERY], { numRuns: 2000 })('answers what the ReadQuery schema answered, for any query', (q) => {
    expect(handAnswer(q)).toEqual(zodAnswer(q))
  })

  it('answers bad queries with the schema message', () => {
    const bad: Record<string, string | string[]>[] = [
      { consistency: 'eventual' },
      { minCheckpoint: '-1' },
      { minCheckpoint: '01' },
      { timeout: 'soon' },
      { timeout: ['1', '2'] },
      { window: 'newest' },
      { mapKey: 'k'.repeat(4097) },
      { consistency: ['live', 'live'] },
    ]
    for (const q of bad) {
      const answer = handAnswer(q)
      expect(answer).toEqual(zodAnswer(q))
      expect(answer).toMatchObject({ error: expect.stringMatching(/^query: /) })
    }
  })
})

describe('readQueryOf and keyParamOf on a request', () => {
  const app = new Hono().get('/keys/:key', (c) => {
    try {
      return c.json({ key: keyParamOf(c), query: readQueryOf(c) ?? null })
    } catch (e) {
      return c.json({ error: (e as Error).message }, 400)
    }
  })

  it('reads no query string as no options, decodes the key, and keeps repeated names as arrays', async () => {
    expect(await (await app.request('/keys/a%2Fb')).json()).toEqual({ key: 'a/b', query: null })
    expect(await (await app.request('/keys/k?consistency=committed&minCheckpoint=3&x=1')).json()).toEqual({
      key: 'k',
      query: { consistency: 'committed', minCheckpoint: '3' },
    })
    const repeated = await app.request('/keys/k?timeout=1&timeout=2')
    expect(repeated.status).toBe(400)
    expect(await repeated.json()).toEqual(zodAnswer({ timeout: ['1', '2'] }))
  })
})
