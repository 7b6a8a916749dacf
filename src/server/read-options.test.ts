import { describe, expect, it } from 'vitest'
import { fromQuery, toReadOptions } from './read-options.ts'

describe('read options', () => {
  it('converts query strings', () => {
    expect(
      fromQuery({ consistency: 'committed', minCheckpoint: '7', timeout: '250', window: '60000', mapKey: 'k' }),
    ).toEqual({
      consistency: 'committed',
      minCheckpoint: 7,
      timeout: 250,
      window: 60000,
      mapKey: 'k',
    })
    expect(fromQuery({ window: 'all' })).toEqual({ window: 'all' })
  })

  it('renames timeout to timeoutMs and drops absent options', () => {
    expect(toReadOptions(1000, { timeout: 5, consistency: undefined })).toEqual({ timeoutMs: 5 })
  })

  it('rejects a timeout above the server maximum and an option given twice', () => {
    expect(() => toReadOptions(1000, { timeout: 1001 })).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }))
    expect(() => toReadOptions(1000, { consistency: 'live' }, { consistency: 'committed' })).toThrow(
      expect.objectContaining({ code: 'BAD_REQUEST', message: expect.stringContaining('twice') }),
    )
  })
})
