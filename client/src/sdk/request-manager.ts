// Requests in flight on one WebSocket, keyed by request id (tRPC's request manager): ids are unique
// per connection, answers are matched by id, and a dropped connection fails everything pending.
// Deadlines share one timer, armed for the earliest: a timer per request cost more than the rest of
// the bookkeeping on the hot path (64 and more requests in flight). The timer is unref'd — the open
// socket is what keeps a process alive while answers are awaited — so it can stay armed when the
// last answer arrives instead of being cleared and set again for every burst of requests.
import { LivestateError } from '../protocol/livestate-error.ts'
import type { ResponseFrame } from '../protocol/messages.ts'

interface Pending {
  onAnswer: ((frame: ResponseFrame) => void) | undefined
  resolve: (frame: ResponseFrame) => void
  reject: (error: unknown) => void
  /** Date.now() after which the request fails with TIMEOUT; Infinity for none. */
  deadline: number
  timeoutMs: number
}

export class RequestManager {
  private nextRequestId = 1
  private readonly pending = new Map<number, Pending>()
  private timer: ReturnType<typeof setTimeout> | undefined
  private armedFor = Number.POSITIVE_INFINITY

  get size(): number {
    return this.pending.size
  }

  /** An id for a frame whose answer nobody waits for; a late answer to it is ignored. */
  nextId(): number {
    return this.nextRequestId++
  }

  /**
   * Reserves an id and returns it with the promise of its answer (ok or error frame alike).
   * `onAnswer` runs synchronously on arrival, before the promise settles. `timeoutMs` ≤ 0: no deadline.
   */
  register(
    timeoutMs: number,
    onAnswer?: (frame: ResponseFrame) => void,
  ): { id: number; response: Promise<ResponseFrame> } {
    const id = this.nextRequestId++
    const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Number.POSITIVE_INFINITY
    const response = new Promise<ResponseFrame>((resolve, reject) => {
      this.pending.set(id, { onAnswer, resolve, reject, deadline, timeoutMs })
    })
    if (deadline < this.armedFor) this.arm(deadline)
    return { id, response }
  }

  /** Delivers an answer; returns false for an id nobody waits for (late or unknown). */
  resolve(frame: ResponseFrame): boolean {
    const p = this.take(frame.id)
    if (p === undefined) return false
    try {
      p.onAnswer?.(frame)
    } catch (error) {
      p.reject(error)
      return true
    }
    p.resolve(frame)
    return true
  }

  reject(id: number, error: unknown): void {
    this.take(id)?.reject(error)
  }

  rejectAll(error: unknown): void {
    for (const id of [...this.pending.keys()]) this.reject(id, error)
  }

  private take(id: number): Pending | undefined {
    const p = this.pending.get(id)
    if (p === undefined) return undefined
    this.pending.delete(id)
    return p
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
    for (const [id, p] of this.pending) {
      if (p.deadline <= now) {
        this.pending.delete(id)
        p.reject(new LivestateError('TIMEOUT', `no answer to WebSocket request ${id} within ${p.timeoutMs} ms`))
      } else if (p.deadline < next) next = p.deadline
    }
    if (next !== Number.POSITIVE_INFINITY) this.arm(next)
  }
}
