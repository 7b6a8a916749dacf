// A client of the HTTP ingest endpoint that survives the server's death: it posts fixed batches with
// Idempotency-Key `<prefix>-<index>`, remembers which got their 202, stops at the first connection
// error, and on the next run() resends every batch not acknowledged yet (the oracle is over acked ones).
import { postBatch } from './totals-state.ts'

export class IngestFeeder<E> {
  readonly batches: E[][]
  readonly acked = new Map<number, { accepted: number; position: string }>()
  connectionErrors = 0
  private stopped = false

  constructor(
    events: readonly E[],
    batchSize: number,
    private readonly prefix = 'batch',
  ) {
    this.batches = []
    for (let i = 0; i < events.length; i += batchSize) this.batches.push(events.slice(i, i + batchSize))
  }

  /** Sends the unacknowledged batches below `until`, pausing `pauseMs` between them. */
  async run(
    url: string,
    options: { pauseMs?: number; until?: number } = {},
  ): Promise<'done' | 'connection-lost' | 'stopped'> {
    this.stopped = false
    const until = Math.min(options.until ?? this.batches.length, this.batches.length)
    for (let i = 0; i < until; i++) {
      if (this.acked.has(i)) continue
      if (this.stopped) return 'stopped'
      let r: Awaited<ReturnType<typeof postBatch>>
      try {
        r = await postBatch(url, this.batches[i]!, `${this.prefix}-${i}`)
      } catch {
        this.connectionErrors++
        return 'connection-lost'
      }
      if (r.status !== 202) throw new Error(`batch ${i}: ${r.status} ${JSON.stringify(r.body)}`)
      this.acked.set(i, r.body)
      if (options.pauseMs) await new Promise((res) => setTimeout(res, options.pauseMs))
    }
    return 'done'
  }

  stop(): void {
    this.stopped = true
  }

  get ackedEvents(): E[] {
    return [...this.acked.keys()].sort((a, b) => a - b).flatMap((i) => this.batches[i]!)
  }

  get isComplete(): boolean {
    return this.acked.size === this.batches.length
  }
}
