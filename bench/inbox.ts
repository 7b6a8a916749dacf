// A queue of IPC messages that a workload process and its parent both read with `next(type)`:
// a message that arrives before anyone waits for it is kept, so no handshake can be missed.
export interface BenchMessage {
  type: string
  [field: string]: unknown
}

export class Inbox {
  private readonly queued: BenchMessage[] = []
  private readonly waiters: { type: string; resolve: (m: BenchMessage) => void; reject: (e: Error) => void }[] = []
  private failure: Error | undefined

  push(message: BenchMessage): void {
    const i = this.waiters.findIndex((w) => w.type === message.type)
    if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(message)
    else this.queued.push(message)
  }

  /** Fails every pending and future `next` (the other side is gone). */
  fail(error: Error): void {
    this.failure ??= error
    for (const w of this.waiters.splice(0)) w.reject(error)
  }

  next<T extends BenchMessage = BenchMessage>(type: string): Promise<T> {
    const i = this.queued.findIndex((m) => m.type === type)
    if (i >= 0) return Promise.resolve(this.queued.splice(i, 1)[0] as T)
    if (this.failure) return Promise.reject(this.failure)
    return new Promise<T>((resolve, reject) => {
      this.waiters.push({ type, resolve: resolve as (m: BenchMessage) => void, reject })
    })
  }
}
