// Security headers on every answer (the set hono/secure-headers sends by default, minus HSTS and
// CORP as this server configured them), prepared before the handler runs: hono's middleware sets them
// on c.res afterwards, which makes @hono/node-server build a full undici Response per request.
import type { MiddlewareHandler } from 'hono'
import type { ServerEnv } from './server-env.ts'

const HEADERS: readonly (readonly [string, string])[] = [
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Origin-Agent-Cluster', '?1'],
  ['Referrer-Policy', 'no-referrer'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-DNS-Prefetch-Control', 'off'],
  ['X-Download-Options', 'noopen'],
  ['X-Frame-Options', 'SAMEORIGIN'],
  ['X-Permitted-Cross-Domain-Policies', 'none'],
  ['X-XSS-Protection', '0'],
]

export function securityHeaders(): MiddlewareHandler<ServerEnv> {
  return (c, next) => {
    for (const [name, value] of HEADERS) c.header(name, value)
    return next()
  }
}

/** Runs CORS handling only for requests that carry an Origin (browsers); others skip its cost. */
export function onlyWithOrigin(cors: MiddlewareHandler<ServerEnv>): MiddlewareHandler<ServerEnv> {
  return (c, next) => (c.req.header('origin') === undefined ? next() : cors(c, next))
}
