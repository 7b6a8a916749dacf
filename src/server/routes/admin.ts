// Admin routes of DESIGN §4: take a savepoint, cancel a job. Both need the `admin` scope on the job.
import { createRoute } from '@hono/zod-openapi'
import { jobAccess } from '../access.ts'
import { respond } from '../encoding.ts'
import { type ServerApp, addRoute, encoded, errors } from '../openapi.ts'
import { CancelResponse, JobParams, SavepointResponse } from '../schemas.ts'
import { BEARER, type RouteDeps } from './route-deps.ts'

export function registerAdminRoutes(app: ServerApp, deps: RouteDeps): void {
  const { gateway } = deps
  const admin = jobAccess(gateway, 'admin')

  const savepoint = createRoute({
    method: 'post',
    path: '/v1/jobs/{job}/savepoints',
    tags: ['admin'],
    summary: 'Take a savepoint; answers its directory and checkpoint id',
    security: BEARER,
    middleware: admin,
    request: { params: JobParams },
    responses: {
      200: encoded(SavepointResponse, 'The completed savepoint'),
      ...errors('FORBIDDEN', 'UNKNOWN_JOB', 'STATE_NOT_READY', 'TIMEOUT'),
    },
  })
  addRoute(app, savepoint, async (c) => {
    const { path, checkpointId } = await gateway.savepoint(c.req.valid('param').job)
    return respond(c, 200, { path, checkpointId })
  })

  const cancel = createRoute({
    method: 'post',
    path: '/v1/jobs/{job}/cancel',
    tags: ['admin'],
    summary: 'Cancel the job',
    security: BEARER,
    middleware: admin,
    request: { params: JobParams },
    responses: { 200: encoded(CancelResponse, 'The job is canceled'), ...errors('FORBIDDEN', 'UNKNOWN_JOB') },
  })
  addRoute(app, cancel, async (c) => {
    const { job } = c.req.valid('param')
    await gateway.cancel(job)
    return respond(c, 200, { job, canceled: true })
  })
}
