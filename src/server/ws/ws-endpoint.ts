// GET /v1/ws (DESIGN §5). @hono/node-server 2 upgrades through a `ws` WebSocketServer we create
// ourselves (noServer), which is where maxPayload (frame cap → close 1009) and "no
// permessage-deflate" are set. Hono middleware runs before the upgrade, so authentication
// (Bearer or access_token) and the Origin check answer 401/403 without ever upgrading.
import { upgradeWebSocket } from '@hono/node-server'
import { LivestateError } from '@livestate/client'
import type { MiddlewareHandler } from 'hono'
import type { Logger } from 'pino'
import { WebSocketServer } from 'ws'
import type { QueryGateway } from '../../query/query-gateway.ts'
import type { ServerLimits } from '../limits.ts'
import type { ServerMetrics } from '../metrics.ts'
import type { ServerApp } from '../openapi.ts'
import { isAllowedOrigin } from '../origin.ts'
import { BEARER } from '../routes/route-deps.ts'
import type { ServerEnv } from '../server-env.ts'
import { WsConnection } from './ws-connection.ts'
import { FlushTimer, type WsSocket } from './ws-sender.ts'

/**
 * How long change frames may wait for more of their connection's changes before they are written:
 * one write per connection per window instead of one syscall per frame, which is what a fan-out to
 * many subscribers spends most of its CPU on. Adds at most this much latency to a change.
 */
const CHANGE_FLUSH_MS = 15

export interface WsEndpointDeps {
  gateway: QueryGateway
  limits: ServerLimits
  metrics: ServerMetrics
  logger: Logger
  /** Origins a browser page may connect from, besides the server's own. */
  allowedOrigins: readonly string[]
}

export class WsEndpoint {
  readonly wss: WebSocketServer
  readonly #deps: WsEndpointDeps
  readonly #connections = new Set<WsConnection>()
  readonly #changeFlush = new FlushTimer(CHANGE_FLUSH_MS)

  constructor(deps: WsEndpointDeps) {
    this.#deps = deps
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: deps.limits.wsFrameBytes,
      perMessageDeflate: false,
      clientTracking: true,
    })
  }

  /** Registers the route; the caller has already put authentication on `/v1/ws`. */
  register(app: ServerApp): void {
    app.openAPIRegistry.registerPath({
      method: 'get',
      path: '/v1/ws',
      tags: ['subscriptions'],
      summary: 'WebSocket: get, getMany, subscribe, unsubscribe (DESIGN §5); token as Bearer or access_token',
      security: BEARER,
      responses: {
        101: { description: 'Switching protocols' },
        401: { description: 'UNAUTHORIZED' },
        403: { description: 'Origin not allowed' },
      },
    })
    const upgrade = upgradeWebSocket((c) => {
      const principal = c.get('principal')
      let connection: WsConnection | undefined
      return {
        onOpen: (_event, ws) => {
          connection = new WsConnection(ws.raw as unknown as WsSocket, {
            ...this.#deps,
            principal,
            changeFlush: this.#changeFlush,
          })
          this.#connections.add(connection)
        },
        onMessage: (event) => connection?.handleMessage(event.data as string | ArrayBuffer),
        onClose: () => {
          if (connection === undefined) return
          connection.dispose()
          this.#connections.delete(connection)
        },
      }
    })
    app.get('/v1/ws', this.#originGuard(), upgrade as MiddlewareHandler<ServerEnv>, () => {
      throw new LivestateError('BAD_REQUEST', '/v1/ws expects a WebSocket upgrade request')
    })
  }

  #originGuard(): MiddlewareHandler<ServerEnv> {
    return async (c, next) => {
      if (!isAllowedOrigin(c.req.header('origin'), new URL(c.req.url).origin, this.#deps.allowedOrigins)) {
        throw new LivestateError('FORBIDDEN', 'WebSocket Origin not allowed')
      }
      await next()
    }
  }

  /** Closes every connection with 1001 and waits (bounded) for them to go. */
  async closeAll(timeoutMs = 1000): Promise<void> {
    for (const connection of this.#connections) connection.shutdown(1001, 'server shutting down')
    const deadline = Date.now() + timeoutMs
    while (this.wss.clients.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    for (const ws of this.wss.clients) ws.terminate()
    this.wss.close()
  }
}
