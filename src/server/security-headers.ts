// Headers every API answer carries: X-Request-Id (hono's requestId rules), nosniff and no-referrer.
// They are not prepared with c.header() — that makes a Headers object per request, which costs more
// than the rest of a point lookup — but written by respond() into the answer's plain header record;
// answers not made by respond() get them after the handler (app.ts's envelope). The browser-document
// headers (framing, opener, XSS filter …) go on the dashboard page only: on JSON answers they mean
// nothing and cost bytes on every lookup.
import type { Context, MiddlewareHandler } from 'hono'
import type { ServerEnv } from './server-env.ts'

/** The rest of hono's default set, for HTML documents (the dashboard). */
export const DOCUMENT_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Origin-Agent-Cluster': '?1',
  'X-DNS-Prefetch-Control': 'off',
  'X-Download-Options': 'noopen',
  'X-Frame-Options': 'SAMEORIGIN',
  'X-Permitted-Cross-Domain-Policies': 'none',
  'X-XSS-Protection': '0',
}

const REQUEST_ID_LIMIT = 255
const NOT_REQUEST_ID = /[^\w\-=]/

/** A client's X-Request-Id when it is short and plain (hono's requestId rules), else a fresh UUID. */
export function requestIdOf(given: string | undefined): string {
  return given && given.length <= REQUEST_ID_LIMIT && !NOT_REQUEST_ID.test(given) ? given : crypto.randomUUID()
}

/**
 * The answer headers of respond(): the API headers once the envelope gave the request its id, then
 * `extra`, then the content headers. Marks the request so completeApiHeaders() does not add them again.
 */
export function answerHeaders(
  c: Context,
  contentType: string,
  extra: Record<string, string> | undefined,
): Record<string, string> {
  const requestId: string | undefined = c.get('requestId')
  const headers: Record<string, string> =
    requestId === undefined
      ? {}
      : { 'x-request-id': requestId, 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff' }
  if (requestId !== undefined) c.set('hasApiHeaders', true)
  if (extra !== undefined) for (const name in extra) headers[name] = extra[name]!
  headers['content-type'] = contentType
  headers.vary = 'Accept, Origin'
  return headers
}

/**
 * After the handler (app.ts's envelope): the API headers on an answer respond() did not make (metrics
 * text, dashboard, OpenAPI document, CORS preflight, the WebSocket handshake).
 */
export function completeApiHeaders(c: Context, requestId: string): void {
  if (c.get('hasApiHeaders') === true) return
  const headers = c.res.headers
  headers.set('X-Request-Id', requestId)
  headers.set('Referrer-Policy', 'no-referrer')
  headers.set('X-Content-Type-Options', 'nosniff')
}

/** Runs CORS handling only for requests that carry an Origin (browsers); others skip its cost. */
export function onlyWithOrigin(cors: MiddlewareHandler<ServerEnv>): MiddlewareHandler<ServerEnv> {
  return (c, next) => (c.req.header('origin') === undefined ? next() : cors(c, next))
}
