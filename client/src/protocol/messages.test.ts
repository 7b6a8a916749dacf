import { describe, expect, test } from 'vitest'
import { LivestateError } from './livestate-error.ts'
import { isSubscriptionFrame, parseClientFrame } from './messages.ts'

function rejection(value: unknown): LivestateError {
  try {
    parseClientFrame(value)
  } catch (e) {
    expect(e).toBeInstanceOf(LivestateError)
    expect((e as LivestateError).code).toBe('BAD_REQUEST')
    return e as LivestateError
  }
  throw new Error(`accepted ${JSON.stringify(value)}`)
}

describe('parseClientFrame', () => {
  test('accepts every op of DESIGN §5 and keeps only known fields', () => {
    expect(parseClientFrame({ id: 1, op: 'get', job: 'clicks', state: 'page-views', key: '/home', extra: 1 })).toEqual({
      id: 1,
      op: 'get',
      job: 'clicks',
      state: 'page-views',
      key: '/home',
    })
    expect(
      parseClientFrame({
        id: 2,
        op: 'getMany',
        job: 'j',
        state: 's',
        keys: ['a', 1, 2n, true, ['x', 1]],
        consistency: 'committed',
        minCheckpoint: 4,
        timeout: 100,
      }),
    ).toEqual({
      id: 2,
      op: 'getMany',
      job: 'j',
      state: 's',
      keys: ['a', 1, 2n, true, ['x', 1]],
      consistency: 'committed',
      minCheckpoint: 4,
      timeout: 100,
    })
    expect(parseClientFrame({ id: 3, op: 'subscribe', job: 'j', state: 's', keys: ['/home'] })).toEqual({
      id: 3,
      op: 'subscribe',
      job: 'j',
      state: 's',
      keys: ['/home'],
    })
    expect(parseClientFrame({ id: 4, op: 'subscribe', job: 'j', state: 's', prefix: '/blog/' })).toMatchObject({
      prefix: '/blog/',
    })
    expect(parseClientFrame({ id: 5, op: 'subscribe', job: 'j', state: 's', all: true })).toMatchObject({ all: true })
    expect(parseClientFrame({ id: 6, op: 'unsubscribe', sub: 's1' })).toEqual({ id: 6, op: 'unsubscribe', sub: 's1' })
    expect(
      parseClientFrame({ id: 7, op: 'get', job: 'j', state: 's', key: 'k', mapKey: 'm', window: 'all' }),
    ).toMatchObject({ mapKey: 'm', window: 'all' })
    expect(parseClientFrame({ id: 8, op: 'get', job: 'j', state: 's', key: 'k', window: 60_000 })).toMatchObject({
      window: 60_000,
    })
  })

  test.each([
    ['a non-object', 'hello', /object/],
    ['an array', [1], /object/],
    ['a missing id', { op: 'get', job: 'j', state: 's', key: 'k' }, /"id"/],
    ['a fractional id', { id: 1.5, op: 'get', job: 'j', state: 's', key: 'k' }, /"id"/],
    ['an unknown op', { id: 1, op: 'put' }, /unknown op "put"/],
    ['an empty job', { id: 1, op: 'get', job: '', state: 's', key: 'k' }, /"job"/],
    ['a missing state', { id: 1, op: 'get', job: 'j', key: 'k' }, /"state"/],
    ['an object key', { id: 1, op: 'get', job: 'j', state: 's', key: { a: 1 } }, /"key"/],
    ['a float key', { id: 1, op: 'get', job: 'j', state: 's', key: 1.5 }, /"key"/],
    ['a nested composite key', { id: 1, op: 'get', job: 'j', state: 's', key: [['a']] }, /"key"/],
    ['keys not an array', { id: 1, op: 'getMany', job: 'j', state: 's', keys: 'a' }, /array of keys/],
    ['a bad key in keys', { id: 1, op: 'getMany', job: 'j', state: 's', keys: ['a', null] }, /keys\[1\]/],
    [
      'too many keys',
      { id: 1, op: 'getMany', job: 'j', state: 's', keys: Array.from({ length: 1001 }, (_, i) => i) },
      /at most 1000/,
    ],
    ['a bad consistency', { id: 1, op: 'get', job: 'j', state: 's', key: 'k', consistency: 'eventual' }, /consistency/],
    ['a negative timeout', { id: 1, op: 'get', job: 'j', state: 's', key: 'k', timeout: -1 }, /timeout/],
    ['a bad window', { id: 1, op: 'get', job: 'j', state: 's', key: 'k', window: 'first' }, /window/],
    ['two selectors', { id: 1, op: 'subscribe', job: 'j', state: 's', keys: ['a'], all: true }, /exactly one/],
    ['no selector', { id: 1, op: 'subscribe', job: 'j', state: 's' }, /exactly one/],
    ['empty keys', { id: 1, op: 'subscribe', job: 'j', state: 's', keys: [] }, /not be empty/],
    ['all: false', { id: 1, op: 'subscribe', job: 'j', state: 's', all: false }, /"all"/],
    ['a numeric prefix', { id: 1, op: 'subscribe', job: 'j', state: 's', prefix: 5 }, /"prefix"/],
    ['unsubscribe without sub', { id: 1, op: 'unsubscribe' }, /"sub"/],
  ])('rejects %s with BAD_REQUEST and says why', (_name, frame, message) => {
    expect(rejection(frame).message).toMatch(message)
  })
})

describe('isSubscriptionFrame', () => {
  test('recognises change and status frames and nothing else', () => {
    expect(isSubscriptionFrame({ sub: 's1', type: 'update', key: 'k', value: 1, epoch: 1, seq: 2 })).toBe(true)
    expect(isSubscriptionFrame({ sub: 's1', type: 'delete', key: 'k', epoch: 1, seq: 3 })).toBe(true)
    expect(isSubscriptionFrame({ sub: 's1', type: 'status', state: 'restoring' })).toBe(true)
    expect(isSubscriptionFrame({ sub: 's1', type: 'update', key: 'k', value: 1 })).toBe(false)
    expect(isSubscriptionFrame({ id: 1, ok: true })).toBe(false)
  })
})
