// zod schemas of the HTTP API (DESIGN §4): they validate params, query strings and bodies, and the
// OpenAPI document at /v1/openapi.json is generated from the same objects.
import { z } from '@hono/zod-openapi'
import { NAME_PATTERN } from './names.ts'

const name = (what: string) =>
  z
    .string()
    .regex(NAME_PATTERN)
    .openapi({ description: `${what} name`, example: 'clicks' })
const uint = z.string().regex(/^(0|[1-9][0-9]{0,14})$/, 'must be a non-negative integer')

export const JobParams = z.object({ job: name('Job').openapi({ param: { name: 'job', in: 'path' } }) })
export const StateParams = JobParams.extend({
  state: name('Queryable state').openapi({ param: { name: 'state', in: 'path' } }),
})
export const KeyParams = StateParams.extend({
  key: z
    .string()
    .min(1)
    .openapi({
      param: { name: 'key', in: 'path' },
      description: 'URL-encoded key; parsed as a number or bigint for such states',
    }),
})
export const SourceParams = JobParams.extend({
  source: name('Source').openapi({ param: { name: 'source', in: 'path' } }),
})

export const ReadQuery = z.object({
  consistency: z.enum(['live', 'committed']).optional().openapi({ description: 'live (default) or committed' }),
  minCheckpoint: uint
    .optional()
    .openapi({ description: 'wait (up to timeout ms) for this checkpoint, else 409 NOT_CAUGHT_UP' }),
  timeout: uint.optional().openapi({ description: 'ms to wait for minCheckpoint' }),
  mapKey: z.string().max(4096).optional().openapi({ description: 'one entry of a MapState' }),
  window: z
    .string()
    .regex(/^(latest|all|-?(0|[1-9][0-9]{0,15}))$/, 'must be latest, all or a window start')
    .optional()
    .openapi({ description: 'window states: latest (default), all, or a window start (ms)' }),
})

export const EntriesQuery = ReadQuery.omit({ mapKey: true, window: true }).extend({
  prefix: z.string().max(4096).optional(),
  from: z.string().max(4096).optional().openapi({ description: 'first key (inclusive)' }),
  to: z.string().max(4096).optional().openapi({ description: 'last key (exclusive)' }),
  limit: uint.optional().openapi({ description: 'page size, 1..1000' }),
  cursor: z.string().min(1).max(4096).optional().openapi({ description: 'opaque cursor from the previous page' }),
})

export const Key = z
  .union([z.string(), z.number().int(), z.boolean(), z.array(z.union([z.string(), z.number().int(), z.boolean()]))])
  .openapi('Key', {
    description: 'string, integer, boolean or composite array; bigints travel as decimal strings in JSON',
  })

const readOptionFields = {
  consistency: z.enum(['live', 'committed']).optional(),
  minCheckpoint: z.number().int().min(0).optional(),
  timeout: z.number().int().min(0).optional(),
  mapKey: Key.optional(),
  window: z.union([z.enum(['latest', 'all']), z.number().int()]).optional(),
}

/** `keys` is checked key by key after this (validateKey), so one bad key names its index. */
export const BatchGetBody = z
  .object({ keys: z.array(z.unknown()).openapi({ description: 'at most 1000 keys' }), ...readOptionFields })
  .openapi('BatchGetRequest', { description: 'read options may also be given as query parameters' })

export const IngestBody = z
  .array(z.unknown())
  .openapi('IngestEvents', { description: 'JSON array, NDJSON lines or a msgpack array' })

export const ErrorBody = z
  .object({ error: z.object({ code: z.string(), message: z.string(), retryable: z.boolean() }) })
  .openapi('Error')

const StateMeta = z
  .object({
    keyGroup: z.number().int(),
    subtask: z.number().int(),
    epoch: z.number().int(),
    checkpointId: z.number().int().nullable(),
    consistency: z.enum(['live', 'committed']),
  })
  .openapi('StateMeta')

export const JobSummary = z
  .object({
    name: z.string(),
    id: z.string(),
    status: z.string(),
    parallelism: z.number().int(),
    states: z.array(z.string()),
  })
  .openapi('JobSummary')

export const JobsResponse = z.object({ jobs: z.array(JobSummary) })
export const JobDetailResponse = JobSummary.extend({
  plan: z.object({
    vertices: z.array(z.record(z.string(), z.unknown())),
    edges: z.array(z.record(z.string(), z.unknown())),
  }),
  checkpoints: z.object({
    completed: z.number().int(),
    latestId: z.number().int().nullable(),
    latestAt: z.string().nullable(),
  }),
  metrics: z.record(z.string(), z.number()),
}).openapi('JobDetail')
export const StateDescriptionResponse = z.record(z.string(), z.unknown()).openapi('StateDescription')
export const GetResponse = z.object({ key: Key, value: z.unknown(), meta: StateMeta }).openapi('GetResponse')
export const GetManyResponse = z
  .object({ entries: z.array(z.record(z.string(), z.unknown())), meta: z.record(z.string(), z.unknown()) })
  .openapi('GetManyResponse')
export const EntriesResponse = z
  .object({ entries: z.array(z.object({ key: Key, value: z.unknown() })), cursor: z.string().nullable() })
  .openapi('EntriesResponse')
export const IngestResponse = z.object({ accepted: z.number().int(), position: z.string() }).openapi('IngestResponse')
export const SavepointResponse = z
  .object({ path: z.string(), checkpointId: z.number().int() })
  .openapi('SavepointResponse')
export const CancelResponse = z.object({ job: z.string(), canceled: z.literal(true) }).openapi('CancelResponse')
export const HealthResponse = z.object({ status: z.literal('ok') })
