// The public shapes of the SDK (DESIGN §6): client options, per-call options, and the state handles,
// one per kind family so that `get` has the right overloads. One runtime class implements them all.
import type { Consistency, JobSummary } from '../protocol/http-bodies.ts'
import type { Key } from '../protocol/keys.ts'
import type { LivestateError } from '../protocol/livestate-error.ts'
import type { WindowSelector } from '../protocol/messages.ts'
import type { FetchLike } from './http-transport.ts'
import type {
  JobLike,
  KeyOf,
  MapKeyOf,
  MapValueOf,
  QueryableDescriptor,
  QueryableNamed,
  StateNamesOf,
  UntypedJob,
  ValueOf,
} from './job-types.ts'
import type { WebSocketConstructorLike } from './websocket-impl.ts'

export type Transport = 'auto' | 'http' | 'ws'

export interface ClientOptions {
  /** Base URL of the livestate server, e.g. `http://127.0.0.1:8080`. */
  url: string
  /** Bearer token (sent as `Authorization` over HTTP and `access_token` on the WebSocket URL). */
  token?: string
  /**
   * The job `client.state()` addresses: its name, or the job definition itself (only `.name` is read).
   * When omitted, the client asks `GET /v1/jobs` and uses the only job running there.
   */
  job?: string | { readonly name: string }
  /** Wire encoding for HTTP bodies and WebSocket frames. Default `json`. */
  encoding?: 'json' | 'msgpack'
  fetch?: FetchLike
  /** WebSocket class; default `globalThis.WebSocket`, else the `ws` package loaded on first use. */
  WebSocket?: WebSocketConstructorLike
  /** How one-off reads travel. `auto` (default): over the WebSocket when it is open, else HTTP. */
  transport?: Transport
  /** Retries of retryable errors for reads: default `{ retries: 3, baseDelayMs: 100, maxDelayMs: 5000 }`. */
  retry?: { retries?: number; baseDelayMs?: number; maxDelayMs?: number }
  /** Reconnect backoff for the WebSocket: default `{ baseDelayMs: 250, maxDelayMs: 10000 }`. */
  reconnect?: { baseDelayMs?: number; maxDelayMs?: number }
  /** Client-side deadline per request, added to any server-side `timeout`. Default 30 s. */
  requestTimeoutMs?: number
  /** Errors nobody can catch (malformed server frames, throwing callbacks). Default: console.warn. */
  onError?: (error: unknown) => void
}

export interface ReadOptions {
  /** `live` (default, newest, may regress across epochs) or `committed` (last checkpoint). */
  consistency?: Consistency
  /** Wait (up to `timeout` ms, server-side) for checkpoint ≥ N, else NOT_CAUGHT_UP. */
  minCheckpoint?: number
  timeout?: number
  transport?: Transport
}

export interface EntriesOptions extends ReadOptions {
  prefix?: string
  from?: Key
  to?: Key
  /** Entries per HTTP page (`limit`, ≤ 1000). */
  pageSize?: number
}

/** Keys to watch: a list of keys, every key with a string prefix, or every key. */
export type SubscribeSelection<K> = readonly K[] | { prefix: string } | { all: true }

export interface ChangeMeta {
  type: 'snapshot' | 'update' | 'delete'
  epoch: number
  seq: number
}

export interface SubscribeOptions {
  /** The subscription ended with an error (non-retryable, or the upgrade was refused). */
  onError?: (error: LivestateError) => void
  /** The owner is restoring after a failover, or live again. */
  onStatus?: (state: 'restoring' | 'live') => void
}

export interface Subscription {
  /** Resolves when the server acknowledged the subscription; rejects if it never will. */
  readonly ready: Promise<void>
  readonly closed: boolean
  close(): void
}

export interface WatchEvent<K, V> {
  type: 'snapshot' | 'update' | 'delete'
  key: K
  /** undefined for `delete`. */
  value: V | undefined
  meta: ChangeMeta
}

interface StateHandleBase<K, V> {
  readonly job: string | undefined
  readonly name: string
  /** Values of the keys found, keyed by the keys you passed; missing keys are omitted. */
  getMany(keys: readonly K[], options?: ReadOptions): Promise<Map<K, V>>
  /** Entries in ascending key order, following cursors page by page. */
  entries(options?: EntriesOptions): AsyncIterableIterator<{ key: K; value: V }>
  subscribe(
    selection: SubscribeSelection<K>,
    callback: (value: V | undefined, key: K, meta: ChangeMeta) => void,
    options?: SubscribeOptions,
  ): Subscription
  /** The same as subscribe, as an async iterator; `break` closes the subscription. */
  watch(
    selection: SubscribeSelection<K>,
    options?: Omit<SubscribeOptions, 'onError'>,
  ): AsyncIterableIterator<WatchEvent<K, V>>
}

export interface StateHandle<K, V> extends StateHandleBase<K, V> {
  get(key: K, options?: ReadOptions): Promise<V | undefined>
}

export interface MapStateHandle<K, UK, UV> extends StateHandleBase<K, Map<UK, UV>> {
  /** One entry of the map. */
  get(key: K, options: ReadOptions & { mapKey: UK }): Promise<UV | undefined>
  get(key: K, options?: ReadOptions): Promise<Map<UK, UV> | undefined>
}

export interface WindowStateHandle<K, W> extends StateHandleBase<K, W> {
  /** Every in-flight window of the key, ascending by start. */
  get(key: K, options: ReadOptions & { window: 'all' }): Promise<W[] | undefined>
  /** The latest window (default) or the one starting at `window`. */
  get(key: K, options?: ReadOptions & { window?: 'latest' | number }): Promise<W | undefined>
}

/** Handle without a job type: V is what you say; kind-specific options are all accepted. */
export interface UntypedStateHandle<K, V> extends StateHandleBase<K, V> {
  get(key: K, options?: ReadOptions & { mapKey?: Key; window?: WindowSelector }): Promise<V | undefined>
}

export type StateHandleFor<Q extends QueryableDescriptor> = Q['kind'] extends 'map'
  ? MapStateHandle<KeyOf<Q>, MapKeyOf<Q['value']>, MapValueOf<Q['value']>>
  : Q['kind'] extends 'window'
    ? WindowStateHandle<KeyOf<Q>, Q['value']>
    : StateHandle<KeyOf<Q>, ValueOf<Q>>

export interface JobHandle {
  readonly name: string
  state<K extends Key = Key, V = unknown>(name: string): UntypedStateHandle<K, V>
}

type StateMethod<J> = J extends UntypedJob
  ? <K extends Key = Key, V = unknown>(name: string) => UntypedStateHandle<K, V>
  : <N extends StateNamesOf<J>>(name: N) => StateHandleFor<QueryableNamed<J, N>>

export interface LivestateClient<J extends JobLike = UntypedJob> {
  /** A state of the client's job (`job` option, or the only job on the server). */
  state: StateMethod<J>
  /** Any job by name, untyped. */
  job(name: string): JobHandle
  jobs(): Promise<JobSummary[]>
  /** Closes the WebSocket and ends every subscription. */
  close(): Promise<void>
}
