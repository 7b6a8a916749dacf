// The point-get route's query string and key parameter, checked by hand: the zod validators cost
// more than the rest of a lookup. The hand checks only decide the common case (no query string, or
// one the schema plainly accepts); anything else goes through the same zod schema the route
// documents, so a bad request gets exactly the answer zod gave: 400 BAD_REQUEST "query: …".
import { LivestateError } from '@livestate/client'
import type { Context } from 'hono'
import { describeIssue } from './errors.ts'
import type { QueryReadOptions } from './read-options.ts'
import { KeyParams, ReadQuery } from './schemas.ts'

const UINT = /^(0|[1-9][0-9]{0,14})$/
const WINDOW = /^(latest|all|-?(0|[1-9][0-9]{0,15}))$/
const MAP_KEY_MAX = 4096

type QueryValue = string | string[] | undefined

/** The query value hono's validator hands to zod: one string per name, or an array when repeated. */
function queryObject(c: Context): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(c.req.queries()).map(([k, v]) => [k, v.length === 1 ? v[0]! : v]))
}

const isUint = (v: QueryValue) => v === undefined || (typeof v === 'string' && UINT.test(v))

/** What ReadQuery accepts, decided without zod; false = ask zod (it may still accept). */
function isPlainReadQuery(q: Record<string, QueryValue>): boolean {
  const { consistency, minCheckpoint, timeout, mapKey, window } = q
  return (
    (consistency === undefined || consistency === 'live' || consistency === 'committed') &&
    isUint(minCheckpoint) &&
    isUint(timeout) &&
    (mapKey === undefined || (typeof mapKey === 'string' && mapKey.length <= MAP_KEY_MAX)) &&
    (window === undefined || (typeof window === 'string' && WINDOW.test(window)))
  )
}

/** ReadQuery's output for an accepted query: the known names that are present (zod strips the rest). */
function pickReadQuery(q: Record<string, QueryValue>): QueryReadOptions {
  const out: QueryReadOptions = {}
  if (q.consistency !== undefined) out.consistency = q.consistency as 'live' | 'committed'
  if (q.minCheckpoint !== undefined) out.minCheckpoint = q.minCheckpoint as string
  if (q.timeout !== undefined) out.timeout = q.timeout as string
  if (q.mapKey !== undefined) out.mapKey = q.mapKey as string
  if (q.window !== undefined) out.window = q.window as string
  return out
}

/** ReadQuery's output for `q` (as hono's validator builds it), or its 400 answer as a LivestateError. */
export function readQueryFrom(q: Record<string, QueryValue>): QueryReadOptions {
  if (isPlainReadQuery(q)) return pickReadQuery(q)
  const parsed = ReadQuery.safeParse(q)
  if (!parsed.success) throw new LivestateError('BAD_REQUEST', `query: ${describeIssue(parsed.error)}`)
  return parsed.data
}

/** The validated read options of the request's query string; undefined when there is none. */
export function readQueryOf(c: Context): QueryReadOptions | undefined {
  return c.req.url.indexOf('?') === -1 ? undefined : readQueryFrom(queryObject(c))
}

/** The decoded `:key` segment; KeyParams' answer when it is empty (hono's router never matches one). */
export function keyParamOf(c: Context): string {
  const key = c.req.param('key') ?? ''
  if (key.length > 0) return key
  const parsed = KeyParams.safeParse(c.req.param())
  if (!parsed.success) throw new LivestateError('BAD_REQUEST', `param: ${describeIssue(parsed.error)}`)
  return parsed.data.key
}
