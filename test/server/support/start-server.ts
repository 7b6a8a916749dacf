// The one place tests build a server: a gateway plus createServer on 127.0.0.1:0. Today the gateway
// is the in-memory MemoryGateway; switching these tests to the real engine means changing only this
// function (and `setValue`, the hook tests use to make state change).
import { Registry } from 'prom-client'
import { pino } from 'pino'
import type { Key } from '../../../src/keys/key-codec.ts'
import type { AuthTokenFile } from '../../../src/server/auth-tokens.ts'
import { createServer } from '../../../src/server/http-server.ts'
import type { ServerLimits } from '../../../src/server/limits.ts'
import { MemoryGateway } from './memory-gateway.ts'

export interface TestServerOptions {
  authTokens?: AuthTokenFile
  limits?: Partial<ServerLimits>
  corsOrigins?: string[]
  wsOrigins?: string[]
}

export interface TestServer {
  url: string
  wsUrl: string
  registry: Registry
  gateway: MemoryGateway
  /** Makes `state`'s value for `key` change (emits a subscription update). */
  setValue(job: string, state: string, key: Key, value: unknown): void
  close(): Promise<void>
}

/**
 * Jobs: `clicks` (states `page-views` string→number, `user-ids` bigint keys, `by-number` number
 * keys; source `clicks`) and `orders` (state `totals`; source `orders`).
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const gateway = new MemoryGateway([
    {
      name: 'clicks',
      states: {
        'page-views': { kind: 'aggregating' },
        'user-ids': { keyType: 'bigint' },
        'by-number': { keyType: 'number' },
      },
      sources: ['clicks'],
    },
    { name: 'orders', states: { totals: {} }, sources: ['orders'] },
  ])
  gateway.set('clicks', 'page-views', '/home', 42)
  gateway.set('clicks', 'page-views', '/blog/a', 7)
  gateway.set('clicks', 'page-views', '/blog/b', 9)
  gateway.set('clicks', 'user-ids', 9007199254740993n, { name: 'big' })
  gateway.set('clicks', 'by-number', 5, 'five')
  gateway.set('orders', 'totals', 'eu', 100)
  const registry = new Registry()
  const server = await createServer({
    gateway,
    host: '127.0.0.1',
    port: 0,
    metrics: registry,
    logger: pino({ level: 'silent' }),
    ...options,
  })
  return {
    url: server.url,
    wsUrl: `${server.url.replace(/^http/, 'ws')}/v1/ws`,
    registry,
    gateway,
    setValue: (job, state, key, value) => gateway.set(job, state, key, value),
    close: () => server.close(),
  }
}
