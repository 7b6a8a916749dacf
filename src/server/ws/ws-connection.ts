// One WebSocket connection: decodes client frames, runs ops, answers in the frame kind received,
// and owns the connection's subscriptions and sender. Nothing a client sends can throw out of here:
// a bad frame gets an error frame `{id?, ok:false, error}` and the connection stays open.
import { type ClientFrame, LivestateError } from '@livestate/client'
import type { Logger } from 'pino'
import type { QueryGateway } from '../../query/query-gateway.ts'
import { type Principal, unknownJob } from '../auth.ts'
import type { WireFormat } from '../encoding.ts'
import { toLivestateError } from '../errors.ts'
import type { ServerLimits } from '../limits.ts'
import type { ServerMetrics } from '../metrics.ts'
import { type RawFrame, decodeClientFrame, encodeServerFrame } from './frame-codec.ts'
import { OPS, type OpContext } from './ws-ops.ts'
import { type FlushTimer, WsSender, type WsSocket } from './ws-sender.ts'
import { type ChangeFrame, WsSubscriptions } from './ws-subscriptions.ts'

export interface WsConnectionDeps {
  gateway: QueryGateway
  principal: Principal
  limits: ServerLimits
  metrics: ServerMetrics
  logger: Logger
  /** The endpoint's shared delayed flush of change frames. */
  changeFlush?: FlushTimer
}

export class WsConnection {
  readonly #deps: WsConnectionDeps
  readonly #sender: WsSender<ChangeFrame>
  readonly #subscriptions: WsSubscriptions
  #inFlight = 0
  #closed = false

  constructor(socket: WsSocket, deps: WsConnectionDeps) {
    this.#deps = deps
    const { limits, metrics, logger } = deps
    const transport = (socket as unknown as { _socket?: { cork(): void; uncork(): void } })._socket
    this.#sender = new WsSender<ChangeFrame>(socket, {
      ...(transport && typeof transport.cork === 'function' ? { transport } : {}),
      ...(deps.changeFlush ? { changeFlush: deps.changeFlush } : {}),
      capBytes: limits.wsBufferBytes,
      graceMs: limits.wsSlowGraceMs,
      closeTimeoutMs: limits.wsCloseTimeoutMs,
      onConflated: () => metrics.wsConflated.inc(),
      onSlowClose: () => {
        metrics.wsSlowCloses.inc()
        logger.warn({ principal: deps.principal.label }, 'closing WebSocket 4008: consumer too slow')
        this.#release()
      },
    })
    this.#subscriptions = new WsSubscriptions({
      gateway: deps.gateway,
      sender: this.#sender,
      maxSubscriptions: limits.wsSubscriptions,
      onCountChange: (delta) => metrics.wsSubscriptions.inc(delta),
      onListenerError: (err) => logger.error({ err }, 'WebSocket subscription listener failed'),
    })
    metrics.wsConnections.inc()
  }

  handleMessage(data: RawFrame): void {
    if (this.#closed) return
    const decoded = decodeClientFrame(data, {
      maxBytes: this.#deps.limits.wsFrameBytes,
      maxDepth: this.#deps.limits.maxDepth,
    })
    if ('error' in decoded) {
      this.#deps.metrics.wsFrames.inc({ op: 'invalid' })
      const frame =
        decoded.id === undefined
          ? { ok: false, error: decoded.error.toBody() }
          : { id: decoded.id, ok: false, error: decoded.error.toBody() }
      this.#reply(decoded.format, frame)
      return
    }
    this.#deps.metrics.wsFrames.inc({ op: decoded.frame.op })
    void this.#run(decoded.frame, decoded.format)
  }

  /** The socket closed (either side): release subscriptions and timers. */
  dispose(): void {
    this.#release()
    this.#sender.dispose()
  }

  /** Server shutdown: close with `code` and release everything. */
  shutdown(code: number, reason: string): void {
    this.#release()
    this.#sender.close(code, reason)
  }

  #release(): void {
    if (this.#closed) return
    this.#closed = true
    this.#subscriptions.closeAll()
    this.#deps.metrics.wsConnections.dec()
  }

  async #run(frame: ClientFrame, format: WireFormat): Promise<void> {
    const counted = frame.op === 'get' || frame.op === 'getMany'
    try {
      if (counted && this.#inFlight >= this.#deps.limits.wsInFlight) {
        throw new LivestateError(
          'RATE_LIMITED',
          `more than ${this.#deps.limits.wsInFlight} requests in flight on this connection`,
          { retryAfter: 1 },
        )
      }
      if (counted) this.#inFlight++
      const ctx: OpContext = {
        gateway: this.#deps.gateway,
        principal: this.#deps.principal,
        limits: this.#deps.limits,
        subscriptions: this.#subscriptions,
        format,
        reply: (answer) => this.#reply(format, answer),
      }
      try {
        const answer = await (OPS[frame.op] as (ctx: OpContext, f: ClientFrame) => Promise<object | undefined>)(
          ctx,
          frame,
        )
        if (answer !== undefined) this.#reply(format, answer)
      } finally {
        if (counted) this.#inFlight--
      }
    } catch (e) {
      const { error, unexpected } = toLivestateError(e)
      if (unexpected) this.#deps.logger.error({ err: e, op: frame.op }, 'WebSocket op failed unexpectedly')
      const body = error.code === 'UNKNOWN_JOB' && 'job' in frame ? unknownJob(frame.job).toBody() : error.toBody()
      this.#reply(format, { id: frame.id, ok: false, error: body })
    }
  }

  #reply(format: WireFormat, frame: object): void {
    if (this.#closed) return
    this.#sender.sendFrame(encodeServerFrame(frame, format))
  }
}
