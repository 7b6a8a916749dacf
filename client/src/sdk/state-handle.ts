// One queryable state of one job: point, batch and range reads (HTTP, or the WebSocket when open or
// asked for) with retries, and live subscriptions. Implements every handle shape of client-types.ts.
import type { ErrorCode } from '../protocol/error-codes.ts'
import type { EntriesBody, GetBody, GetManyBody } from '../protocol/http-bodies.ts'
import { type Key, keyId } from '../protocol/keys.ts'
import { LivestateError, isLivestateError } from '../protocol/livestate-error.ts'
import {
  type GetManyEntry,
  MAX_KEYS_PER_REQUEST,
  type SubscribeSelector,
  type WindowSelector,
  type WireReadOptions,
} from '../protocol/messages.ts'
import type { ClientCore } from './client-core.ts'
import type {
  ChangeMeta,
  EntriesOptions,
  ReadOptions,
  SubscribeOptions,
  SubscribeSelection,
  Subscription,
  WatchEvent,
} from './client-types.ts'
import { sleep } from './backoff.ts'
import { PendingGet } from './pending-get.ts'
import { type RetryPolicy, retryDelay, withRetry } from './retry.ts'
import { type StateInfo, decodeStateKey, decodeStateValue } from './state-codec.ts'
import { watchSubscription } from './watch.ts'

type GetOptions = ReadOptions & { mapKey?: Key; window?: WindowSelector }

const NO_OPTIONS: GetOptions = Object.freeze({})

function decodeWith(info: StateInfo | undefined, value: unknown, options: GetOptions): unknown {
  return info === undefined ? value : decodeStateValue(info, value, options)
}

/** Answers to the state's description that a subscription would get too, whatever the token's scopes. */
const SUBSCRIPTION_ENDING_CODES: ReadonlySet<ErrorCode> = new Set(['UNAUTHORIZED', 'UNKNOWN_JOB', 'UNKNOWN_STATE'])

export class StateHandleImpl<K extends Key, V> {
  /** The state's description, once one succeeded (the hot path then decodes without waiting). */
  private described: { job: string; info: StateInfo } | undefined

  constructor(
    private readonly core: ClientCore,
    /** undefined: the client's default job, resolved on first use. */
    readonly job: string | undefined,
    readonly name: string,
  ) {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError('state name must be a non-empty string')
  }

  private resolveJob(): Promise<string> {
    return this.job === undefined ? this.core.jobName() : Promise.resolve(this.job)
  }

  private statePath(job: string, ...rest: string[]): string[] {
    return ['v1', 'jobs', job, 'states', this.name, ...rest]
  }

  private timeoutFor(options: ReadOptions): number {
    return this.core.requestTimeoutMs + (options.timeout ?? 0)
  }

  private static query(options: GetOptions): Record<string, string | number | undefined> {
    return {
      consistency: options.consistency,
      minCheckpoint: options.minCheckpoint,
      timeout: options.timeout,
      mapKey: options.mapKey === undefined ? undefined : keyParam(options.mapKey),
      window: options.window,
    }
  }

  /** Adds the read options that are set to a WS frame (absent ones stay absent, as on the wire). */
  private static withWireOptions<F extends object>(frame: F, options: GetOptions): F {
    const f = frame as F & WireReadOptions
    if (options.consistency !== undefined) f.consistency = options.consistency
    if (options.minCheckpoint !== undefined) f.minCheckpoint = options.minCheckpoint
    if (options.timeout !== undefined) f.timeout = options.timeout
    if (options.mapKey !== undefined) f.mapKey = options.mapKey
    if (options.window !== undefined) f.window = options.window
    return f
  }

  /** The state's description once it is known; undefined until then (and after failures). */
  private describedAs(job: string): StateInfo | undefined {
    return this.described?.job === job ? this.described.info : undefined
  }

  // The hot path of the SDK: once the job and the state's description are known, a point read over
  // the open socket is one frame each way, one PendingGet and the promise returned here.
  get(key: K, options: GetOptions = NO_OPTIONS): Promise<V | undefined> {
    if (this.job === undefined) return this.core.jobName().then((job) => this.getIn(job, key, options))
    return this.getIn(this.job, key, options)
  }

  private getIn(job: string, key: K, options: GetOptions): Promise<V | undefined> {
    // (No named closures on this path: tsx's keepNames wraps each one in a defineProperty call.)
    const known = this.describedAs(job)
    if (known !== undefined) return this.attemptGet(job, key, options, known, 0)
    // First read of this state: describe it alongside, decode once both are in.
    const info = this.describe(job)
    return this.attemptGet(job, key, options, undefined, 0).then((value) =>
      value === undefined ? undefined : info.then((i) => decodeStateValue(i, value, options) as V),
    )
  }

  /** The state's description (cached by the core); remembered here once it succeeded. */
  private describe(job: string): Promise<StateInfo> {
    return this.core.stateInfo(job, this.name).then((info) => {
      if (info.error === undefined) this.described = { job, info }
      return info
    })
  }

  get retryPolicy(): RetryPolicy {
    return this.core.retry
  }

