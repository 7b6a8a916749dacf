// RecordWriter: buffers records per target channel into batches and hands full batches to the
// channels; events (watermarks, barriers, end) flush first so order is kept. A task awaits
// `available()` between input batches, which is where backpressure takes hold.
import type { LocalChannel } from './channel.ts'
import type { ChannelSelector } from './partitioner.ts'
import type { ChannelMessage } from './stream-element.ts'

export const DEFAULT_BATCH_SIZE = 512

export class RecordWriter {
  private readonly values: unknown[][]
  private readonly timestamps: ((number | undefined)[] | undefined)[]
  recordsOut = 0

  constructor(
    readonly channels: LocalChannel[],
    private readonly selector: ChannelSelector | 'broadcast',
    private readonly batchSize = DEFAULT_BATCH_SIZE,
  ) {
    this.values = channels.map(() => [])
    this.timestamps = channels.map(() => undefined)
  }

  emit(value: unknown, timestamp: number | undefined): void {
    this.recordsOut++
    if (this.selector === 'broadcast') {
      for (let c = 0; c < this.channels.length; c++) this.append(c, value, timestamp)
    } else {
      this.append(this.channels.length === 1 ? 0 : this.selector(value), value, timestamp)
    }
  }

  private append(c: number, value: unknown, timestamp: number | undefined): void {
    const vs = this.values[c]!
    if (timestamp !== undefined || this.timestamps[c] !== undefined) {
      let ts = this.timestamps[c]
      if (ts === undefined) this.timestamps[c] = ts = new Array(vs.length).fill(undefined)
      ts.push(timestamp)
    }
    vs.push(value)
    if (vs.length >= this.batchSize) this.flushChannel(c)
  }

  private flushChannel(c: number): void {
    const vs = this.values[c]!
    if (vs.length === 0) return
    this.channels[c]!.push({ kind: 'records', values: vs, timestamps: this.timestamps[c] })
    this.values[c] = []
    this.timestamps[c] = undefined
  }

  flush(): void {
    for (let c = 0; c < this.channels.length; c++) this.flushChannel(c)
  }

  broadcastEvent(message: ChannelMessage): void {
    this.flush()
    for (const ch of this.channels) ch.push(message)
  }

  isAvailable(): boolean {
    for (const ch of this.channels) if (!ch.hasCredit()) return false
    return true
  }

  /** Resolves when every channel has credit again. */
  async available(): Promise<void> {
    for (const ch of this.channels) if (!ch.hasCredit()) await ch.whenCredit()
  }
}
