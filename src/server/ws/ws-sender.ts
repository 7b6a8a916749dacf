// Writes one connection's frames with slow-consumer protection. "Behind" = bytes the socket has
// not flushed (ws.bufferedAmount) + bytes queued here. Below the cap frames go straight out; above
// it they queue (changes conflated per key), the socket stops reading the client's frames, and a
// connection behind for longer than the grace period is closed with 4008 "consumer too slow".
//
//   writing ──behind > cap──▶ behind (queue, conflate, pause reads) ──drained──▶ writing
//                                 └──behind for > graceMs──▶ closed 4008 (terminated after closeTimeoutMs)
import { type ChangeFrameLike, OutboundQueue, type Payload } from './outbound-queue.ts'

/** The part of a `ws` WebSocket the sender uses (a fake in unit tests). */
export interface WsSocket {
  readonly bufferedAmount: number
  readonly readyState: number
  send(data: Payload, cb?: (err?: Error) => void): void
  close(code?: number, reason?: string): void
  terminate(): void
  pause(): void
  resume(): void
}

export interface WsSenderOptions {
  /** The TCP socket under the WebSocket: frames written in one event-loop turn go out in one write. */
  transport?: { cork(): void; uncork(): void }
  capBytes: number
  graceMs: number
  closeTimeoutMs: number
  onSlowClose(): void
  onConflated(): void
  now?: () => number
}

const OPEN = 1
export const SLOW_CONSUMER_CODE = 4008

export class WsSender<F extends ChangeFrameLike = ChangeFrameLike> {
  readonly #socket: WsSocket
  readonly #options: WsSenderOptions
  readonly #queue = new OutboundQueue<F>()
  readonly #now: () => number
  #behindSince: number | undefined
  #timer: NodeJS.Timeout | undefined
  #terminateTimer: NodeJS.Timeout | undefined
  #closed = false
  readonly #afterWrite = (): void => {
    if (this.#queue.length > 0 || this.#behindSince !== undefined) this.#pump()
  }

  constructor(socket: WsSocket, options: WsSenderOptions) {
    this.#socket = socket
    this.#options = options
    this.#now = options.now ?? Date.now
  }

  get isClosed(): boolean {
    return this.#closed
  }

  /** Bytes queued here, not yet handed to the socket. */
  get queuedBytes(): number {
    return this.#queue.bytes
  }

  /** A response or status frame: never dropped, sent in order. */
  sendFrame(payload: Payload, sub?: string): void {
    if (this.#closed) return
    if (this.#queue.length === 0 && this.#socket.bufferedAmount < this.#options.capBytes) this.#write(payload)
    else this.#queue.pushFrame(payload, sub)
    this.#check()
  }

  /** A subscription change; conflated with a pending change of the same slot (subscription, key). */
  sendChange(slot: string, frame: F, encode: (frame: F) => Payload): void {
    if (this.#closed) return
    if (this.#queue.length === 0 && this.#socket.bufferedAmount < this.#options.capBytes) this.#write(encode(frame))
    else if (this.#queue.pushChange(slot, frame, encode)) this.#options.onConflated()
    this.#check()
  }

  dropSub(sub: string): void {
    this.#queue.dropSub(sub)
  }

  /** Closes the socket (server shutdown); queued frames are dropped. */
  close(code: number, reason: string): void {
    if (this.#closed) return
    this.#stop()
    if (this.#socket.readyState === OPEN) this.#socket.close(code, reason)
  }

  /** The socket has closed: stop every timer and forget the queue. */
  dispose(): void {
    this.#stop()
    if (this.#terminateTimer !== undefined) clearTimeout(this.#terminateTimer)
    this.#terminateTimer = undefined
  }

  #stop(): void {
    this.#closed = true
    this.#queue.clear()
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
  }

  #corked = false
  readonly #uncork = (): void => {
    this.#corked = false
    this.#options.transport?.uncork()
  }

  #write(payload: Payload): void {
    if (this.#socket.readyState !== OPEN) return
    const t = this.#options.transport
    if (t && !this.#corked) {
      // many changes arrive in one turn (a batch of records): one syscall instead of one per frame
      this.#corked = true
      t.cork()
      setImmediate(this.#uncork)
    }
    this.#socket.send(payload, this.#afterWrite)
  }

  #pump(): void {
    if (this.#closed) return
    while (this.#queue.length > 0 && this.#socket.bufferedAmount < this.#options.capBytes) {
      const payload = this.#queue.shift()
      if (payload !== undefined) this.#write(payload)
    }
    this.#check()
  }

  #check(): void {
    if (this.#closed) return
    const behind = this.#socket.bufferedAmount + this.#queue.bytes
    if (behind > this.#options.capBytes) {
      if (this.#behindSince === undefined) {
        this.#behindSince = this.#now()
        this.#socket.pause()
      } else if (this.#now() - this.#behindSince > this.#options.graceMs) {
        this.#closeSlow()
        return
      }
    } else if (this.#behindSince !== undefined) {
      this.#behindSince = undefined
      this.#socket.resume()
    }
    if (this.#queue.length > 0 || this.#behindSince !== undefined) this.#startTimer()
    else if (this.#timer !== undefined) {
      clearInterval(this.#timer)
      this.#timer = undefined
    }
  }

  #startTimer(): void {
    if (this.#timer !== undefined) return
    const tick = Math.max(5, Math.min(100, Math.floor(this.#options.graceMs / 5)))
    this.#timer = setInterval(() => this.#pump(), tick)
    this.#timer.unref()
  }

  // The close frame queues behind the unread data; a client that never reads would hold the socket
  // open, so it is terminated after closeTimeoutMs. Reads resume so the close handshake can finish.
  #closeSlow(): void {
    this.#stop()
    this.#options.onSlowClose()
    this.#socket.resume()
    if (this.#socket.readyState === OPEN) this.#socket.close(SLOW_CONSUMER_CODE, 'consumer too slow')
    this.#terminateTimer = setTimeout(() => this.#socket.terminate(), this.#options.closeTimeoutMs)
    this.#terminateTimer.unref()
  }
}