  /**
   * Attempt number `attempt` of a read: the value (decoded with `info` when given), or undefined when
   * the key has none. A retryable failure waits and tries again within the same chain — withRetry's
   * policy without its extra promise per read. (Called by PendingGet for retries: not private.)
   */
  attemptGet(
    job: string,
    key: K,
    options: GetOptions,
    info: StateInfo | undefined,
    attempt: number,
  ): Promise<V | undefined> {
    if (this.core.usesWebSocket(options.transport)) {
      // `id` is set by the connection; present from the start so the frame keeps one shape.
      const frame = StateHandleImpl.withWireOptions({ id: 0, op: 'get' as const, job, state: this.name, key }, options)
      const timeoutMs = this.timeoutFor(options)
      return new Promise((resolve, reject) => {
        this.core.connection.dispatch(
          frame,
          new PendingGet(this, job, key, options, info, attempt, resolve, reject),
          timeoutMs,
        )
      })
    }
    return this.getOverHttp(job, key, options).then(
      (value) => (value === undefined ? undefined : (decodeWith(info, value, options) as V)),
      (error: unknown) => {
        if (isLivestateError(error) && error.code === 'KEY_NOT_FOUND') return undefined
        return this.retryGet(error, job, key, options, info, attempt)
      },
    )
  }

  private retryGet(
    error: unknown,
    job: string,
    key: K,
    options: GetOptions,
    info: StateInfo | undefined,
    attempt: number,
  ): Promise<V | undefined> {
    const delay = retryDelay(error, attempt, this.core.retry)
    if (delay === undefined) return Promise.reject(error)
    return sleep(delay).then(() => this.attemptGet(job, key, options, info, attempt + 1))
  }

  /** The raw value over HTTP, or undefined when the key has none. */
  private async getOverHttp(job: string, key: K, options: GetOptions): Promise<unknown> {
    if (typeof key === 'string' || typeof key === 'number' || typeof key === 'bigint') {
      const body = await this.core.http.request<GetBody>({
        method: 'GET',
        path: this.statePath(job, 'keys', String(key)),
        query: StateHandleImpl.query(options),
        timeoutMs: this.timeoutFor(options),
      })
      return body.value
    }
    // Booleans and composite keys have no path form: POST …/get with one key.
    const [entry] = await this.getManyPage(job, [key], options)
    if (entry === undefined) return undefined
    if ('error' in entry) {
      if (entry.error.code === 'KEY_NOT_FOUND') return undefined
      throw LivestateError.fromBody(entry.error)
    }
    return entry.value
  }

  private async getManyPage(job: string, keys: readonly Key[], options: GetOptions): Promise<GetManyEntry[]> {
    if (this.core.usesWebSocket(options.transport)) {
      const answer = await this.core.connection.request(
        StateHandleImpl.withWireOptions({ op: 'getMany' as const, job, state: this.name, keys: [...keys] }, options),
        this.timeoutFor(options),
      )
      return (answer as { entries?: GetManyEntry[] }).entries ?? []
    }
    const body = await this.core.http.request<GetManyBody>({
      method: 'POST',
      path: this.statePath(job, 'get'),
      query: StateHandleImpl.query(options),
      body: { keys },
      timeoutMs: this.timeoutFor(options),
    })
    return body.entries
  }

  async getMany(keys: readonly K[], options: ReadOptions = {}): Promise<Map<K, V>> {
    if (keys.length === 0) return new Map()
    const job = await this.resolveJob()
    const infoPromise = this.core.stateInfo(job, this.name)
    const chunks: K[][] = []
    for (let i = 0; i < keys.length; i += MAX_KEYS_PER_REQUEST) chunks.push(keys.slice(i, i + MAX_KEYS_PER_REQUEST))
    const pages = await Promise.all(
      chunks.map((chunk) =>
        withRetry(async () => {
          const entries = await this.getManyPage(job, chunk, options)
          // A per-key error other than "not found" fails the batch (retried when retryable).
          for (const e of entries) {
            if ('error' in e && e.error.code !== 'KEY_NOT_FOUND') throw LivestateError.fromBody(e.error)
          }
          return entries
        }, this.core.retry),
      ),
    )
    const info = await infoPromise
    const result = new Map<K, V>()
    pages.forEach((entries, page) => {
      const asked = chunks[page] ?? []
      // Entries come in request order; fall back to matching by key if the server disagrees.
      const byId = entries.length === asked.length ? undefined : new Map(asked.map((k) => [keyId(k), k]))
      entries.forEach((entry, i) => {
        if ('error' in entry) return
        const key = byId === undefined ? asked[i] : byId.get(keyId(entry.key))
        if (key !== undefined) result.set(key, decodeStateValue(info, entry.value) as V)
      })
    })
    return result
  }

