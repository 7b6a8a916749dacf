// Any thrown value → the contract's error answer: {"error":{code,message,retryable}} with the status
// from ERROR_CODES, Retry-After where the code asks for a wait. Only an unexpected exception is a 500
// (and is logged); hono's own 4xx exceptions (malformed input) map to 4xx codes.
import { ERROR_CODES, LivestateError, isLivestateError } from '@livestate/client'
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { unknownJob } from './auth.ts'
import { respond } from './encoding.ts'

export interface MappedError {
  error: LivestateError
  /** True when the error is a bug or an outage, not the client's doing: log it. */
  unexpected: boolean
}

export function toLivestateError(e: unknown): MappedError {
  if (isLivestateError(e)) return { error: e, unexpected: e.code === 'INTERNAL' }
  if (e instanceof HTTPException) {
    if (e.status === 413)
      return {
        error: new LivestateError('PAYLOAD_TOO_LARGE', 'request body too large', { cause: e }),
        unexpected: false,
      }
    if (e.status === 401)
      return { error: new LivestateError('UNAUTHORIZED', e.message || 'unauthorized', { cause: e }), unexpected: false }
    if (e.status >= 400 && e.status < 500) {
      return {
        error: new LivestateError('BAD_REQUEST', e.message || `bad request (${e.status})`, { cause: e }),
        unexpected: false,
      }
    }
  }
  return { error: new LivestateError('INTERNAL', 'internal error; see the server log', { cause: e }), unexpected: true }
}

/** Seconds a client should wait, for the codes whose contract carries Retry-After. */
export function retryAfterOf(error: LivestateError): number | undefined {
  if (error.code !== 'STATE_NOT_READY' && error.code !== 'RATE_LIMITED') return undefined
  return Math.max(1, Math.ceil(error.retryAfter ?? 1))
}

/**
 * The response for an error. `job` (the job the request named, once validated) makes every
 * UNKNOWN_JOB read the same, whether the gateway or the access check raised it.
 */
export function errorResponse(c: Context, error: LivestateError, job?: string): Response {
  const e = error.code === 'UNKNOWN_JOB' && job !== undefined ? unknownJob(job) : error
  const headers: Record<string, string> = { 'cache-control': 'no-store' }
  const retryAfter = retryAfterOf(e)
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter)
  if (e.code === 'PAYLOAD_TOO_LARGE') headers.connection = 'close'
  if (e.code === 'UNAUTHORIZED') headers['www-authenticate'] = 'Bearer realm="livestate"'
  return respond(c, ERROR_CODES[e.code].status, { error: e.toBody() }, headers)
}

/** The first zod issue as `path: message`, for BAD_REQUEST messages. */
export function describeIssue(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  const issue = error.issues[0]
  if (!issue) return 'invalid'
  const where = issue.path.length > 0 ? issue.path.map(String).join('.') : 'body'
  return `${where}: ${issue.message}`
}
