// One connection's subscriptions: opens them on the gateway, numbers them (s1, s2, …), turns the
// gateway's ChangeEvents into subscription frames and hands them to the sender for conflation.
// Events the gateway delivers while subscribe() is still running (the snapshot) wait until the
// `{ok:true, sub}` answer has been sent, so the answer always precedes the subscription's frames.
import { LivestateError } from '@livestate/client'
import { type Key, keyToString } from '../../keys/key-codec.ts'
import type { ChangeEvent, ChangeSubscription, QueryGateway, SubscriptionSelector } from '../../query/query-gateway.ts'
import type { WireFormat } from '../encoding.ts'
import { encodeServerFrame } from './frame-codec.ts'
import { stringifyJson } from '../json-codec.ts'
import type { WsSender } from './ws-sender.ts'

export type ChangeFrame =
  | { sub: string; type: 'snapshot' | 'update'; key: Key; value: unknown; epoch: number; seq: number }
  | { sub: string; type: 'delete'; key: Key; epoch: number; seq: number }

interface ActiveSub {
  id: string
  format: WireFormat
  handle: ChangeSubscription | undefined
  early: ChangeEvent[] | undefined
}

export interface WsSubscriptionsDeps {
  gateway: QueryGateway
  sender: WsSender<ChangeFrame>
  maxSubscriptions: number
  onCountChange(delta: number): void
  onListenerError(error: unknown): void
}

export class WsSubscriptions {
  readonly #deps: WsSubscriptionsDeps
  readonly #subs = new Map<string, ActiveSub>()
  #next = 0

  constructor(deps: WsSubscriptionsDeps) {
    this.#deps = deps
  }

  get size(): number {
    return this.#subs.size
  }

  /** Subscribes; `ack(subId)` must send the answer frame. Throws LivestateError (nothing stays open). */
  open(
    job: string,
    state: string,
    selector: SubscriptionSelector,
    format: WireFormat,
    ack: (sub: string) => void,
  ): void {
    if (this.#subs.size >= this.#deps.maxSubscriptions) {
      throw new LivestateError('BAD_REQUEST', `at most ${this.#deps.maxSubscriptions} subscriptions per connection`)
    }
    const sub: ActiveSub = { id: `s${++this.#next}`, format, handle: undefined, early: [] }
    this.#subs.set(sub.id, sub)
    try {
      sub.handle = this.#deps.gateway.subscribe(job, state, selector, (e) => this.#onEvent(sub, e))
    } catch (e) {
      this.#subs.delete(sub.id)
      throw e
    }
    this.#deps.onCountChange(1)
    ack(sub.id)
    const early = sub.early ?? []
    sub.early = undefined
    for (const e of early) this.#onEvent(sub, e)
  }

  /** Returns false when no such subscription is open. */
  close(id: string): boolean {
    const sub = this.#subs.get(id)
    if (sub === undefined) return false
    this.#subs.delete(id)
    this.#deps.sender.dropSub(id)
    this.#deps.onCountChange(-1)
    this.#release(sub)
    return true
  }

  closeAll(): void {
    for (const id of [...this.#subs.keys()]) this.close(id)
  }

  #release(sub: ActiveSub): void {
    try {
      sub.handle?.close()
    } catch (e) {
      this.#deps.onListenerError(e)
    }
  }

  // Called by the gateway: must never throw back into it.
  #onEvent(sub: ActiveSub, e: ChangeEvent): void {
    if (this.#subs.get(sub.id) !== sub) return
    if (sub.early !== undefined) {
      sub.early.push(e)
      return
    }
    try {
      const encode = (frame: unknown) => encodeServerFrame(frame, sub.format)
      if (e.type !== 'status' && sub.format === 'json') {
        // one JSON body per change, shared by every subscriber; only the sub id differs
        const body = sharedJsonBody(e)
        const frame: ChangeFrame =
          e.type === 'delete'
            ? { sub: sub.id, type: 'delete', key: e.key, epoch: e.epoch, seq: e.seq }
            : { sub: sub.id, type: e.type, key: e.key, value: e.value, epoch: e.epoch, seq: e.seq }
        const head = `{"sub":${JSON.stringify(sub.id)},`
        this.#deps.sender.sendChange(`${sub.id}\u0000${keyToString(e.key)}`, frame, (f) =>
          f === frame ? head + body.slice(1) : encode(f),
        )
        return
      }
      if (e.type === 'status') {
        this.#deps.sender.sendFrame(encode({ sub: sub.id, type: 'status', state: e.state }), sub.id)
        return
      }
      const frame: ChangeFrame =
        e.type === 'delete'
          ? { sub: sub.id, type: 'delete', key: e.key, epoch: e.epoch, seq: e.seq }
          : { sub: sub.id, type: e.type, key: e.key, value: e.value, epoch: e.epoch, seq: e.seq }
      this.#deps.sender.sendChange(`${sub.id}\u0000${keyToString(e.key)}`, frame, encode)
    } catch (error) {
      this.#deps.onListenerError(error)
    }
  }
}

const jsonBodies = new WeakMap<object, string>()

/** The JSON of a change without its `sub` field, computed once per change event. */
function sharedJsonBody(e: Exclude<ChangeEvent, { type: 'status' }>): string {
  let body = jsonBodies.get(e)
  if (body === undefined) {
    body = stringifyJson(
      e.type === 'delete'
        ? { type: 'delete', key: e.key, epoch: e.epoch, seq: e.seq }
        : { type: e.type, key: e.key, value: e.value, epoch: e.epoch, seq: e.seq },
    )
    jsonBodies.set(e, body)
  }
  return body
}
