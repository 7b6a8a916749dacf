// Outputs of an operator inside an OperatorChain (Flink's Output / ChainingOutput /
// RecordWriterOutput / BroadcastingOutputCollector): chained operators are direct calls; the chain's
// edges go to RecordWriters. A chained operator may answer a Promise (async state iteration): it is
// handed to the task, which waits for it before the next input.
import type { RecordWriter } from './record-writer.ts'
import type { StreamOperator } from './stream-operator.ts'

export interface Output {
  collect(value: unknown, timestamp: number | undefined): void
  emitWatermark(watermark: number): void
}

export type TrackPromise = (p: Promise<unknown>) => void

export class ChainingOutput implements Output {
  constructor(
    private readonly operator: StreamOperator,
    private readonly track: TrackPromise,
  ) {}

  collect(value: unknown, timestamp: number | undefined): void {
    const r = this.operator.processElement(value, timestamp, 0)
    if (r !== undefined) this.track(r)
  }

  emitWatermark(watermark: number): void {
    const r = this.operator.processWatermark(watermark)
    if (r !== undefined) this.track(r)
  }
}

export class RecordWriterOutput implements Output {
  constructor(private readonly writer: RecordWriter) {}

  collect(value: unknown, timestamp: number | undefined): void {
    this.writer.emit(value, timestamp)
  }

  emitWatermark(watermark: number): void {
    this.writer.broadcastEvent({ kind: 'watermark', timestamp: watermark })
  }
}

export class BroadcastingOutput implements Output {
  constructor(private readonly outputs: Output[]) {}

  collect(value: unknown, timestamp: number | undefined): void {
    for (const o of this.outputs) o.collect(value, timestamp)
  }

  emitWatermark(watermark: number): void {
    for (const o of this.outputs) o.emitWatermark(watermark)
  }
}

export const DISCARDING_OUTPUT: Output = {
  collect() {},
  emitWatermark() {},
}

export function combineOutputs(outputs: Output[]): Output {
  if (outputs.length === 0) return DISCARDING_OUTPUT
  if (outputs.length === 1) return outputs[0]!
  return new BroadcastingOutput(outputs)
}