  async *entries(options: EntriesOptions = {}): AsyncIterableIterator<{ key: K; value: V }> {
    const job = await this.resolveJob()
    const info = await this.core.stateInfo(job, this.name)
    let cursor: string | undefined
    do {
      const query = {
        prefix: options.prefix,
        from: options.from === undefined ? undefined : keyParam(options.from),
        to: options.to === undefined ? undefined : keyParam(options.to),
        limit: options.pageSize,
        cursor,
        consistency: options.consistency,
        minCheckpoint: options.minCheckpoint,
        timeout: options.timeout,
      }
      const page = await withRetry(
        () =>
          this.core.http.request<EntriesBody>({
            method: 'GET',
            path: this.statePath(job, 'entries'),
            query,
            timeoutMs: this.timeoutFor(options),
          }),
        this.core.retry,
      )
      for (const e of page.entries) {
        yield { key: decodeStateKey(info, e.key) as K, value: decodeStateValue(info, e.value) as V }
      }
      const next = page.cursor ?? undefined
      if (next !== undefined && next === cursor) {
        throw new LivestateError('INTERNAL', `entries of ${this.name}: the server repeated cursor ${next}`)
      }
      cursor = next
    } while (cursor !== undefined)
  }

  subscribe(
    selection: SubscribeSelection<K>,
    callback: (value: V | undefined, key: K, meta: ChangeMeta) => void,
    options: SubscribeOptions = {},
  ): Subscription {
    return this.subscribeWithEnd(selection, callback, options, (error) => {
      if (error === undefined) return
      if (options.onError) options.onError(error)
      else this.core.reportError(error)
    })
  }

  /** `onEnd` runs once when the subscription ends: with the error, or undefined when closed. */
  private subscribeWithEnd(
    selection: SubscribeSelection<K>,
    callback: (value: V | undefined, key: K, meta: ChangeMeta) => void,
    options: SubscribeOptions,
    onEnd: (error: LivestateError | undefined) => void,
  ): Subscription {
    const selector = toSelector(selection)
    // Explicit keys come back as the very keys the caller passed (JSON may have stringified bigints).
    const asked = 'keys' in selector ? new Map(selector.keys.map((k) => [keyId(k), k as K])) : undefined
    let resolveReady!: () => void
    let rejectReady!: (e: unknown) => void
    const ready = new Promise<void>((resolve, reject) => {
      resolveReady = resolve
      rejectReady = reject
    })
    ready.catch(() => {}) // observed through onError when nobody awaits `ready`
    let local: ReturnType<ClientCore['registry']['add']> | undefined
    let closed = false
    const end = (error: LivestateError | undefined) => {
      if (closed) return
      closed = true
      rejectReady(
        error ?? new LivestateError('INTERNAL', 'subscription closed before it was ready', { retryable: false }),
      )
      onEnd(error)
    }
    const handle: Subscription = {
      ready,
      get closed() {
        return closed
      },
      close: () => {
        if (closed) return
        if (local) this.core.registry.remove(local)
        else end(undefined)
      },
    }
    this.resolveJob()
      .then(async (job) => {
        const info: StateInfo = await this.core.stateInfo(job, this.name)
        if (closed) return
        // The description says no subscription can succeed: end now. Over the socket the same answer
        // would come as an error frame in Node, but a browser never learns why an upgrade was refused
        // (a missing or bad token) and would retry forever. FORBIDDEN is not final: a token may have
        // `subscribe` without `read`.
        if (info.error !== undefined && SUBSCRIPTION_ENDING_CODES.has(info.error.code)) {
          end(info.error)
          return
        }
        local = this.core.registry.add(
          { job, state: this.name, selector },
          {
            onChange: (frame) => {
              const key = (asked?.get(keyId(frame.key)) ?? decodeStateKey(info, frame.key)) as K
              const value = frame.type === 'delete' ? undefined : (decodeStateValue(info, frame.value) as V)
              callback(value, key, { type: frame.type, epoch: frame.epoch, seq: frame.seq })
            },
            onStatus: (state) => options.onStatus?.(state),
            onReady: () => resolveReady(),
            onEnd: end,
          },
        )
      })
      .catch((error: unknown) => {
        end(isLivestateError(error) ? error : new LivestateError('INTERNAL', String(error), { cause: error }))
      })
    return handle
  }

  watch(
    selection: SubscribeSelection<K>,
    options: Omit<SubscribeOptions, 'onError'> = {},
  ): AsyncIterableIterator<WatchEvent<K, V>> {
    return watchSubscription<K, V>((callback, onEnd) => this.subscribeWithEnd(selection, callback, options, onEnd))
  }
}

function toSelector(selection: SubscribeSelection<Key>): SubscribeSelector {
  if (Array.isArray(selection)) {
    if (selection.length === 0) throw new TypeError('subscribe needs at least one key')
    return { keys: [...selection] }
  }
  const s = selection as { prefix?: unknown; all?: unknown }
  if (typeof s.prefix === 'string') return { prefix: s.prefix }
  if (s.all === true) return { all: true }
  throw new TypeError('subscribe needs an array of keys, { prefix } or { all: true }')
}

/**
 * A key as a query parameter (`from`, `to`, `mapKey`): a scalar as its string form, a composite
 * key as JSON with bigints as decimal strings.
 */
function keyParam(key: Key): string {
  return Array.isArray(key) ? JSON.stringify(key.map((k) => (typeof k === 'bigint' ? k.toString() : k))) : String(key)
}
