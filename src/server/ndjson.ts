// NDJSON request bodies (`application/x-ndjson`): one JSON value per line, blank lines ignored, CRLF
// accepted. A bad line is a BAD_REQUEST naming its line number.
import { LivestateError } from '@livestate/client'
import { parseUntrustedJson } from './json-codec.ts'

export function parseNdjson(text: string, maxDepth: number): unknown[] {
  const values: unknown[] = []
  let lineNo = 0
  let start = 0
  while (start <= text.length) {
    let end = text.indexOf('\n', start)
    if (end === -1) end = text.length
    lineNo++
    let line = text.slice(start, end)
    if (line.endsWith('\r')) line = line.slice(0, -1)
    if (line.trim().length > 0) values.push(parseUntrustedJson(line, maxDepth, `NDJSON line ${lineNo}`))
    start = end + 1
  }
  if (values.length === 0 && text.trim().length > 0) {
    throw new LivestateError('BAD_REQUEST', 'NDJSON body holds no values')
  }
  return values
}
