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
  /**
   * Change frames are held (corked) until this flush runs — a shared timer, a few ms — so a busy
   * subscriber's changes leave in one write instead of one syscall each (Centrifugo's write delay).
   * Answers and status frames go out at the end of the turn. Absent: changes go out then too.
   */
  changeFlush?: FlushTimer
  capBytes: number
  graceMs: number
  closeTimeoutMs: number
  onSlowClose(): void
  onConflated(): void
  now?: () => number
}

const OPEN = 1
export const SLOW_CONSUMER_CODE = 4008
/** Held change frames are written once this many bytes wait (or the cap / 4, when smaller). */
const FLUSH_AT_BYTES = 64 * 1024

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
    if (this.#queue.length === 0 && this.#socket.bufferedAmount < this.#options.capBytes) this.#write(payload, true)
    else this.#queue.pushFrame(payload, sub)
    this.#check()
  }

  /** A subscription change; conflated with a pending change of the same slot (subscription, key). */
  sendChange(slot: string, frame: F, encode: (frame: F) => Payload): void {
    if (this.#closed) return
    if (this.#queue.length === 0 && this.#socket.bufferedAmount < this.#options.capBytes)
      this.#write(encode(frame), false)
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
  /** An uncork at the end of this turn is scheduled (a delayed one may be too). */
  #flushSoon = false
  readonly #uncork = (): void => {
    this.#flushSoon = false
    if (!this.#corked) return
    this.#corked = false
    this.#options.transport?.uncork()
  }

  /** `urgent`: an answer or status frame, out at the end of this turn; else a change, maybe later. */
  #write(payload: Payload, urgent: boolean): void {
    if (this.#socket.readyState !== OPEN) return
    const t = this.#options.transport
    if (t) {
      const delayed = !urgent && this.#options.changeFlush !== undefined
      if (!this.#corked) {
        // many changes arrive in one turn (a batch of records): one syscall instead of one per frame
        this.#corked = true
        t.cork()
        if (delayed) this.#options.changeFlush!.schedule(this.#uncork)
      }
      if (!delayed && !this.#flushSoon) {
        this.#flushSoon = true
        setImmediate(this.#uncork)
      }
    }
    this.#socket.send(payload, this.#afterWrite)
    // Held bytes count as unsent (bufferedAmount): write them now rather than look like a slow reader.
    if (this.#corked && this.#socket.bufferedAmount >= Math.min(FLUSH_AT_BYTES, this.#options.capBytes / 4))
      this.#uncork()
  }

  #pump(): void {
    if (this.#closed) return
    while (this.#queue.length > 0 && this.#socket.bufferedAmount < this.#options.capBytes) {
      const payload = this.#queue.shift()
      if (payload !== undefined) this.#write(payload, true)
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

/** One timer for the delayed flushes of every connection of an endpoint. */
export class FlushTimer {
  #due: (() => void)[] = []
  #timer: NodeJS.Timeout | undefined

  constructor(readonly delayMs: number) {}

  schedule(flush: () => void): void {
    this.#due.push(flush)
    if (this.#timer === undefined) {
      this.#timer = setTimeout(this.#run, this.delayMs)
      this.#timer.unref()
    }
  }

  readonly #run = (): void => {
    const due = this.#due
    this.#due = []
    this.#timer = undefined
    for (const flush of due) flush()
  }
}
