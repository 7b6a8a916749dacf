// Requests in flight on one WebSocket, keyed by request id (tRPC's request manager): ids are unique
// per connection, answers are matched by id, and a dropped connection fails everything pending.
//
// What waits for an answer is a PendingRequest object, so the hot path (state-handle's point reads)
// keeps one object per request — its own continuation — instead of a promise, its resolving functions
// and closures. Deadlines share one timer, armed for the earliest: a timer per request cost more than
// the rest of the bookkeeping (64 and more requests in flight). The timer is unref'd — the open socket
// is what keeps a process alive while answers are awaited — so it can stay armed when the last answer
// arrives instead of being cleared and set again for every burst of requests.
import { LivestateError } from '../protocol/livestate-error.ts'
import type { ResponseFrame } from '../protocol/messages.ts'

/** One request waiting for its answer: exactly one of `answer` / `fail` is called, once. */
export abstract class PendingRequest {
  /** Date.now() after which the request fails with TIMEOUT; Infinity for none (set by the manager). */
  deadline = Number.POSITIVE_INFINITY
  timeoutMs = 0
  /** The answer, ok or error frame alike. Runs synchronously on arrival, before later frames. */
  abstract answer(frame: ResponseFrame): void
  /** No answer will come: TIMEOUT, the socket was lost, the frame could not be sent, client closed. */
  abstract fail(error: unknown): void
}

/** A request whose answer is a promise (every request but the hot path's). */
class PromiseRequest extends PendingRequest {
  resolve!: (frame: ResponseFrame) => void
  reject!: (error: unknown) => void
  constructor(private readonly onAnswer: ((frame: ResponseFrame) => void) | undefined) {
    super()
  }
  answer(frame: ResponseFrame): void {
    try {
      this.onAnswer?.(frame)
    } catch (error) {
      this.reject(error)
      return
    }
    this.resolve(frame)
  }
  fail(error: unknown): void {
    this.reject(error)
  }
}

export class RequestManager {
  private nextRequestId = 1
  private readonly pending = new Map<number, PendingRequest>()
  private timer: ReturnType<typeof setTimeout> | undefined
  private armedFor = Number.POSITIVE_INFINITY

  get size(): number {
    return this.pending.size
  }

  /** An id for a frame whose answer nobody waits for; a late answer to it is ignored. */
  nextId(): number {
    return this.nextRequestId++
  }

  /** Reserves an id for `request`, which fails with TIMEOUT after `timeoutMs` (≤ 0: no deadline). */
  add(request: PendingRequest, timeoutMs: number): number {
    const id = this.nextRequestId++
    request.timeoutMs = timeoutMs
    if (timeoutMs > 0) {
      const deadline = Date.now() + timeoutMs
      request.deadline = deadline
      if (deadline < this.armedFor) this.arm(deadline)
    }
    this.pending.set(id, request)
    return id
  }

  /**
   * Reserves an id and returns it with the promise of its answer (ok or error frame alike).
   * `onAnswer` runs synchronously on arrival, before the promise settles. `timeoutMs` ≤ 0: no deadline.
   */
  register(
    timeoutMs: number,
    onAnswer?: (frame: ResponseFrame) => void,
  ): { id: number; response: Promise<ResponseFrame> } {
    const { request, response } = RequestManager.promised(onAnswer)
    return { id: this.add(request, timeoutMs), response }
  }

  /** A request whose answer (ok or error frame alike) settles `response`; `onAnswer` runs first. */
  static promised(onAnswer?: (frame: ResponseFrame) => void): {
    request: PendingRequest
    response: Promise<ResponseFrame>
  } {
    const request = new PromiseRequest(onAnswer)
    const response = new Promise<ResponseFrame>((resolve, reject) => {
      request.resolve = resolve
      request.reject = reject
    })
    return { request, response }
  }

  /** Delivers an answer; returns false for an id nobody waits for (late or unknown). */
  resolve(frame: ResponseFrame): boolean {
    const request = this.take(frame.id)
    if (request === undefined) return false
    request.answer(frame)
    return true
  }

  reject(id: number, error: unknown): void {
    this.take(id)?.fail(error)
  }

  rejectAll(error: unknown): void {
    for (const id of [...this.pending.keys()]) this.reject(id, error)
  }

  private take(id: number): PendingRequest | undefined {
    const request = this.pending.get(id)
    if (request === undefined) return undefined
    this.pending.delete(id)
    return request
  }

  private arm(deadline: number): void {
    clearTimeout(this.timer)
    this.armedFor = deadline
    const timer = setTimeout(() => this.expire(), Math.max(0, deadline - Date.now()))
    ;(timer as { unref?: () => void }).unref?.() // Node; browsers' timers keep nothing alive
    this.timer = timer
  }

  /** Fails every request past its deadline and arms the timer for the next one. */
  private expire(): void {
    this.timer = undefined
    this.armedFor = Number.POSITIVE_INFINITY
    const now = Date.now()
    let next = Number.POSITIVE_INFINITY
    for (const [id, request] of this.pending) {
      if (request.deadline <= now) {
        this.pending.delete(id)
        request.fail(
          new LivestateError('TIMEOUT', `no answer to WebSocket request ${id} within ${request.timeoutMs} ms`),
        )
      } else if (request.deadline < next) next = request.deadline
    }
    if (next !== Number.POSITIVE_INFINITY) this.arm(next)
  }
}
