// What the route groups need: the gateway they adapt, limits and metrics. Built once in app.ts.
import type { QueryGateway } from '../../query/query-gateway.ts'
import type { ServerLimits } from '../limits.ts'
import type { ServerMetrics } from '../metrics.ts'

export interface RouteDeps {
  gateway: QueryGateway
  limits: ServerLimits
  metrics: ServerMetrics
}

/** Documents that a route takes `Authorization: Bearer` when the server has an auth file. */
export const BEARER = [{ bearer: [] }]
