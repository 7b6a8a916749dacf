// One-off HTTP calls of DESIGN §4 over `fetch`: builds URLs (path segments URL-encoded), negotiates
// JSON or msgpack, applies a client-side deadline, and turns every failure into LivestateError
// (contract error bodies keep their code; Retry-After is kept for the retry loop).
import { DEFAULT_DECODE_LIMITS, type DecodeLimits, decodeUntrustedMsgpack, encodeMsgpack } from '../protocol/codec.ts'
import { ERROR_CODES, type ErrorCode } from '../protocol/error-codes.ts'
import { decodeJson, encodeJson } from '../protocol/json.ts'
import { LivestateError, isLivestateError } from '../protocol/livestate-error.ts'
import type { Encoding } from './connection.ts'

const RESPONSE_LIMITS: DecodeLimits = {
  ...DEFAULT_DECODE_LIMITS,
  maxBytes: 256 << 20,
  maxLength: 10_000_000,
  maxDepth: 64,
}

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>

export interface HttpRequest {
  method: 'GET' | 'POST'
  /** Path segments after the base URL, each URL-encoded here: ['v1','jobs',job]. */
  path: readonly string[]
  query?: Record<string, string | number | bigint | undefined>
  body?: unknown
  timeoutMs: number
}

export interface HttpTransportOptions {
  baseUrl: string
  token: string | undefined
  encoding: Encoding
  fetch: FetchLike | undefined
}

export class HttpTransport {
  private readonly base: string

  constructor(private readonly options: HttpTransportOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '')
  }

  url(path: readonly string[], query?: HttpRequest['query']): string {
    let url = `${this.base}/${path.map(encodeURIComponent).join('/')}`
    const params = new URLSearchParams()
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined) params.set(name, String(value))
    }
    const qs = params.toString()
    if (qs) url += `?${qs}`
    return url
  }

  async request<T>(req: HttpRequest): Promise<T> {
    const fetchImpl = this.options.fetch ?? (globalThis.fetch as FetchLike | undefined)
    if (fetchImpl === undefined) throw new TypeError('no fetch available: pass { fetch } to createClient')
    const msgpack = this.options.encoding === 'msgpack'
    const headers: Record<string, string> = { accept: msgpack ? 'application/msgpack' : 'application/json' }
    if (this.options.token !== undefined) headers.authorization = `Bearer ${this.options.token}`
    let body: string | Uint8Array | undefined
    if (req.body !== undefined) {
      headers['content-type'] = msgpack ? 'application/msgpack' : 'application/json'
      body = msgpack ? new Uint8Array(encodeMsgpack(req.body)) : encodeJson(req.body)
    }
    const url = this.url(req.path, req.query)
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), req.timeoutMs)
    try {
      const res = await fetchImpl(url, {
        method: req.method,
        headers,
        body: body as BodyInit | undefined,
        signal: controller.signal,
      })
      const parsed = await readBody(res)
      if (res.ok) return parsed as T
      throw errorFromResponse(res, parsed)
    } catch (error) {
      if (isLivestateError(error)) throw error
      if (controller.signal.aborted) {
        throw new LivestateError('TIMEOUT', `${req.method} ${url}: no answer within ${req.timeoutMs} ms`, {
          cause: error,
        })
      }
      // A network failure (refused, reset, DNS) has no contract code; it is transient, so retryable.
      throw new LivestateError('INTERNAL', `${req.method} ${url}: ${(error as Error).message}`, {
        cause: error,
        retryable: true,
      })
    } finally {
      clearTimeout(timer)
    }
  }
}

async function readBody(res: Response): Promise<unknown> {
  const type = res.headers.get('content-type') ?? ''
  if (type.includes('msgpack')) {
    const bytes = new Uint8Array(await res.arrayBuffer())
    return bytes.byteLength === 0 ? undefined : decodeUntrustedMsgpack(bytes, RESPONSE_LIMITS)
  }
  const text = await res.text()
  if (text === '') return undefined
  if (type.includes('json')) return decodeJson(text)
  try {
    return decodeJson(text)
  } catch {
    return text
  }
}

/** Contract error bodies keep their code; anything else (a proxy's 502 page) maps by status. */
export function errorFromResponse(res: Response, body: unknown): LivestateError {
  const retryAfter = parseRetryAfter(res.headers.get('retry-after'))
  const error = (body as { error?: unknown } | undefined)?.error
  if (typeof error === 'object' && error !== null) return LivestateError.fromBody(error, retryAfter)
  const code = codeForStatus(res.status)
  const text = typeof body === 'string' ? `: ${body.slice(0, 200)}` : ''
  return new LivestateError(code, `HTTP ${res.status} ${res.statusText}${text}`, {
    retryable: res.status >= 500 || res.status === 429 || res.status === 408,
    ...(retryAfter === undefined ? {} : { retryAfter }),
  })
}

function codeForStatus(status: number): ErrorCode {
  for (const [code, entry] of Object.entries(ERROR_CODES)) {
    if (entry.status === status && code !== 'KEY_NOT_FOUND' && code !== 'NOT_OWNER') return code as ErrorCode
  }
  return status >= 500 ? 'INTERNAL' : 'BAD_REQUEST'
}

/** Retry-After is delta-seconds or an HTTP date; returns seconds. */
export function parseRetryAfter(header: string | null): number | undefined {
  if (header === null || header.trim() === '') return undefined
  const seconds = Number(header)
  if (Number.isFinite(seconds)) return Math.max(0, seconds)
  const at = Date.parse(header)
  return Number.isNaN(at) ? undefined : Math.max(0, (at - Date.now()) / 1000)
}
