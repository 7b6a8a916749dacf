// A point read waiting for its WebSocket answer: the hot path of the SDK. One object per attempt is
// the whole continuation — it decodes the answer, turns KEY_NOT_FOUND into undefined, and retries a
// retryable failure (retry.ts's policy) — so a read costs one frame each way, this object and the
// promise the caller awaits: no promise, closures or microtask hop of its own in between.
import { LivestateError } from '../protocol/livestate-error.ts'
import type { ResponseFrame } from '../protocol/messages.ts'
import { sleep } from './backoff.ts'
import { PendingRequest } from './request-manager.ts'
import { type RetryPolicy, retryDelay } from './retry.ts'
import { type StateInfo, type ValueSelection, decodeStateValue } from './state-codec.ts'

/** Where a retry goes: the state handle, which sends the next attempt (over the socket or HTTP). */
export interface GetAttempts<K, O, V> {
  readonly retryPolicy: RetryPolicy
  attemptGet(job: string, key: K, options: O, info: StateInfo | undefined, attempt: number): Promise<V | undefined>
}

export class PendingGet<K, O extends ValueSelection, V> extends PendingRequest {
  constructor(
    private readonly attempts: GetAttempts<K, O, V>,
    private readonly job: string,
    private readonly key: K,
    private readonly options: O,
    /** The state's description, to decode the value with; undefined: the caller decodes. */
    private readonly info: StateInfo | undefined,
    private readonly attempt: number,
    private readonly resolve: (value: V | undefined) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    super()
  }

  answer(frame: ResponseFrame): void {
    // Runs inside the socket's message handler: nothing may throw out of here.
    try {
      if (frame.ok) {
        const value = (frame as { value?: unknown }).value
        this.resolve((this.info === undefined ? value : decodeStateValue(this.info, value, this.options)) as V)
      } else if (frame.error?.code === 'KEY_NOT_FOUND') {
        this.resolve(undefined)
      } else {
        this.fail(LivestateError.fromBody(frame.error))
      }
    } catch (error) {
      this.reject(error)
    }
  }

  fail(error: unknown): void {
    const delay = retryDelay(error, this.attempt, this.attempts.retryPolicy)
    if (delay === undefined) {
      this.reject(error)
      return
    }
    sleep(delay)
      .then(() => this.attempts.attemptGet(this.job, this.key, this.options, this.info, this.attempt + 1))
      .then(this.resolve, this.reject)
  }
}
