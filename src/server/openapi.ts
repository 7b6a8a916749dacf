// Route registration over @hono/zod-openapi: the OpenAPI document gets the full route (bodies in
// JSON and msgpack, every response); routing gets the params/query validators only, because bodies
// come in three formats that body.ts decodes, and answers are encoded by encoding.ts, not c.json.
import type { OpenAPIHono, RouteConfig, RouteHandler } from '@hono/zod-openapi'
import type { z } from '@hono/zod-openapi'
import { ERROR_CODES, type ErrorCode } from '@livestate/client'
import { ErrorBody } from './schemas.ts'
import type { ServerEnv } from './server-env.ts'

export type ServerApp = OpenAPIHono<ServerEnv>

type RoutingConfig<R extends RouteConfig> = Omit<R, 'responses' | 'request'> & {
  request: Omit<NonNullable<R['request']>, 'body'>
  responses: { 200: { description: string } }
}

export type RouteHandlerOf<R extends RouteConfig> = RouteHandler<RoutingConfig<R>, ServerEnv>

export function addRoute<R extends RouteConfig>(app: ServerApp, route: R, handler: RouteHandlerOf<R>): void {
  documentRoute(app, route)
  const { body: _body, ...request } = route.request ?? {}
  const routing = {
    ...route,
    request,
    responses: { 200: { description: '' } },
    hide: true,
  } as unknown as RoutingConfig<R>
  app.openapi(routing, handler as never)
}

/** Only documents a route (the OpenAPI document): the caller routes it with its own checks. */
export function documentRoute(app: ServerApp, route: RouteConfig): void {
  const { middleware: _middleware, ...documented } = route
  app.openAPIRegistry.registerPath(documented)
}

/** A 2xx answer documented in both wire formats. */
export function encoded<S extends z.ZodType>(schema: S, description: string) {
  return { description, content: { 'application/json': { schema }, 'application/msgpack': { schema } } }
}

/** A request body documented in both wire formats (decoded by body.ts). */
export function encodedBody<S extends z.ZodType>(schema: S, extraTypes: readonly string[] = []) {
  const content: Record<string, { schema: S }> = { 'application/json': { schema }, 'application/msgpack': { schema } }
  for (const type of extraTypes) content[type] = { schema }
  return { required: true, content }
}

/** Error answers of a route, grouped by status. */
export function errors(...codes: ErrorCode[]) {
  const byStatus: Record<
    number,
    { description: string; content: { 'application/json': { schema: typeof ErrorBody } } }
  > = {}
  for (const code of ['BAD_REQUEST', 'UNAUTHORIZED', 'INTERNAL', ...codes] as ErrorCode[]) {
    const status = ERROR_CODES[code].status
    const prev = byStatus[status]
    byStatus[status] = {
      description: prev ? `${prev.description}, ${code}` : code,
      content: { 'application/json': { schema: ErrorBody } },
    }
  }
  return byStatus
}
