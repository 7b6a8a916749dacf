// The Hono application: global middleware in order (request id, API headers and metrics → host guard →
// CORS → cross-site guard → authentication → body limits), the route groups, the
// WebSocket endpoint, the OpenAPI document, and the two error funnels (onError, notFound).
// Middleware must not call c.header() before the handler: respond() builds each answer with a plain
// header record (see security-headers.ts); set headers on c.res, or after next().
import { METHODS } from 'node:http'
import { OpenAPIHono } from '@hono/zod-openapi'
import { LivestateError } from '@livestate/client'
import type { Context, MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { cors } from 'hono/cors'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { QueryGateway } from '../query/query-gateway.ts'
import { authenticate, crossSiteGuard, loopbackHostGuard } from './access.ts'
import type { TokenAuthenticator } from './auth.ts'
import { describeIssue, errorResponse, toLivestateError } from './errors.ts'
import { completeApiHeaders, onlyWithOrigin, requestIdOf } from './security-headers.ts'
import type { ServerLimits } from './limits.ts'
import { RouteSeriesCache, type ServerMetrics } from './metrics.ts'
import type { ServerApp } from './openapi.ts'
import { registerAdminRoutes } from './routes/admin.ts'
import { registerIngestRoute } from './routes/ingest.ts'
import { registerJobRoutes } from './routes/jobs.ts'
import { registerStateRoutes } from './routes/states.ts'
import { registerSystemRoutes } from './routes/system.ts'
import type { ServerEnv } from './server-env.ts'
import type { WsEndpoint } from './ws/ws-endpoint.ts'

export interface AppDeps {
  gateway: QueryGateway
  auth: TokenAuthenticator
  limits: ServerLimits
  metrics: ServerMetrics
  registry: Registry
  corsOrigins: readonly string[]
  /** The server is bound to a loopback address: refuse foreign Host headers. */
  loopbackOnly: boolean
  dashboardHtml: string | undefined
  logger: Logger
  ws: WsEndpoint
}

const INGEST_PATH = /^\/v1\/jobs\/[^/]+\/sources\/[^/]+\/events\/?$/
// The body limits and the cross-site guard do nothing for GET/HEAD (and the guard nothing for
// OPTIONS): they are registered for the other methods only, which spares every read two middleware
// calls. Node's parser answers 400 itself to a method outside http.METHODS, so this is every method
// that can reach the app.
const BODY_METHODS = METHODS.filter((m) => m !== 'GET' && m !== 'HEAD')
const STATE_CHANGING_METHODS = BODY_METHODS.filter((m) => m !== 'OPTIONS')

/**
 * What every request gets, outermost: its request id (hono's requestId rules), the API headers on its
 * answer, and its metrics once answered. One middleware, so a lookup pays one async step for all three.
 */
function envelope(metrics: ServerMetrics): MiddlewareHandler<ServerEnv> {
  const series = new RouteSeriesCache(metrics)
  return async (c, next) => {
    const start = performance.now()
    const requestId = requestIdOf(c.req.header('x-request-id'))
    c.set('requestId', requestId)
    await next()
    completeApiHeaders(c, requestId)
    series.of(c.req.method, c.req.routePath).record(c.res.status, (performance.now() - start) / 1000)
  }
}

function bodyLimits(limits: ServerLimits): MiddlewareHandler<ServerEnv> {
  const tooLarge = (max: number) => (c: Context) =>
    errorResponse(c, new LivestateError('PAYLOAD_TOO_LARGE', `request body exceeds ${max} bytes`))
  const small = bodyLimit({ maxSize: limits.bodyBytes, onError: tooLarge(limits.bodyBytes) })
  const ingest = bodyLimit({ maxSize: limits.ingestBodyBytes, onError: tooLarge(limits.ingestBodyBytes) })
  // GET/HEAD carry no body; reading c.req.raw.body would make node-server build a full Request
  return (c, next) =>
    c.req.method === 'GET' || c.req.method === 'HEAD'
      ? next()
      : (INGEST_PATH.test(c.req.path) ? ingest : small)(c, next)
}

export function buildApp(deps: AppDeps): ServerApp {
  const { auth, logger } = deps
  const app: ServerApp = new OpenAPIHono<ServerEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        return errorResponse(
          c,
          new LivestateError('BAD_REQUEST', `${result.target}: ${describeIssue(result.error)}`),
          c.get('job'),
        )
      }
    },
  })

  app.use('*', envelope(deps.metrics))
  if (deps.loopbackOnly) app.use('*', loopbackHostGuard())
  app.use(
    '/v1/*',
    onlyWithOrigin(
      cors({
        origin: (origin) => (deps.corsOrigins.includes(origin) ? origin : null),
        allowMethods: ['GET', 'POST', 'OPTIONS'],
        allowHeaders: ['Authorization', 'Content-Type', 'Accept', 'Idempotency-Key'],
        exposeHeaders: ['Retry-After', 'X-Request-Id'],
        maxAge: 600,
        credentials: false,
      }),
    ),
  )
  app.on(STATE_CHANGING_METHODS, '/v1/*', crossSiteGuard(deps.corsOrigins))
  const bearer = authenticate(auth, { queryToken: false })
  app.use('/v1/jobs', bearer)
  app.use('/v1/jobs/*', bearer)
  app.use('/metrics', bearer)
  app.use('/v1/ws', authenticate(auth, { queryToken: true }))
  app.on(BODY_METHODS, '*', bodyLimits(deps.limits))

  const routeDeps = { gateway: deps.gateway, limits: deps.limits, metrics: deps.metrics }
  registerSystemRoutes(app, { registry: deps.registry, dashboardHtml: deps.dashboardHtml })
  registerJobRoutes(app, routeDeps)
  registerStateRoutes(app, routeDeps)
  registerIngestRoute(app, routeDeps)
  registerAdminRoutes(app, routeDeps)
  deps.ws.register(app)
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' })
  app.doc('/v1/openapi.json', {
    openapi: '3.0.3',
    info: {
      title: 'livestate',
      version: '1',
      description:
        'Queryable state over HTTP (DESIGN §4). JSON by default, msgpack with Accept: application/msgpack; bigints are decimal strings in JSON.',
    },
  })

  app.notFound((c) =>
    errorResponse(c, new LivestateError('BAD_REQUEST', `no endpoint ${c.req.method} ${c.req.path.slice(0, 200)}`)),
  )
  app.onError((err, c) => {
    const { error, unexpected } = toLivestateError(err)
    if (unexpected)
      logger.error(
        { err, method: c.req.method, path: c.req.path, requestId: c.get('requestId') },
        'request failed unexpectedly',
      )
    return errorResponse(c, error, c.get('job'))
  })
  return app
}
