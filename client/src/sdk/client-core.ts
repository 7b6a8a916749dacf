// Everything state handles share within one client: the HTTP transport, the WebSocket connection and
// its subscription registry, retry policy, the default job, and a cache of state descriptions
// (kind and key type, needed to decode map values and JSON bigint keys).
import type { JobSummary, JobsBody, StateDescription } from '../protocol/http-bodies.ts'
import { LivestateError, isLivestateError } from '../protocol/livestate-error.ts'
import type { BackoffPolicy } from './backoff.ts'
import type { ClientOptions, Transport } from './client-types.ts'
import { Connection, type Encoding } from './connection.ts'
import { HttpTransport } from './http-transport.ts'
import { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetry } from './retry.ts'
import type { StateInfo } from './state-codec.ts'
import { SubscriptionRegistry } from './subscription-registry.ts'

const DEFAULT_RECONNECT: BackoffPolicy = { baseDelayMs: 250, maxDelayMs: 10_000 }
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000

export class ClientCore {
  readonly http: HttpTransport
  readonly connection: Connection
  readonly registry: SubscriptionRegistry
  readonly retry: RetryPolicy
  readonly requestTimeoutMs: number
  readonly transport: Transport
  readonly encoding: Encoding
  private readonly stateInfos = new Map<string, Promise<StateInfo>>()
  private defaultJob: Promise<string> | undefined

  constructor(private readonly options: ClientOptions) {
    if (typeof options?.url !== 'string') throw new TypeError('createClient needs { url }')
    this.encoding = options.encoding ?? 'json'
    if (this.encoding !== 'json' && this.encoding !== 'msgpack') {
      throw new TypeError(`encoding must be 'json' or 'msgpack', not ${String(this.encoding)}`)
    }
    this.transport = options.transport ?? 'auto'
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry }
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
    this.http = new HttpTransport({
      baseUrl: options.url,
      token: options.token,
      encoding: this.encoding,
      fetch: options.fetch,
    })
    this.connection = new Connection(
      {
        url: webSocketUrl(options.url, options.token),
        encoding: this.encoding,
        WebSocket: options.WebSocket,
        reconnect: { ...DEFAULT_RECONNECT, ...options.reconnect },
      },
      {
        onOpen: () => this.registry.onOpen(),
        onSubscriptionFrame: (frame) => this.registry.onFrame(frame),
        onFatal: (error) => this.registry.removeAll(error),
        hasDemand: () => this.registry.size > 0,
        onError: (error) => this.reportError(error),
      },
    )
    this.registry = new SubscriptionRegistry(this.connection, {
      retry: { ...DEFAULT_RECONNECT, ...options.reconnect },
      requestTimeoutMs: this.requestTimeoutMs,
      onError: (error) => this.reportError(error),
    })
    const job = options.job
    if (job !== undefined) this.defaultJob = Promise.resolve(typeof job === 'string' ? job : job.name)
  }

  reportError(error: unknown): void {
    if (this.options.onError) this.options.onError(error)
    else console.warn('[livestate client]', error)
  }

  /** Reads over the socket when asked to, or (auto) when one is already open. */
  usesWebSocket(transport: Transport | undefined): boolean {
    const t = transport ?? this.transport
    return t === 'ws' || (t === 'auto' && this.connection.state === 'open')
  }

  /** The job named in the options, else the only job the server runs. */
  jobName(): Promise<string> {
    if (this.defaultJob === undefined) {
      const lookup = this.jobs().then((jobs) => {
        const only = jobs.length === 1 ? jobs[0] : undefined
        if (only === undefined) {
          const names = jobs.map((j) => j.name).join(', ') || 'none'
          throw new LivestateError(
            'UNKNOWN_JOB',
            `cannot pick a job: the server runs ${jobs.length} (${names}); pass { job } to createClient`,
          )
        }
        return only.name
      })
      this.defaultJob = lookup
      lookup.catch(() => {
        if (this.defaultJob === lookup) this.defaultJob = undefined
      })
    }
    return this.defaultJob
  }

  async jobs(): Promise<JobSummary[]> {
    const body = await withRetry(
      () => this.http.request<JobsBody>({ method: 'GET', path: ['v1', 'jobs'], timeoutMs: this.requestTimeoutMs }),
      this.retry,
    )
    return body.jobs
  }

  /**
   * The state's kind and key type, fetched once. A failed description does not fail the caller's
   * read (which reports its own error); values then pass through undecoded. Transient failures
   * are not cached.
   */
  stateInfo(job: string, state: string): Promise<StateInfo> {
    const cacheKey = `${job}\u0000${state}`
    let info = this.stateInfos.get(cacheKey)
    if (info === undefined) {
      info = this.http
        .request<StateDescription>({
          method: 'GET',
          path: ['v1', 'jobs', job, 'states', state],
          timeoutMs: this.requestTimeoutMs,
        })
        .then(
          (d): StateInfo => ({ kind: d.kind, keyType: d.keyType }),
          (error: unknown): StateInfo => {
            if (!isLivestateError(error) || error.retryable) this.stateInfos.delete(cacheKey)
            return isLivestateError(error) ? { error } : {}
          },
        )
      this.stateInfos.set(cacheKey, info)
    }
    return info
  }

  async close(): Promise<void> {
    const closing = this.connection.close()
    this.registry.removeAll()
    await closing
  }
}

/** http(s)://host/base → ws(s)://host/base/v1/ws[?access_token=…] (browsers cannot set headers). */
export function webSocketUrl(url: string, token: string | undefined): string {
  const u = new URL(url)
  u.protocol = u.protocol === 'https:' ? 'wss:' : u.protocol === 'http:' ? 'ws:' : u.protocol
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/v1/ws`
  u.search = ''
  u.hash = ''
  if (token !== undefined) u.searchParams.set('access_token', token)
  return u.toString()
}
