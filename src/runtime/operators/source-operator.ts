// The head operator of a source chain (Flink's StreamSource): the Task's SourceReader pushes records
// into it; it only forwards them, so the rest of the chain sees a normal operator.
import { AbstractStreamOperator } from './abstract-stream-operator.ts'

export class SourceOperator extends AbstractStreamOperator {
  processElement(value: unknown, timestamp: number | undefined): void {
    this.ctx.output.collect(value, timestamp)
  }
}
