// Resource limits of the HTTP and WebSocket servers, with their defaults. Every limit is a positive
// integer; createServer rejects anything else with a TypeError (a programmer mistake, not a request).

export interface ServerLimits {
  /** Request body cap for every route except ingest (bytes). */
  bodyBytes: number
  /** Request body cap for `POST …/sources/:source/events` (bytes). */
  ingestBodyBytes: number
  /** Keys in one batch get, one WS getMany or one WS subscribe. */
  batchKeys: number
  /** Largest `limit` of an entries page. */
  scanLimit: number
  /** Largest `timeout` (ms) a client may ask the server to wait for `minCheckpoint`. */
  maxWaitMs: number
  /** Nesting depth accepted in request bodies (JSON and msgpack). */
  maxDepth: number
  /** Node http server: time to receive the request headers (ms). */
  headersTimeoutMs: number
  /** Node http server: time to receive the whole request (ms). */
  requestTimeoutMs: number
  /** Largest WebSocket message (bytes); a bigger one closes the socket with 1009. */
  wsFrameBytes: number
  /** Open subscriptions per WebSocket connection. */
  wsSubscriptions: number
  /** Requests (get/getMany) in flight per WebSocket connection. */
  wsInFlight: number
  /** Bytes a connection may be behind (socket buffer + pending queue) before updates are conflated. */
  wsBufferBytes: number
  /** How long a connection may stay behind its buffer cap before it is closed with 4008 (ms). */
  wsSlowGraceMs: number
  /** After a 4008 close, how long to wait for the close handshake before dropping the socket (ms). */
  wsCloseTimeoutMs: number
}

export const DEFAULT_LIMITS: Readonly<ServerLimits> = Object.freeze({
  bodyBytes: 1 << 20,
  ingestBodyBytes: 8 << 20,
  batchKeys: 1000,
  scanLimit: 1000,
  maxWaitMs: 60_000,
  maxDepth: 64,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  wsFrameBytes: 64 * 1024,
  wsSubscriptions: 1000,
  wsInFlight: 256,
  wsBufferBytes: 1 << 20,
  wsSlowGraceMs: 5_000,
  wsCloseTimeoutMs: 5_000,
})

export function resolveLimits(overrides: Partial<ServerLimits> | undefined): ServerLimits {
  const limits: ServerLimits = { ...DEFAULT_LIMITS }
  for (const [name, value] of Object.entries(overrides ?? {})) {
    if (!Object.hasOwn(DEFAULT_LIMITS, name)) throw new TypeError(`unknown server limit "${name}"`)
    if (value === undefined) continue
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
      throw new TypeError(`server limit "${name}" must be a positive integer, got ${String(value)}`)
    }
    limits[name as keyof ServerLimits] = value
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new TypeError('server limit "headersTimeoutMs" must not exceed "requestTimeoutMs"')
  }
  return limits
}
