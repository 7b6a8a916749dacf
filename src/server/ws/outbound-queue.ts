// Frames waiting for a slow WebSocket consumer, pure (no I/O). Responses and status frames queue in
// order; subscription changes conflate: one pending slot per (subscription, key) holding the latest
// change, so a slow client gets each key's newest value with a `seq` jump instead of every step.
//
//   pushFrame(p)            → [... p]                 always delivered, in order
//   pushChange(slot, f)     → slot pending? replace its frame in place : [... slot]
//   shift()                 → oldest payload (a slot yields its latest frame)
//   dropSub(sub)            → forget everything queued for an unsubscribed subscription

export type Payload = string | Uint8Array

export interface ChangeFrameLike {
  sub: string
  type: 'snapshot' | 'update' | 'delete'
  epoch: number
  seq: number
}

type Item = { slot: string } | { payload: Payload; bytes: number; sub: string | undefined }

interface Slot<F extends ChangeFrameLike> {
  frame: F
  payload: Payload
  bytes: number
}

export function payloadBytes(payload: Payload): number {
  return typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength
}

/**
 * The frame that replaces `pending` when `next` arrives for the same slot. A snapshot that starts an
 * epoch stays a snapshot when later updates of that epoch are folded into it, so a client still
 * sees every new epoch begin with a snapshot frame (DESIGN §5).
 */
export function mergeChange<F extends ChangeFrameLike>(pending: F, next: F): F {
  if (pending.type === 'snapshot' && next.type === 'update' && pending.epoch === next.epoch)
    return { ...next, type: 'snapshot' }
  return next
}

export class OutboundQueue<F extends ChangeFrameLike = ChangeFrameLike> {
  #items: Item[] = []
  #head = 0
  #slots = new Map<string, Slot<F>>()
  #bytes = 0
  /** Changes replaced by a newer one before they were sent. */
  conflated = 0

  get bytes(): number {
    return this.#bytes
  }

  get length(): number {
    return this.#items.length - this.#head
  }

  pushFrame(payload: Payload, sub?: string): void {
    const bytes = payloadBytes(payload)
    this.#items.push({ payload, bytes, sub })
    this.#bytes += bytes
  }

  /** Queues a change; returns true when it replaced a pending change of the same slot. */
  pushChange(slot: string, frame: F, encode: (frame: F) => Payload): boolean {
    const pending = this.#slots.get(slot)
    if (pending === undefined) {
      const payload = encode(frame)
      const bytes = payloadBytes(payload)
      this.#slots.set(slot, { frame, payload, bytes })
      this.#items.push({ slot })
      this.#bytes += bytes
      return false
    }
    const merged = mergeChange(pending.frame, frame)
    const payload = encode(merged)
    const bytes = payloadBytes(payload)
    this.#bytes += bytes - pending.bytes
    this.#slots.set(slot, { frame: merged, payload, bytes })
    this.conflated++
    return true
  }

  shift(): Payload | undefined {
    while (this.#head < this.#items.length) {
      const item = this.#items[this.#head]!
      this.#items[this.#head] = { slot: '' }
      this.#head++
      this.#compact()
      if ('payload' in item) {
        this.#bytes -= item.bytes
        return item.payload
      }
      const slot = this.#slots.get(item.slot)
      if (slot === undefined) continue
      this.#slots.delete(item.slot)
      this.#bytes -= slot.bytes
      return slot.payload
    }
    return undefined
  }

  dropSub(sub: string): void {
    const kept: Item[] = []
    for (let i = this.#head; i < this.#items.length; i++) {
      const item = this.#items[i]!
      if ('payload' in item) {
        if (item.sub === sub) this.#bytes -= item.bytes
        else kept.push(item)
        continue
      }
      const slot = this.#slots.get(item.slot)
      if (slot === undefined) continue
      if (slot.frame.sub === sub) {
        this.#slots.delete(item.slot)
        this.#bytes -= slot.bytes
      } else kept.push(item)
    }
    this.#items = kept
    this.#head = 0
  }

  clear(): void {
    this.#items = []
    this.#head = 0
    this.#slots.clear()
    this.#bytes = 0
  }

  // Drops consumed items once they are most of the array, keeping shift() amortised O(1).
  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
  }
}
