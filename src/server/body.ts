// Request bodies: JSON, NDJSON (ingest only) or msgpack, chosen by Content-Type. msgpack is decoded
// only with decodeUntrustedMsgpack; JSON is depth-checked and stripped of `__proto__`. Every failure
// is a 4xx LivestateError: bad input never becomes a 500.
import { LivestateError, decodeUntrustedMsgpack } from '@livestate/client'
import type { Context } from 'hono'
import { isMsgpackType, mediaTypeOf } from './encoding.ts'
import { parseUntrustedJson } from './json-codec.ts'
import { parseNdjson } from './ndjson.ts'

export type BodyFormat = 'json' | 'ndjson' | 'msgpack'

const NDJSON_TYPES = new Set(['application/x-ndjson', 'application/ndjson'])

/** The body format a Content-Type header names, if it is one of `allowed`; else BAD_REQUEST. */
export function bodyFormatOf(contentType: string | undefined, allowed: readonly BodyFormat[]): BodyFormat {
  const type = mediaTypeOf(contentType)
  let format: BodyFormat | undefined
  if (type === 'application/json') format = 'json'
  else if (isMsgpackType(type)) format = 'msgpack'
  else if (type !== undefined && NDJSON_TYPES.has(type)) format = 'ndjson'
  if (format === undefined || !allowed.includes(format)) {
    const names = allowed.map((f) =>
      f === 'json' ? 'application/json' : f === 'msgpack' ? 'application/msgpack' : 'application/x-ndjson',
    )
    throw new LivestateError(
      'BAD_REQUEST',
      `Content-Type ${type ?? '(none)'} is not accepted here; send ${names.join(' or ')}`,
    )
  }
  return format
}

export interface BodyLimits {
  maxBytes: number
  maxDepth: number
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

export function decodeBody(bytes: Uint8Array, format: BodyFormat, limits: BodyLimits): unknown {
  if (bytes.byteLength > limits.maxBytes) {
    throw new LivestateError('PAYLOAD_TOO_LARGE', `request body exceeds ${limits.maxBytes} bytes`)
  }
  if (format === 'msgpack') {
    return decodeUntrustedMsgpack(bytes, {
      maxBytes: limits.maxBytes,
      maxDepth: limits.maxDepth,
      maxLength: limits.maxBytes,
    })
  }
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch (cause) {
    throw new LivestateError('BAD_REQUEST', 'request body is not valid UTF-8', { cause })
  }
  if (format === 'ndjson') return parseNdjson(text, limits.maxDepth)
  if (text.trim().length === 0) throw new LivestateError('BAD_REQUEST', 'request body is empty; expected JSON')
  return parseUntrustedJson(text, limits.maxDepth)
}

/** Reads and decodes the request body (size already capped by the bodyLimit middleware). */
export async function readBody(c: Context, allowed: readonly BodyFormat[], limits: BodyLimits): Promise<unknown> {
  const format = bodyFormatOf(c.req.header('content-type'), allowed)
  let bytes: Uint8Array
  try {
    bytes = new Uint8Array(await c.req.arrayBuffer())
  } catch (cause) {
    throw new LivestateError('BAD_REQUEST', 'could not read the request body', { cause })
  }
  return decodeBody(bytes, format, limits)
}
