// LocalChannel: a bounded queue of ChannelMessages between two tasks in one thread, with credit-based
// flow control (the sender may have at most `capacity` unconsumed messages in flight; a full channel
// makes the sender await, which back-pressures all the way to the sources). InputGate merges channels.
import type { ChannelMessage } from './stream-element.ts'

export class LocalChannel {
  private readonly queue: ChannelMessage[] = []
  private head = 0
  private creditWaiters: (() => void)[] = []
  gate: InputGate | undefined

  constructor(
    /** Position in the consuming InputGate; set when the gate is built. */
    public index: number,
    readonly inputIndex: 0 | 1,
    readonly capacity: number,
  ) {}

  get size(): number {
    return this.queue.length - this.head
  }

  hasCredit(): boolean {
    return this.size < this.capacity
  }

  /** Enqueues without waiting; callers check hasCredit() / await whenCredit() first. */
  push(message: ChannelMessage): void {
    this.queue.push(message)
    this.gate?.notify()
  }

  whenCredit(): Promise<void> {
    if (this.hasCredit()) return Promise.resolve()
    return new Promise((resolve) => this.creditWaiters.push(resolve))
  }

  poll(): ChannelMessage | undefined {
    if (this.head >= this.queue.length) return undefined
    const m = this.queue[this.head]!
    this.queue[this.head++] = undefined as unknown as ChannelMessage
    if (this.head > 64 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head)
      this.head = 0
    }
    if (this.creditWaiters.length > 0 && this.hasCredit()) {
      const waiters = this.creditWaiters
      this.creditWaiters = []
      for (const w of waiters) w()
    }
    return m
  }
}

/** Reads from several channels round-robin, skipping blocked ones (channels blocked by barrier alignment). */
export class InputGate {
  private next = 0
  private waiter: (() => void) | undefined
  private notified = false
  private readonly blocked = new Set<number>()

  constructor(readonly channels: LocalChannel[]) {
    channels.forEach((c, i) => {
      c.gate = this
      c.index = i
    })
  }

  notify(): void {
    const w = this.waiter
    if (w) {
      this.waiter = undefined
      w()
    } else this.notified = true
  }

  block(channelIndex: number): void {
    this.blocked.add(channelIndex)
  }

  unblockAll(): void {
    this.blocked.clear()
    this.notify()
  }

  poll(): { channel: LocalChannel; message: ChannelMessage } | undefined {
    const n = this.channels.length
    for (let i = 0; i < n; i++) {
      const c = this.channels[(this.next + i) % n]!
      if (this.blocked.has(c.index)) continue
      const m = c.poll()
      if (m !== undefined) {
        this.next = (this.next + i + 1) % n
        return { channel: c, message: m }
      }
    }
    return undefined
  }

  /**
   * Resolves when a channel may have data, or when notify() is called (mailbox work). A notify that
   * came while nobody waited is remembered: the task polls, then awaits its output flush, and a
   * producer may push in that gap; forgetting that wake-up would leave the task asleep for good.
   */
  available(): Promise<void> {
    if (this.notified) {
      this.notified = false
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      this.waiter = resolve
    })
  }
}
