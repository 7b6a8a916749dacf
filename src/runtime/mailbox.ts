// The task's mailbox (Flink's MailboxProcessor, reduced): actions that must run on the task between
// records — processing-time timers, checkpoint triggers — queued in order and run by the task loop.
export class Mailbox {
  private actions: (() => void | Promise<void>)[] = []
  private signal: (() => void) | undefined

  constructor(private readonly onPut: () => void) {}

  put(action: () => void | Promise<void>): void {
    this.actions.push(action)
    this.onPut()
    const s = this.signal
    if (s) {
      this.signal = undefined
      s()
    }
  }

  get isEmpty(): boolean {
    return this.actions.length === 0
  }

  /** Runs queued actions (and those they queue) in order. */
  async drain(): Promise<void> {
    while (this.actions.length > 0) {
      const a = this.actions.shift()!
      const r = a()
      if (r !== undefined) await r
    }
  }

  /** Resolves on the next put (used while a source is idle). */
  next(): Promise<void> {
    if (this.actions.length > 0) return Promise.resolve()
    return new Promise((resolve) => {
      this.signal = resolve
    })
  }
}
