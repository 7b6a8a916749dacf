// createServer: the HTTP API (DESIGN §4) and the WebSocket endpoint (§5) on one Node http server,
// as adapters over a QueryGateway. Binds host:port (port 0 = any free port), answers `url` with the
// real address, and closes WebSockets, keep-alive sockets and the listener on close().
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import { type Logger, pino } from 'pino'
import type { Registry } from 'prom-client'
import type { QueryGateway } from '../query/query-gateway.ts'
import { buildApp } from './app.ts'
import type { AuthTokenFile } from './auth-tokens.ts'
import { TokenAuthenticator } from './auth.ts'
import { type ServerLimits, resolveLimits } from './limits.ts'
import { ServerMetrics } from './metrics.ts'
import { isLoopbackHost, normalizeOrigin } from './origin.ts'
import { WsEndpoint } from './ws/ws-endpoint.ts'

export interface ServerOptions {
  gateway: QueryGateway
  host: string
  /** 0 picks a free port. */
  port: number
  /** Parsed `--auth-tokens` file (loadAuthTokens); without it the API is open. */
  authTokens?: AuthTokenFile
  /** Origins whose pages may call the HTTP API (CORS allowlist; never "*", no credentials). */
  corsOrigins?: string[]
  /** Origins whose pages may open /v1/ws; default: corsOrigins. The server's own origin is always allowed. */
  wsOrigins?: string[]
  limits?: Partial<ServerLimits>
  /** Prometheus registry served at /metrics; the server adds its http/ws/ingest metrics to it. */
  metrics: Registry
  /** The dashboard page served at GET /. */
  dashboardHtml?: string
  logger?: Logger
}

export interface RunningServer {
  /** `http://host:port` with the bound port. */
  url: string
  port: number
  close(): Promise<void>
}

export async function createServer(options: ServerOptions): Promise<RunningServer> {
  const limits = resolveLimits(options.limits)
  const corsOrigins = (options.corsOrigins ?? []).map((o) => normalizeOrigin(o, 'corsOrigins'))
  const wsOrigins = options.wsOrigins?.map((o) => normalizeOrigin(o, 'wsOrigins')) ?? corsOrigins
  const logger = options.logger ?? pino({ level: 'warn' })
  const metrics = new ServerMetrics(options.metrics)
  const ws = new WsEndpoint({ gateway: options.gateway, limits, metrics, logger, allowedOrigins: wsOrigins })
  const app = buildApp({
    gateway: options.gateway,
    auth: new TokenAuthenticator(options.authTokens),
    limits,
    metrics,
    registry: options.metrics,
    corsOrigins,
    loopbackOnly: isLoopbackHost(options.host),
    dashboardHtml: options.dashboardHtml,
    logger,
    ws,
  })

  // Slow-header and slow-body clients get 408 from Node; upgraded WebSockets are not affected.
  const server = createAdaptorServer({
    fetch: app.fetch,
    websocket: { server: ws.wss },
    serverOptions: { headersTimeout: limits.headersTimeoutMs, requestTimeout: limits.requestTimeoutMs },
  }) as Server

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening)
      reject(new Error(`cannot listen on ${options.host}:${options.port} (${err.code ?? err.message})`, { cause: err }))
    }
    const onListening = () => {
      server.off('error', onError)
      resolve()
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen(options.port, options.host)
  })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  let closing: Promise<void> | undefined

  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    close() {
      closing ??= (async () => {
        await ws.closeAll()
        await new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeIdleConnections()
          setTimeout(() => server.closeAllConnections(), 1000).unref()
        })
      })()
      return closing
    },
  }
}
