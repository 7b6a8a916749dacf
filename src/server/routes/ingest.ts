// POST /v1/jobs/:job/sources/:source/events (DESIGN §4): a JSON array, NDJSON or a msgpack array of
// events → 202 once the gateway says they are durable. `Idempotency-Key` is passed through.
import { createRoute, z } from '@hono/zod-openapi'
import { LivestateError } from '@livestate/client'
import { jobAccess } from '../access.ts'
import { readBody } from '../body.ts'
import { respond } from '../encoding.ts'
import { type ServerApp, addRoute, encoded, encodedBody, errors } from '../openapi.ts'
import { IngestBody, IngestResponse, SourceParams } from '../schemas.ts'
import { BEARER, type RouteDeps } from './route-deps.ts'

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,256}$/

const IngestHeaders = z.object({
  'idempotency-key': z.string().optional().openapi({
    description: 'a retried batch with the same key is appended once and gets the first answer (1-256 printable ASCII)',
  }),
})

export function registerIngestRoute(app: ServerApp, deps: RouteDeps): void {
  const { gateway, limits, metrics } = deps
  const ingest = createRoute({
    method: 'post',
    path: '/v1/jobs/{job}/sources/{source}/events',
    tags: ['ingest'],
    summary: 'Append events to an HTTP source; answers after they are durable',
    security: BEARER,
    middleware: jobAccess(gateway, 'ingest'),
    request: { params: SourceParams, headers: IngestHeaders, body: encodedBody(IngestBody, ['application/x-ndjson']) },
    responses: {
      202: encoded(IngestResponse, 'Accepted and durable in the ingest log'),
      ...errors('FORBIDDEN', 'UNKNOWN_JOB', 'PAYLOAD_TOO_LARGE', 'RATE_LIMITED', 'STATE_NOT_READY'),
    },
  })
  addRoute(app, ingest, async (c) => {
    const { job, source } = c.req.valid('param')
    const idempotencyKey = c.req.header('idempotency-key')
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new LivestateError('BAD_REQUEST', 'Idempotency-Key must be 1 to 256 printable ASCII characters')
    }
    const events = await readBody(c, ['json', 'ndjson', 'msgpack'], {
      maxBytes: limits.ingestBodyBytes,
      maxDepth: limits.maxDepth,
    })
    if (!Array.isArray(events))
      throw new LivestateError('BAD_REQUEST', 'ingest body must be an array of events (or NDJSON lines)')
    const result = await gateway.ingest(job, source, events, idempotencyKey)
    metrics.ingestEvents.inc({ job, source }, result.accepted)
    return respond(c, 202, { accepted: result.accepted, position: result.position })
  })
}
