import { describe, expect, it } from 'vitest'
import { parseNdjson } from './ndjson.ts'

describe('parseNdjson', () => {
  it('reads one value per line, skipping blank lines, accepting CRLF and no final newline', () => {
    expect(parseNdjson('{"a":1}\r\n\n  \n[2]\n3', 8)).toEqual([{ a: 1 }, [2], 3])
  })

  it('is empty for an empty body', () => {
    expect(parseNdjson('', 8)).toEqual([])
    expect(parseNdjson('\n\n', 8)).toEqual([])
  })

  it('names the line of a malformed value', () => {
    expect(() => parseNdjson('{"a":1}\n{"a":\n', 8)).toThrow(
      expect.objectContaining({ code: 'BAD_REQUEST', message: expect.stringContaining('line 2') }),
    )
  })

  it('applies the depth limit per line', () => {
    expect(() => parseNdjson('[[[[1]]]]', 2)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }))
  })

  it('does not split a value across lines (pretty-printed JSON is not NDJSON)', () => {
    expect(() => parseNdjson('{\n"a": 1\n}', 8)).toThrow(
      expect.objectContaining({ code: 'BAD_REQUEST', message: expect.stringContaining('line 1') }),
    )
  })
})
