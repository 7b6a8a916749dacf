// Response encoding: JSON by default, msgpack when the request's Accept prefers application/msgpack
// (DESIGN §4). Errors are encoded the same way, so a msgpack client reads one format.
import { encodeMsgpack } from '@livestate/client'
import type { Context } from 'hono'
import { stringifyJson } from './json-codec.ts'
import { answerHeaders } from './security-headers.ts'

export type WireFormat = 'json' | 'msgpack'

export const JSON_TYPE = 'application/json'
export const MSGPACK_TYPE = 'application/msgpack'
const JSON_CONTENT_TYPE = `${JSON_TYPE}; charset=utf-8`
const MSGPACK_TYPES = new Set([MSGPACK_TYPE, 'application/x-msgpack', 'application/vnd.msgpack'])

/** Content-Type essence: lower case, without parameters. */
export function mediaTypeOf(header: string | undefined): string | undefined {
  const essence = header?.split(';', 1)[0]?.trim().toLowerCase()
  return essence === undefined || essence.length === 0 ? undefined : essence
}

export function isMsgpackType(mediaType: string | undefined): boolean {
  return mediaType !== undefined && MSGPACK_TYPES.has(mediaType)
}

/** msgpack when the Accept header rates a msgpack type above zero and no lower than JSON. */
export function preferredFormat(accept: string | undefined): WireFormat {
  if (accept === undefined || accept === '*/*' || accept === JSON_TYPE) return 'json'
  let msgpackQ = 0
  let jsonQ = 0
  for (const part of accept.slice(0, 1024).split(',')) {
    const [type, ...params] = part.split(';')
    const essence = type?.trim().toLowerCase() ?? ''
    let q = 1
    for (const param of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(param)
      if (m) q = Math.min(1, Number(m[1]) || 0)
    }
    if (MSGPACK_TYPES.has(essence)) msgpackQ = Math.max(msgpackQ, q)
    else if (essence === JSON_TYPE) jsonQ = Math.max(jsonQ, q)
  }
  return msgpackQ > 0 && msgpackQ >= jsonQ ? 'msgpack' : 'json'
}

export function encodeBody(body: unknown, format: WireFormat): { data: string | Uint8Array; contentType: string } {
  if (format === 'msgpack') return { data: encodeMsgpack(body), contentType: MSGPACK_TYPE }
  return { data: stringifyJson(body), contentType: JSON_CONTENT_TYPE }
}

/** Answers `body` with `status` in the format the request asked for. */
export function respond(c: Context, status: number, body: unknown, headers?: Record<string, string>): Response {
  const { data, contentType } = encodeBody(body, preferredFormat(c.req.header('accept')))
  return answer(c, status, data, contentType, headers)
}

/** Answers JSON text already encoded (a hot route's body built from pre-encoded parts). */
export function respondJsonText(c: Context, status: number, text: string): Response {
  return answer(c, status, text, JSON_CONTENT_TYPE, undefined)
}

/**
 * The Response, with a plain header record: node-server writes it straight to the socket, where
 * c.newResponse would build a Headers object (and drop nothing: no middleware prepares headers
 * with c.header() before the handler; CORS sets them on c.res, which Hono merges into this answer).
 */
function answer(
  c: Context,
  status: number,
  data: string | Uint8Array,
  contentType: string,
  headers: Record<string, string> | undefined,
): Response {
  return new Response(data as BodyInit, { status, headers: answerHeaders(c, contentType, headers) })
}
