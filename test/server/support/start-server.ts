// The one place server tests build a server: the real engine (startEmbedded, heap backend, a temp
// state dir) running the fixture jobs `clicks` and `orders` (test/fixtures/serving), seeded through
// their HTTP sources, and createServer on 127.0.0.1:0 over their query proxies — the wiring of
// `livestate run` (src/main.ts), with the server options tests vary (limits, origins, auth).
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { LivestateError } from '@livestate/client'
import type { JobDefinition } from '../../../src/api/job.ts'
import type { Key } from '../../../src/keys/key-codec.ts'
import { type EmbeddedHandle, startEmbedded } from '../../../src/main.ts'
import type { IngestResult } from '../../../src/query/query-gateway.ts'
import type { AuthTokenFile } from '../../../src/server/auth-tokens.ts'
import { createServer } from '../../../src/server/http-server.ts'
import type { ServerLimits } from '../../../src/server/limits.ts'
import clicksJob from '../../fixtures/serving/clicks-job.ts'
import ordersJob from '../../fixtures/serving/orders-job.ts'
import { clicks, makeTempDir, setKey, subscriberCount, waitUntilServing } from './engine.ts'
import { JobsGateway } from './jobs-gateway.ts'

export type TestJob = 'clicks' | 'orders'

export interface TestServerOptions {
  authTokens?: AuthTokenFile
  limits?: Partial<ServerLimits>
  corsOrigins?: string[]
  wsOrigins?: string[]
  /** Per job: most ingested-but-unread events before ingest answers 429 RATE_LIMITED. */
  ingestMaxLag?: Partial<Record<TestJob, number>>
}

export interface TestServer {
  url: string
  wsUrl: string
  registry: Registry
  engines: Record<TestJob, EmbeddedHandle>
  /** Appends events to the job's HTTP source through its engine's gateway (what POST …/events does). */
  ingest(job: TestJob, events: unknown[], idempotencyKey?: string): Promise<IngestResult>
  /** The live value of a key through the engine's gateway; undefined when the key has none. */
  value(job: TestJob, state: string, key: Key): Promise<unknown>
  /** Open change-feed subscriptions of the state inside its engine. */
  subscriberCount(job: TestJob, state: string): number
  close(): Promise<void>
}

/** Every queryable state of the fixture jobs: the server starts once all of them have owners. */
export const CLICKS_STATES = [
  'last-click',
  'user-clicks',
  'user-time',
  'user-page',
  'page-views',
  'user-pages',
  'user-page-counts',
  'user-last-seen',
  'views-per-minute',
  'user-ids',
  'by-number',
  'notes',
  'events-by-id',
  'trips',
]
export const ORDERS_STATES = ['totals']

/** No periodic checkpoints: one is taken after seeding (so committed reads see the seed), savepoints on demand. */
const CHECKPOINT_INTERVAL_MS = 3_600_000

/**
 * Jobs: `clicks` (source `clicks`; states `page-views` string→number with /home 42, /blog/a 7,
 * /blog/b 9; `user-ids` bigint keys with 9007199254740993 → {name:'big'}; `by-number` number keys
 * with 5 → 'five'; and the other states of clicks-job.ts) and `orders` (source `orders`; state
 * `totals` with eu → 100).
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const { ingestMaxLag, ...serverOptions } = options
  const dir = await makeTempDir('server')
  const start = (job: JobDefinition<unknown>, maxLag: number | undefined) =>
    startEmbedded({
      job,
      serve: false,
      stateBackend: 'heap',
      stateDir: dir.path,
      parallelism: 1,
      checkpointInterval: CHECKPOINT_INTERVAL_MS,
      ...(maxLag === undefined ? {} : { ingestMaxLag: maxLag }),
    })
  const engines: Record<TestJob, EmbeddedHandle> = {
    clicks: await start(clicksJob, ingestMaxLag?.clicks),
    orders: await start(ordersJob, ingestMaxLag?.orders),
  }
  const source = { clicks: 'clicks', orders: 'orders' } as const
  const ingest = (job: TestJob, events: unknown[], idempotencyKey?: string) =>
    engines[job].proxy.ingest(job, source[job], events, idempotencyKey)
  const value = async (job: TestJob, state: string, key: Key) => {
    try {
      return (await engines[job].proxy.get(job, state, key)).value
    } catch (e) {
      if (e instanceof LivestateError && e.code === 'KEY_NOT_FOUND') return undefined
      throw e
    }
  }

  await ingest('clicks', [
    ...clicks('/home', 42),
    ...clicks('/blog/a', 7),
    ...clicks('/blog/b', 9),
    setKey('user-ids', '9007199254740993', { name: 'big' }),
    setKey('by-number', 5, 'five'),
  ])
  await ingest('orders', [setKey('totals', 'eu', 100)])
  await waitUntilServing(engines.clicks, CLICKS_STATES)
  await waitUntilServing(engines.orders, ORDERS_STATES)
  await waitForValue(() => value('clicks', 'page-views', '/blog/b'), 9)
  await waitForValue(() => value('clicks', 'user-ids', 9007199254740993n), { name: 'big' })
  await waitForValue(() => value('clicks', 'by-number', 5), 'five')
  await waitForValue(() => value('orders', 'totals', 'eu'), 100)
  for (const e of Object.values(engines)) await e.master.coordinator!.trigger()

  const registry = new Registry()
  const server = await createServer({
    gateway: new JobsGateway([engines.clicks.proxy, engines.orders.proxy]),
    host: '127.0.0.1',
    port: 0,
    metrics: registry,
    logger: pino({ level: 'silent' }),
    ...serverOptions,
  })
  return {
    url: server.url,
    wsUrl: `${server.url.replace(/^http/, 'ws')}/v1/ws`,
    registry,
    engines,
    ingest,
    value,
    subscriberCount: (job, state) => subscriberCount(engines[job], state),
    async close() {
      await server.close()
      for (const e of Object.values(engines)) await e.close()
      await dir.remove()
    },
  }
}

async function waitForValue(read: () => Promise<unknown>, expected: unknown, timeout = 15_000): Promise<void> {
  const deadline = Date.now() + timeout
  let last: unknown
  while (Date.now() < deadline) {
    last = await read()
    if (JSON.stringify(last) === JSON.stringify(expected)) return
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`seeding timed out: expected ${JSON.stringify(expected)}, last read ${JSON.stringify(last)}`)
}
