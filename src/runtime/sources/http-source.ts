// Reads events POSTed to the HTTP ingest endpoint from the source's durable IngestLog; the position is
// the log offset of the next event, so a checkpoint can rewind and the log is truncated behind it.
// Events are readable before their synced write is done: a checkpoint recording a position waits
// (durable()) until the log holds everything before it.
import type { Emit, PollResult, SourceReader } from './source-reader.ts'

export interface IngestLogReader {
  /** Events from `offset` on, at most `max`, each with its offset. */
  read(offset: number, max: number): Promise<{ offset: number; value: unknown }[]>
  /** Resolves when an event at or after `offset` exists (or the log is closed). */
  waitFor(offset: number): Promise<void>
  /** Resolves once every event before `offset` is durably in the log; rejects if writing them failed. */
  durable(offset: number): Promise<void>
}

export class HttpSourceReader implements SourceReader {
  private next = 0

  constructor(private readonly log: IngestLogReader) {}

  async open(): Promise<void> {}

  async poll(max: number, emit: Emit): Promise<PollResult> {
    const events = await this.log.read(this.next, max)
    if (events.length === 0) return 'idle'
    for (const e of events) {
      emit(e.value)
      this.next = e.offset + 1
    }
    return 'more'
  }

  waitForData(): Promise<void> {
    return this.log.waitFor(this.next)
  }

  position(): unknown {
    return this.next
  }

  /** The log answers ingest only once durable, but the job may read sooner: a checkpoint waits here. */
  durable(): Promise<void> {
    return this.log.durable(this.next)
  }

  restore(position: unknown): void {
    this.next = Number(position)
  }

  async close(): Promise<void> {}
}
