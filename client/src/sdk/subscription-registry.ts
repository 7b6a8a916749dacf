// Live subscriptions of one client: sends `subscribe` frames, binds the server's `sub` ids, routes
// change frames through each subscription's ResumeTracker, and resubscribes everything after a
// reconnect. Frames of a previous connection (old sub ids, old acks) are never delivered.
//
//   LocalSubscription:  pending ──ack──▶ bound ──socket drop──▶ pending (resubscribe on open) …
//                          │ retryable error: retry with backoff while the socket stays open
//                          └─ other error / close() / client.close() ──▶ closed (terminal)
import { LivestateError, isLivestateError } from '../protocol/livestate-error.ts'
import type { ChangeFrame, SubscribeSelector, SubscriptionFrame } from '../protocol/messages.ts'
import { type BackoffPolicy, backoffDelay } from './backoff.ts'
import type { Connection } from './connection.ts'
import { ResumeTracker } from './resume-tracker.ts'

export interface SubscriptionTarget {
  job: string
  state: string
  selector: SubscribeSelector
}

export interface SubscriptionListener {
  /** Only frames strictly newer (epoch, seq) than the last delivered for their key. */
  onChange(frame: ChangeFrame): void
  onStatus(state: 'restoring' | 'live'): void
  /** The server acknowledged the (re)subscription. */
  onReady(): void
  /** The subscription ended: with the reason, or undefined when closed by the caller/client. */
  onEnd(error: LivestateError | undefined): void
}

export class LocalSubscription {
  serverId: string | undefined
  closed = false
  readonly tracker = new ResumeTracker()

  constructor(
    readonly target: SubscriptionTarget,
    readonly listener: SubscriptionListener,
  ) {}
}

export interface SubscriptionRegistryOptions {
  /** Backoff for retryable subscribe errors; subscriptions retry for as long as they live. */
  retry: BackoffPolicy
  requestTimeoutMs: number
  onError(error: unknown): void
}

export class SubscriptionRegistry {
  private readonly subs = new Set<LocalSubscription>()
  private readonly byServerId = new Map<string, LocalSubscription>()
  /** Bumped on every socket open; work started under an older generation is stale. */
  private generation = 0

  constructor(
    private readonly connection: Connection,
    private readonly options: SubscriptionRegistryOptions,
  ) {}

  get size(): number {
    return this.subs.size
  }

  add(target: SubscriptionTarget, listener: SubscriptionListener): LocalSubscription {
    if (this.connection.state !== 'open') this.connection.connect() // throws once the client is closed
    const sub = new LocalSubscription(target, listener)
    this.subs.add(sub)
    if (this.connection.state === 'open') this.subscribe(sub, 0)
    return sub
  }

  /** Closes one subscription (idempotent); tells the server when the socket is open. */
  remove(sub: LocalSubscription, error?: LivestateError): void {
    if (sub.closed) return
    sub.closed = true
    this.subs.delete(sub)
    if (sub.serverId !== undefined) {
      this.byServerId.delete(sub.serverId)
      this.connection.sendIfOpen({ op: 'unsubscribe', sub: sub.serverId })
    }
    this.safely(() => sub.listener.onEnd(error))
  }

  removeAll(error?: LivestateError): void {
    for (const sub of [...this.subs]) this.remove(sub, error)
  }

  /** Socket (re)opened: every subscription subscribes again; old server ids are void. */
  onOpen(): void {
    this.generation++
    this.byServerId.clear()
    for (const sub of this.subs) {
      sub.serverId = undefined
      sub.tracker.resubscribed()
      this.subscribe(sub, 0)
    }
  }

  onFrame(frame: SubscriptionFrame): void {
    const sub = this.byServerId.get(frame.sub)
    if (sub === undefined || sub.closed) return
    if (frame.type === 'status') {
      this.safely(() => sub.listener.onStatus(frame.state))
      return
    }
    if (!sub.tracker.accept(frame.key, frame)) return
    this.safely(() => sub.listener.onChange(frame))
  }

  private subscribe(sub: LocalSubscription, attempt: number): void {
    const generation = this.generation
    const isCurrent = () => !sub.closed && generation === this.generation
    const { job, state, selector } = sub.target
    this.connection
      .request({ op: 'subscribe', job, state, ...selector }, this.options.requestTimeoutMs, (answer) => {
        if (!answer.ok || !('sub' in answer) || typeof answer.sub !== 'string') return
        if (!isCurrent()) {
          this.connection.sendIfOpen({ op: 'unsubscribe', sub: answer.sub })
          return
        }
        sub.serverId = answer.sub
        this.byServerId.set(answer.sub, sub)
      })
      .then(
        () => {
          if (!isCurrent()) return
          if (sub.serverId === undefined) {
            this.remove(sub, new LivestateError('INTERNAL', 'subscribe answered without a "sub" id'))
            return
          }
          this.safely(() => sub.listener.onReady())
        },
        (error: unknown) => {
          // A dropped socket is handled by onOpen of the next connection, not here.
          if (!isCurrent() || this.connection.state !== 'open') return
          const failure = isLivestateError(error)
            ? error
            : new LivestateError('INTERNAL', String(error), { cause: error })
          if (!failure.retryable) {
            this.remove(sub, failure)
            return
          }
          const delay =
            failure.retryAfter !== undefined ? failure.retryAfter * 1000 : backoffDelay(attempt, this.options.retry)
          setTimeout(() => {
            if (isCurrent() && this.connection.state === 'open') this.subscribe(sub, attempt + 1)
          }, delay)
        },
      )
  }

  private safely(fn: () => void): void {
    try {
      fn()
    } catch (error) {
      this.options.onError(error)
    }
  }
}
