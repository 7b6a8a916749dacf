// Security headers, prepared before the handler runs (hono's secure-headers sets them on c.res
// afterwards, which makes @hono/node-server build a full undici Response per request). API answers
// carry nosniff and no-referrer; the browser-document headers (framing, opener, XSS filter …) go on
// the dashboard page only — on JSON answers they mean nothing and cost bytes on every lookup.
import type { MiddlewareHandler } from 'hono'
import type { ServerEnv } from './server-env.ts'

const API_HEADERS: readonly (readonly [string, string])[] = [
  ['Referrer-Policy', 'no-referrer'],
  ['X-Content-Type-Options', 'nosniff'],
]

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

export function securityHeaders(): MiddlewareHandler<ServerEnv> {
  return (c, next) => {
    for (const [name, value] of API_HEADERS) c.header(name, value)
    return next()
  }
}

/** Runs CORS handling only for requests that carry an Origin (browsers); others skip its cost. */
export function onlyWithOrigin(cors: MiddlewareHandler<ServerEnv>): MiddlewareHandler<ServerEnv> {
  return (c, next) => (c.req.header('origin') === undefined ? next() : cors(c, next))
}
