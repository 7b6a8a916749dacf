// The fanout suite's producer (runs in the bench process): `ratePerSecond` updates spread evenly over
// the keys (round robin, so every key gets the same rate), POSTed as NDJSON every `tickMs`. Each
// update is stamped with the producer's clock when its batch is made; one request at a time, so a
// slow answer makes the next batch bigger, not the rate lower.
import { type Update, fanoutKey, updatesPath, wallMs } from './fanout-job.ts'

export interface ProducerStats {
  sent: number
  accepted: number
  requests: number
  failures: string[]
  seconds: number
  /** Slowest POST (ms): the ingest answer includes a synced write of the log. */
  maxPostMs: number
}

export class Producer {
  readonly stats: ProducerStats = { sent: 0, accepted: 0, requests: 0, failures: [], seconds: 0, maxPostMs: 0 }
  private stopped = false
  private done: Promise<void> | undefined
  private readonly counts: number[]

  constructor(
    private readonly url: string,
    private readonly o: { keys: number; ratePerSecond: number; tickMs: number },
  ) {
    this.counts = new Array(o.keys).fill(0)
  }

  start(): void {
    this.done = this.run()
  }

  async stop(): Promise<ProducerStats> {
    this.stopped = true
    await this.done
    return this.stats
  }

  private async run(): Promise<void> {
    const t0 = performance.now()
    const url = this.url + updatesPath()
    let next = 0
    while (!this.stopped) {
      const tick = performance.now()
      const due = Math.floor(((tick - t0) * this.o.ratePerSecond) / 1000) - this.stats.sent
      if (due > 0) {
        const ts = wallMs()
        let body = ''
        for (let i = 0; i < due; i++) {
          const key = next++ % this.o.keys
          const u: Update = { k: fanoutKey(key), ts, n: ++this.counts[key]! }
          body += `${JSON.stringify(u)}\n`
        }
        this.stats.sent += due
        await this.post(url, body, due)
      }
      const wait = this.o.tickMs - (performance.now() - tick)
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    }
    this.stats.seconds = (performance.now() - t0) / 1000
  }

  private async post(url: string, body: string, count: number): Promise<void> {
    this.stats.requests++
    const t0 = performance.now()
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body })
      const text = await res.text()
      if (res.status === 202) this.stats.accepted += count
      else if (this.stats.failures.length < 5) this.stats.failures.push(`${res.status} ${text.slice(0, 200)}`)
    } catch (e) {
      if (this.stats.failures.length < 5) this.stats.failures.push(`connection error: ${(e as Error).message}`)
    }
    this.stats.maxPostMs = Math.max(this.stats.maxPostMs, performance.now() - t0)
  }
}
