// Routes outside the job tree: health (open), Prometheus metrics (cluster admin when auth is on:
// metrics name every job), the dashboard page (open; it asks for a token itself).
import { createRoute } from '@hono/zod-openapi'
import { LivestateError } from '@livestate/client'
import type { Registry } from 'prom-client'
import { isClusterAdmin } from '../auth.ts'
import { respond } from '../encoding.ts'
import { type ServerApp, addRoute, encoded, errors } from '../openapi.ts'
import { HealthResponse } from '../schemas.ts'
import { DOCUMENT_HEADERS } from '../security-headers.ts'
import { BEARER } from './route-deps.ts'

export interface SystemRouteDeps {
  registry: Registry
  dashboardHtml: string | undefined
}

const MINIMAL_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>livestate</title></head>
<body><h1>livestate</h1>
<p>No dashboard bundled with this server. The API: <a href="/v1/health">/v1/health</a>,
<a href="/v1/jobs">/v1/jobs</a>, <a href="/v1/openapi.json">/v1/openapi.json</a>, <a href="/metrics">/metrics</a>.</p>
</body></html>
`

export function registerSystemRoutes(app: ServerApp, deps: SystemRouteDeps): void {
  const health = createRoute({
    method: 'get',
    path: '/v1/health',
    tags: ['system'],
    summary: 'Liveness; never needs a token',
    responses: { 200: encoded(HealthResponse, 'The server answers') },
  })
  addRoute(app, health, (c) => respond(c, 200, { status: 'ok' }))

  const metrics = createRoute({
    method: 'get',
    path: '/metrics',
    tags: ['system'],
    summary: 'Prometheus metrics; with an auth file, needs a token with admin on "*"',
    security: BEARER,
    responses: { 200: { description: 'Prometheus text exposition format' }, ...errors('FORBIDDEN') },
  })
  addRoute(app, metrics, async (c) => {
    if (!isClusterAdmin(c.get('principal'))) {
      throw new LivestateError('FORBIDDEN', '/metrics needs a token with the admin scope on all jobs ("jobs":"*")')
    }
    const text = await deps.registry.metrics()
    return c.body(text, 200, { 'content-type': deps.registry.contentType, 'cache-control': 'no-store' })
  })

  app.get('/', (c) => c.html(deps.dashboardHtml ?? MINIMAL_PAGE, 200, DOCUMENT_HEADERS))
}
