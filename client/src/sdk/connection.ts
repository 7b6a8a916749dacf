// The one shared WebSocket of a client: opens it on demand, pipelines requests through the
// RequestManager, hands subscription frames to the registry, and reconnects with backoff while
// anything still needs a socket. The lifecycle is the table in connection-state.ts.
import {
  DEFAULT_DECODE_LIMITS,
  type DecodeLimits,
  decodeUntrustedMsgpack,
  encodeMsgpackFrame,
} from '../protocol/codec.ts'
import { decodeJson, encodeJson } from '../protocol/json.ts'
import { LivestateError } from '../protocol/livestate-error.ts'
import {
  type ClientFrame,
  type ResponseFrame,
  type SubscriptionFrame,
  isResponseFrame,
  isSubscriptionFrame,
} from '../protocol/messages.ts'
import { type BackoffPolicy, backoffDelay } from './backoff.ts'
import { type ConnectionEvent, type ConnectionState, nextConnectionState } from './connection-state.ts'
import { type PendingRequest, RequestManager } from './request-manager.ts'
import {
  type WebSocketConstructorLike,
  type WebSocketLike,
  corkableTransport,
  onMessageData,
  resolveWebSocket,
} from './websocket-impl.ts'

export type Encoding = 'json' | 'msgpack'

/** Frames from our server may be larger than the server accepts from clients. */
const SERVER_FRAME_LIMITS: DecodeLimits = {
  ...DEFAULT_DECODE_LIMITS,
  maxBytes: 64 << 20,
  maxLength: 10_000_000,
  maxDepth: 64,
}
const CLOSE_WAIT_MS = 2_000
/** Frames per write when several are sent in one tick (see coalesceWrites). */
const WRITE_BATCH = 8

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never
export type OutgoingFrame = DistributiveOmit<ClientFrame, 'id'>

export interface ConnectionHooks {
  /** Called each time a socket opens (first time and after every reconnect). */
  onOpen(): void
  onSubscriptionFrame(frame: SubscriptionFrame): void
  /** The server refused the upgrade for good (401/403/…): nothing will work until fixed. */
  onFatal(error: LivestateError): void
  /** Whether anything (subscriptions) still needs a socket after a drop. */
  hasDemand(): boolean
  /** Errors with nobody to throw them at (malformed frames from the server). */
  onError(error: unknown): void
  onStateChange?(state: ConnectionState): void
}

export interface ConnectionOptions {
  url: string
  encoding: Encoding
  WebSocket: WebSocketConstructorLike | undefined
  reconnect: BackoffPolicy
}

export class Connection {
  private current: ConnectionState = 'idle'
  private socket: WebSocketLike | undefined
  private attempt = 0
  private retryTimer: ReturnType<typeof setTimeout> | undefined
  private openWaiters: { resolve: () => void; reject: (e: unknown) => void }[] = []
  private closeWaiters: (() => void)[] = []
  private upgradeStatus: number | undefined
  /** A write batch is open (see coalesceWrites). */
  /** Frames held (corked) in the TCP socket this tick; see coalesceWrites. */
  private held = 0
  private heldIn: { cork(): void; uncork(): void } | undefined
  readonly requests = new RequestManager()

  constructor(
    private readonly options: ConnectionOptions,
    private readonly hooks: ConnectionHooks,
  ) {}

  get state(): ConnectionState {
    return this.current
  }

  /** Starts connecting if idle; no-op while a connection exists or is being retried. */
  connect(): void {
    if (this.current === 'closed') throw new TypeError('the livestate client is closed')
    const before = this.current
    if (this.fire('connect') && before === 'idle') void this.openSocket()
  }

