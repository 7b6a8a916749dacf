// Sink operators: print (stdout, prefixed with the subtask like Flink's "1> "), NDJSON file append
// (whole lines, written in batches through a shared per-path writer) and the in-memory collect sink.
import type { SinkSpec } from '../../api/transformation.ts'
import type { OperatorContext } from '../stream-operator.ts'
import { AbstractStreamOperator } from './abstract-stream-operator.ts'

const FLUSH_LINES = 256

export class SinkOperator extends AbstractStreamOperator {
  private lines: string[] = []
  private writing: Promise<void> = Promise.resolve()

  constructor(
    ctx: OperatorContext,
    private readonly sink: SinkSpec,
  ) {
    super(ctx)
  }

  processElement(value: unknown): void | Promise<void> {
    switch (this.sink.type) {
      case 'collect':
        this.sink.collector.add(value)
        return
      case 'print': {
        const prefix = this.sink.prefix ? `${this.sink.prefix}:` : ''
        const sub = this.ctx.parallelism > 1 ? `${this.ctx.subtaskIndex + 1}> ` : ''
        process.stdout.write(`${prefix}${sub}${stringify(value)}\n`)
        return
      }
      case 'ndjson':
        this.lines.push(stringify(value))
        if (this.lines.length >= FLUSH_LINES) return this.flushLines()
        return
    }
  }

  private flushLines(): Promise<void> {
    if (this.sink.type !== 'ndjson' || this.lines.length === 0) return this.writing
    const chunk = `${this.lines.join('\n')}\n`
    this.lines = []
    const path = this.sink.path
    this.writing = this.writing.then(() => this.ctx.sinkFiles.appendLines(path, chunk))
    return this.writing
  }

  override processWatermark(): void {}

  override finish(): Promise<void> {
    return this.flushLines()
  }

  override async close(): Promise<void> {
    await this.flushLines()
  }
}

function stringify(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))
}
