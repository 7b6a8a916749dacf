// Request-level guards as Hono middleware: authentication (401), job visibility and scopes (404 /
// 403), name validation, cross-site POST and DNS-rebinding guards. Decisions live in auth.ts/origin.ts.
import { LivestateError } from '@livestate/client'
import type { Context, MiddlewareHandler } from 'hono'
import type { QueryGateway } from '../query/query-gateway.ts'
import type { Scope } from './auth-tokens.ts'
import { type Principal, type TokenAuthenticator, authorize, bearerToken, canSeeJob, unknownJob } from './auth.ts'
import { isValidName, quoteName } from './names.ts'
import { hostnameOf, isAllowedOrigin, isLoopbackHost } from './origin.ts'
import type { ServerEnv } from './server-env.ts'

/** Bearer token from the Authorization header, or (WebSocket only: browsers cannot set headers) `access_token`. */
// The guards are plain functions returning next(): no async frame of their own per request (a
// synchronous throw still reaches Hono's error handler).
export function authenticate(auth: TokenAuthenticator, options: { queryToken: boolean }): MiddlewareHandler<ServerEnv> {
  return (c, next) => {
    let token = bearerToken(c.req.header('authorization'))
    if (token === undefined && options.queryToken) token = c.req.query('access_token')
    const principal = auth.authenticate(token)
    if (principal === undefined) {
      throw new LivestateError('UNAUTHORIZED', token === undefined ? 'missing bearer token' : 'invalid bearer token')
    }
    c.set('principal', principal)
    return next()
  }
}

/**
 * Valid, visible, existing job (else UNKNOWN_JOB — identical for a job the principal may not see),
 * then the scope (else FORBIDDEN). Shared by the HTTP routes and the WebSocket ops.
 */
export function assertJobAccess(gateway: QueryGateway, principal: Principal, job: string, scope: Scope): void {
  if (!isValidName(job) || !canSeeJob(principal, job) || !gateway.hasJob(job)) {
    throw unknownJob(job)
  }
  authorize(principal, job, scope)
}

export function assertStateName(job: string, state: string): void {
  if (!isValidName(state))
    throw new LivestateError('UNKNOWN_STATE', `unknown state ${quoteName(state)} of job "${job}"`)
}

/**
 * Guards a `/v1/jobs/:job/…` route with assertJobAccess and the state/source name checks. Runs
 * before the route's validators, so an unknown job answers 404 whatever else is wrong.
 */
export function jobAccess(gateway: QueryGateway, scope: Scope): MiddlewareHandler<ServerEnv> {
  return (c, next) => {
    assertRouteAccess(c, gateway, scope)
    return next()
  }
}

/** jobAccess's checks, for a handler that runs them itself (the point-get route has no middleware). */
export function assertRouteAccess(c: Context<ServerEnv>, gateway: QueryGateway, scope: Scope): void {
  const job = c.req.param('job') ?? ''
  if (isValidName(job)) c.set('job', job)
  assertJobAccess(gateway, c.get('principal'), job, scope)
  const state = c.req.param('state')
  if (state !== undefined) assertStateName(job, state)
  const source = c.req.param('source')
  if (source !== undefined && !isValidName(source)) {
    throw new LivestateError('BAD_REQUEST', `unknown source ${quoteName(source)} of job "${job}"`)
  }
}

/** A state-changing request a browser sent from a foreign page (no preflight needed for a bodiless POST). */
export function crossSiteGuard(allowlist: readonly string[]): MiddlewareHandler<ServerEnv> {
  return (c, next) => {
    const method = c.req.method
    if (method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS') {
      if (!isAllowedOrigin(c.req.header('origin'), new URL(c.req.url).origin, allowlist)) {
        throw new LivestateError('FORBIDDEN', 'cross-site request from an origin not in the allowlist')
      }
    }
    return next()
  }
}

/** On a loopback-bound server only loopback Host names are answered (DNS rebinding guard). */
export function loopbackHostGuard(): MiddlewareHandler<ServerEnv> {
  // every request of a client sends the same Host: remember the last one that passed
  let accepted: string | undefined
  return (c, next) => {
    const host = c.req.header('host')
    if (host === accepted) return next()
    if (host !== undefined && !isLoopbackHost(hostnameOf(host))) {
      throw new LivestateError('FORBIDDEN', `Host ${quoteName(host)} is not served by a loopback-bound server`)
    }
    if (host !== undefined) accepted = host
    return next()
  }
}