  /** Resolves once the socket is open (connecting if needed). */
  whenOpen(timeoutMs: number): Promise<void> {
    if (this.current === 'open') return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.openWaiters = this.openWaiters.filter((w) => w !== waiter)
              reject(new LivestateError('TIMEOUT', `WebSocket not open within ${timeoutMs} ms`))
            }, timeoutMs)
          : undefined
      const waiter = {
        resolve: () => {
          clearTimeout(timer)
          resolve()
        },
        reject: (e: unknown) => {
          clearTimeout(timer)
          reject(e)
        },
      }
      this.openWaiters.push(waiter)
      try {
        this.connect()
      } catch (e) {
        this.openWaiters = this.openWaiters.filter((w) => w !== waiter)
        waiter.reject(e)
      }
    })
  }

  /**
   * Sends a request and resolves with its ok answer; an error answer is thrown as LivestateError.
   * `onAnswer` runs synchronously when the answer arrives, before any later frame is handled — the
   * registry binds a subscription id there so the snapshot frames right behind the ack find it.
   */
  request(frame: OutgoingFrame, timeoutMs: number, onAnswer?: (frame: ResponseFrame) => void): Promise<ResponseFrame> {
    const { request, response } = RequestManager.promised(onAnswer)
    this.dispatch(frame as ClientFrame, request, timeoutMs)
    return response.then(okOrThrow)
  }

  /**
   * The hot path's send: `frame` (its `id` is overwritten here, so pass a fresh object) goes out with
   * `request` waiting for the answer; every failure — no socket, TIMEOUT, client closed — reaches
   * `request.fail`, never the caller. While open the frame goes out synchronously.
   */
  dispatch(frame: ClientFrame, request: PendingRequest, timeoutMs: number): void {
    if (this.current !== 'open') {
      this.whenOpen(timeoutMs).then(
        () => this.dispatch(frame, request, timeoutMs),
        (error: unknown) => request.fail(error),
      )
      return
    }
    const id = this.requests.add(request, timeoutMs)
    frame.id = id
    try {
      this.send(frame)
    } catch (error) {
      this.requests.reject(id, error)
    }
  }

  /** Fire-and-forget frame (unsubscribe); dropped silently when no socket is open. */
  sendIfOpen(frame: OutgoingFrame): void {
    if (this.current !== 'open') return
    try {
      const wire = frame as ClientFrame
      wire.id = this.requests.nextId()
      this.send(wire)
    } catch (error) {
      this.hooks.onError(error)
    }
  }

  close(): Promise<void> {
    if (this.current === 'closed') return Promise.resolve()
    this.fire('close')
    clearTimeout(this.retryTimer)
    const closedError = new LivestateError('INTERNAL', 'the livestate client was closed', { retryable: false })
    this.requests.rejectAll(closedError)
    this.rejectOpenWaiters(closedError)
    const socket = this.socket
    if (socket === undefined) return Promise.resolve()
    return new Promise<void>((resolve) => {
      const timer = setTimeout(finish, CLOSE_WAIT_MS)
      function finish() {
        clearTimeout(timer)
        resolve()
      }
      this.closeWaiters.push(finish)
      socket.close(1000, 'client closed')
    })
  }

  private fire(event: ConnectionEvent): boolean {
    const next = nextConnectionState(this.current, event)
    if (next === undefined) return false
    const changed = next !== this.current
    this.current = next
    if (changed) this.hooks.onStateChange?.(next)
    return true
  }

  private send(frame: ClientFrame): void {
    const socket = this.socket
    if (socket === undefined || this.current !== 'open') {
      throw new LivestateError('INTERNAL', 'WebSocket is not open', { retryable: true })
    }
    this.coalesceWrites(socket)
    if (this.options.encoding === 'json') {
      socket.send(encodeJson(frame))
      return
    }
    // No copy: msgpackr returns a view of its shared buffer and never writes over it again (later packs
    // continue behind it; a full buffer is replaced, not reused). An `undefined` field is written as
    // msgpackr's `undefined`, which the server's decoder reads as an absent field.
    socket.send(encodeMsgpackFrame(frame))
  }

  /**
   * Frames sent in one tick (a batch of answers handled, each sending the next request) leave in
   * writes of up to WRITE_BATCH frames, not one syscall each. Small batches rather than one per tick:
   * the server starts on the first frames while later ones are still being sent, so the two sides
   * work in parallel instead of in lockstep. Nothing is held past the current tick.
   */
  private coalesceWrites(socket: WebSocketLike): void {
    if (this.heldIn !== undefined) {
      if (++this.held < WRITE_BATCH) return
      this.heldIn.uncork()
      this.heldIn.cork()
      this.held = 1
      return
    }
    const tcp = corkableTransport(socket)
    if (tcp === undefined) return
    tcp.cork()
    this.heldIn = tcp
    this.held = 1
    queueMicrotask(this.releaseWrites)
  }

  private readonly releaseWrites = (): void => {
    const tcp = this.heldIn
    this.heldIn = undefined
    this.held = 0
    tcp?.uncork()
  }

  private async openSocket(): Promise<void> {
    let Ctor: WebSocketConstructorLike
    let socket: WebSocketLike
    try {
      Ctor = await resolveWebSocket(this.options.WebSocket)
      if (this.current !== 'connecting') return
      socket = new Ctor(this.options.url)
    } catch (error) {
      // No WebSocket class or an unusable URL: no retry can fix it.
      this.fire('dropped')
      const fatal = new LivestateError('BAD_REQUEST', (error as Error).message, { cause: error })
      this.hooks.onFatal(fatal)
      this.rejectOpenWaiters(fatal)
      this.fire('release')
      return
    }
    this.socket = socket
    this.upgradeStatus = undefined
    // Browsers deliver Blobs unless told otherwise; we decode ArrayBuffers. `ws` delivers Buffers
    // (Uint8Arrays) by default: kept, as converting costs a copy per message.
    if (socket.binaryType !== 'nodebuffer') socket.binaryType = 'arraybuffer'
    socket.onopen = () => {
      if (this.socket !== socket) return
      if (!this.fire('opened')) return
      this.attempt = 0
      const waiters = this.openWaiters
      this.openWaiters = []
      for (const w of waiters) w.resolve()
      this.hooks.onOpen()
    }
    onMessageData(socket, (data) => {
      if (this.socket === socket) this.receive(data)
    })
    socket.onerror = (event) => {
      // `ws` reports a refused upgrade as "Unexpected server response: 401"; browsers say nothing.
      const message = String((event as { message?: unknown }).message ?? '')
      const m = /Unexpected server response: (\d{3})/.exec(message)
      if (m) this.upgradeStatus = Number(m[1])
    }
    socket.onclose = () => {
      if (this.socket !== socket) return
      this.socket = undefined
      this.dropped()
    }
  }

  private dropped(): void {
    const waiters = this.closeWaiters
    this.closeWaiters = []
    for (const w of waiters) w()
    if (!this.fire('dropped')) return
    this.requests.rejectAll(
      new LivestateError('INTERNAL', 'WebSocket connection lost before the answer', { retryable: true }),
    )
    const fatal = fatalUpgradeError(this.upgradeStatus)
    if (fatal !== undefined) {
      this.hooks.onFatal(fatal)
      this.rejectOpenWaiters(fatal)
    }
    if (this.openWaiters.length === 0 && !this.hooks.hasDemand()) {
      this.fire('release')
      return
    }
    const delay = backoffDelay(this.attempt++, this.options.reconnect)
    this.retryTimer = setTimeout(() => {
      if (this.fire('retry')) void this.openSocket()
    }, delay)
  }

  private rejectOpenWaiters(error: unknown): void {
    const waiters = this.openWaiters
    this.openWaiters = []
    for (const w of waiters) w.reject(error)
  }

  private receive(data: unknown): void {
    let frame: unknown
    try {
      if (typeof data === 'string') frame = decodeJson(data)
      else if (data instanceof ArrayBuffer) frame = decodeUntrustedMsgpack(new Uint8Array(data), SERVER_FRAME_LIMITS)
      else if (data instanceof Uint8Array) frame = decodeUntrustedMsgpack(data, SERVER_FRAME_LIMITS)
      else throw new TypeError(`unsupported WebSocket message type ${Object.prototype.toString.call(data)}`)
    } catch (cause) {
      this.hooks.onError(
        new LivestateError('INTERNAL', `malformed frame from server: ${(cause as Error).message}`, { cause }),
      )
      return
    }
    if (isResponseFrame(frame)) {
      this.requests.resolve(frame)
    } else if (isSubscriptionFrame(frame)) {
      this.hooks.onSubscriptionFrame(frame)
    } else {
      this.hooks.onError(
        new LivestateError('INTERNAL', `unexpected frame from server: ${encodeJson(frame).slice(0, 200)}`),
      )
    }
  }
}

function okOrThrow(answer: ResponseFrame): ResponseFrame {
  if (!answer.ok) throw LivestateError.fromBody(answer.error)
  return answer
}

function fatalUpgradeError(status: number | undefined): LivestateError | undefined {
  if (status === undefined || status === 408 || status === 429 || status < 400 || status >= 500) return undefined
  if (status === 401)
    return new LivestateError('UNAUTHORIZED', 'WebSocket upgrade refused: 401 (missing or invalid token)')
  if (status === 403)
    return new LivestateError('FORBIDDEN', 'WebSocket upgrade refused: 403 (token scope or Origin not allowed)')
  return new LivestateError('BAD_REQUEST', `WebSocket upgrade refused with HTTP ${status}`)
}
