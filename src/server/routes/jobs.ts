// GET /v1/jobs and GET /v1/jobs/:job (DESIGN §4): job summaries and the job's detail, only for jobs
// the token may see (a hidden job is listed nowhere and answers 404 like an unknown one).
import { createRoute } from '@hono/zod-openapi'
import { LivestateError } from '@livestate/client'
import { jobAccess } from '../access.ts'
import { canSeeJob } from '../auth.ts'
import { respond } from '../encoding.ts'
import { type ServerApp, addRoute, encoded, errors } from '../openapi.ts'
import { JobDetailResponse, JobParams, JobsResponse } from '../schemas.ts'
import { BEARER, type RouteDeps } from './route-deps.ts'

export function registerJobRoutes(app: ServerApp, deps: RouteDeps): void {
  const { gateway } = deps

  const list = createRoute({
    method: 'get',
    path: '/v1/jobs',
    tags: ['jobs'],
    summary: 'Jobs this token may read',
    security: BEARER,
    responses: { 200: encoded(JobsResponse, 'Job summaries'), ...errors('FORBIDDEN') },
  })
  addRoute(app, list, (c) => {
    const principal = c.get('principal')
    if (!principal.scopes.has('read')) throw new LivestateError('FORBIDDEN', 'this token lacks the "read" scope')
    const jobs = gateway.listJobs().filter((j) => canSeeJob(principal, j.name))
    return respond(c, 200, { jobs })
  })

  const detail = createRoute({
    method: 'get',
    path: '/v1/jobs/{job}',
    tags: ['jobs'],
    summary: 'Job detail: plan, checkpoints, states, metrics',
    security: BEARER,
    middleware: jobAccess(gateway, 'read'),
    request: { params: JobParams },
    responses: { 200: encoded(JobDetailResponse, 'Job detail'), ...errors('FORBIDDEN', 'UNKNOWN_JOB') },
  })
  addRoute(app, detail, (c) => respond(c, 200, gateway.describeJob(c.req.valid('param').job)))
}
