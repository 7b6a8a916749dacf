// SourceReader (Flink's SourceReader, simplified to one split per subtask): polled by the source task
// in bounded steps, with a position that a checkpoint records and a restore rewinds to.

export type PollResult = 'more' | 'idle' | 'end'
export type Emit = (value: unknown, timestamp?: number) => void

export interface SourceReader {
  open(): Promise<void>
  /** Emits at most `max` records. 'idle': nothing available now, call waitForData() before polling again. */
  poll(max: number, emit: Emit): PollResult | Promise<PollResult>
  waitForData(): Promise<void>
  /** Position after the last emitted record (JSON-serialisable). */
  position(): unknown
  /**
   * For a source that hands out records before its input holds them durably: resolves once it
   * does, up to position() when called (a checkpoint completes only then); rejects if it never will.
   */
  durable?(): Promise<void>
  restore(position: unknown): void
  close(): Promise<void>
}

export interface SourceReaderContext {
  sourceName: string
  subtaskIndex: number
  parallelism: number
  /** Resolves relative paths of file sources. */
  baseDir: string
}
