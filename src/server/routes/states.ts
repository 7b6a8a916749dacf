// State routes of DESIGN §4: describe a state, point get, batch get (≤ limits.batchKeys keys, in
// request order) and ordered entries with cursors. Adapters: validate, convert keys, call the gateway.
import { createRoute } from '@hono/zod-openapi'
import { LivestateError } from '@livestate/client'
import { assertRouteAccess, jobAccess } from '../access.ts'
import { readBody } from '../body.ts'
import { describeIssue } from '../errors.ts'
import { mediaTypeOf, preferredFormat, respond, respondJsonText } from '../encoding.ts'
import { stringifyGetAnswer } from '../json-codec.ts'
import { type ServerApp, addRoute, documentRoute, encoded, encodedBody, errors } from '../openapi.ts'
import { keyParamOf, readQueryOf } from '../read-query.ts'
import { fromQuery, toReadOptions } from '../read-options.ts'
import { pathKey, requestKey, wireKey } from '../request-keys.ts'
import {
  BatchGetBody,
  EntriesQuery,
  EntriesResponse,
  GetManyResponse,
  GetResponse,
  KeyParams,
  ReadQuery,
  StateDescriptionResponse,
  StateParams,
} from '../schemas.ts'
import { BEARER, type RouteDeps } from './route-deps.ts'

const READ_ERRORS = [
  'FORBIDDEN',
  'UNKNOWN_JOB',
  'UNKNOWN_STATE',
  'NOT_CAUGHT_UP',
  'STATE_NOT_READY',
  'TIMEOUT',
] as const

export function registerStateRoutes(app: ServerApp, deps: RouteDeps): void {
  const { gateway, limits } = deps
  const read = jobAccess(gateway, 'read')

  const describe = createRoute({
    method: 'get',
    path: '/v1/jobs/{job}/states/{state}',
    tags: ['states'],
    summary: 'State kind, key type and owners by key-group range',
    security: BEARER,
    middleware: read,
    request: { params: StateParams },
    responses: {
      200: encoded(StateDescriptionResponse, 'State description'),
      ...errors('FORBIDDEN', 'UNKNOWN_JOB', 'UNKNOWN_STATE'),
    },
  })
  addRoute(app, describe, (c) => {
    const { job, state } = c.req.valid('param')
    return respond(c, 200, gateway.describeState(job, state))
  })

  const get = createRoute({
    method: 'get',
    path: '/v1/jobs/{job}/states/{state}/keys/{key}',
    tags: ['states'],
    summary: 'Value of one key',
    security: BEARER,
    middleware: read,
    request: { params: KeyParams, query: ReadQuery },
    responses: {
      200: encoded(GetResponse, 'The value and where it came from'),
      ...errors(...READ_ERRORS, 'KEY_NOT_FOUND'),
    },
  })
  // The hot route: documented like the others, routed without middleware or zod validators (the
  // same checks, in the same order, run inline: access → `key` param → query → options → key → read).
  documentRoute(app, get)
  app.get('/v1/jobs/:job/states/:state/keys/:key', async (c) => {
    assertRouteAccess(c, gateway, 'read')
    const job = c.req.param('job')
    const state = c.req.param('state')
    const segment = keyParamOf(c)
    const query = readQueryOf(c)
    const options = query === undefined ? undefined : toReadOptions(limits.maxWaitMs, fromQuery(query))
    const result = await gateway.get(job, state, pathKey(gateway, job, state, segment), options)
    const answer = { key: result.key, value: result.value, meta: result.meta }
    const text = preferredFormat(c.req.header('accept')) === 'json' ? stringifyGetAnswer(answer) : undefined
    return text === undefined ? respond(c, 200, answer) : respondJsonText(c, 200, text)
  })

  const getMany = createRoute({
    method: 'post',
    path: '/v1/jobs/{job}/states/{state}/get',
    tags: ['states'],
    summary: `Values of up to ${limits.batchKeys} keys, in request order`,
    security: BEARER,
    middleware: read,
    request: { params: StateParams, query: ReadQuery, body: encodedBody(BatchGetBody) },
    responses: {
      200: encoded(GetManyResponse, 'One entry per requested key'),
      ...errors(...READ_ERRORS, 'PAYLOAD_TOO_LARGE'),
    },
  })
  addRoute(app, getMany, async (c) => {
    const { job, state } = c.req.valid('param')
    const decoded = await readBody(c, ['json', 'msgpack'], { maxBytes: limits.bodyBytes, maxDepth: limits.maxDepth })
    const parsed = BatchGetBody.safeParse(decoded)
    if (!parsed.success) throw new LivestateError('BAD_REQUEST', `batch get body: ${describeIssue(parsed.error)}`)
    const body = parsed.data
    if (body.keys.length > limits.batchKeys) {
      throw new LivestateError('BAD_REQUEST', `batch get of ${body.keys.length} keys; at most ${limits.batchKeys}`)
    }
    const format = mediaTypeOf(c.req.header('content-type')) === 'application/json' ? 'json' : 'msgpack'
    const keys = body.keys.map((k, i) => wireKey(gateway, job, state, k, format, `keys[${i}]`))
    const { keys: _keys, ...bodyOptions } = body
    const options = toReadOptions(limits.maxWaitMs, fromQuery(c.req.valid('query')), bodyOptions)
    if (options.mapKey !== undefined) options.mapKey = requestKey(options.mapKey, 'mapKey')
    return respond(c, 200, await gateway.getMany(job, state, keys, options))
  })

  const entries = createRoute({
    method: 'get',
    path: '/v1/jobs/{job}/states/{state}/entries',
    tags: ['states'],
    summary: 'Entries in ascending key order across all subtasks, paged by cursor',
    security: BEARER,
    middleware: read,
    request: { params: StateParams, query: EntriesQuery },
    responses: { 200: encoded(EntriesResponse, 'One page; cursor is null on the last'), ...errors(...READ_ERRORS) },
  })
  addRoute(app, entries, async (c) => {
    const { job, state } = c.req.valid('param')
    const q = c.req.valid('query')
    const limit = q.limit === undefined ? undefined : Number(q.limit)
    if (limit !== undefined && (limit < 1 || limit > limits.scanLimit)) {
      throw new LivestateError('BAD_REQUEST', `limit must be between 1 and ${limits.scanLimit}`)
    }
    const options = toReadOptions(limits.maxWaitMs, fromQuery(q))
    const result = await gateway.entries(job, state, {
      ...options,
      ...(q.prefix === undefined ? {} : { prefix: q.prefix }),
      ...(q.from === undefined ? {} : { from: pathKey(gateway, job, state, q.from) }),
      ...(q.to === undefined ? {} : { to: pathKey(gateway, job, state, q.to) }),
      ...(limit === undefined ? {} : { limit }),
      ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
    })
    return respond(c, 200, { entries: result.entries, cursor: result.cursor })
  })
}
