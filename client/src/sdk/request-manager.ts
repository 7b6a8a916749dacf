// Requests in flight on one WebSocket, keyed by request id (tRPC's request manager): ids are unique
// per connection, answers are matched by id, and a dropped connection fails everything pending.
import { LivestateError } from '../protocol/livestate-error.ts'
import type { ResponseFrame } from '../protocol/messages.ts'

interface Pending {
  onAnswer: ((frame: ResponseFrame) => void) | undefined
  resolve: (frame: ResponseFrame) => void
  reject: (error: unknown) => void
  timer: ReturnType<typeof setTimeout> | undefined
}

export class RequestManager {
  private nextRequestId = 1
  private readonly pending = new Map<number, Pending>()

  get size(): number {
    return this.pending.size
  }

  /** An id for a frame whose answer nobody waits for; a late answer to it is ignored. */
  nextId(): number {
    return this.nextRequestId++
  }

  /**
   * Reserves an id and returns it with the promise of its answer (ok or error frame alike).
   * `onAnswer` runs synchronously on arrival, before the promise settles.
   */
  register(
    timeoutMs: number,
    onAnswer?: (frame: ResponseFrame) => void,
  ): { id: number; response: Promise<ResponseFrame> } {
    const id = this.nextRequestId++
    const response = new Promise<ResponseFrame>((resolve, reject) => {
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.pending.delete(id)
              reject(new LivestateError('TIMEOUT', `no answer to WebSocket request ${id} within ${timeoutMs} ms`))
            }, timeoutMs)
          : undefined
      this.pending.set(id, { onAnswer, resolve, reject, timer })
    })
    return { id, response }
  }

  /** Delivers an answer; returns false for an id nobody waits for (late or unknown). */
  resolve(frame: ResponseFrame): boolean {
    const p = this.pending.get(frame.id)
    if (p === undefined) return false
    this.pending.delete(frame.id)
    if (p.timer !== undefined) clearTimeout(p.timer)
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
    const p = this.pending.get(id)
    if (p === undefined) return
    this.pending.delete(id)
    if (p.timer !== undefined) clearTimeout(p.timer)
    p.reject(error)
  }

  rejectAll(error: unknown): void {
    for (const id of [...this.pending.keys()]) this.reject(id, error)
  }
}
