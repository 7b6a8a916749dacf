// OperatorChain (Flink's): builds the operators of one JobVertex for one subtask and wires their
// outputs — chained successors are direct calls, the vertex's edges go to RecordWriters.
// Lifecycle: open from tail to head (an operator's consumers are ready before it emits),
// finish and close from head to tail (an operator flushes into consumers that are still open).
import type { Transformation } from '../api/transformation.ts'
import type { JobGraph, JobVertex } from '../graph/job-graph.ts'
import { createOperator } from './operators/operator-factory.ts'
import { ChainingOutput, combineOutputs, type Output, RecordWriterOutput, type TrackPromise } from './output.ts'
import type { RecordWriter } from './record-writer.ts'
import type { OperatorContext, StreamOperator } from './stream-operator.ts'

export class OperatorChain {
  /** Operators in topological order; operators[0] is the head. */
  readonly operators: { transformation: Transformation; operator: StreamOperator }[] = []

  constructor(
    graph: JobGraph,
    vertex: JobVertex,
    writersByOperator: Map<number, RecordWriter[]>,
    contextFor: (t: Transformation, output: Output) => OperatorContext,
    track: TrackPromise,
  ) {
    const built = new Map<number, StreamOperator>()
    // Build from the tail so each operator's chained consumers exist when its output is made.
    for (let i = vertex.operators.length - 1; i >= 0; i--) {
      const t = vertex.operators[i]!
      const outputs: Output[] = []
      for (const next of graph.chainedOutputs.get(t.id) ?? [])
        outputs.push(new ChainingOutput(built.get(next.id)!, track))
      for (const w of writersByOperator.get(t.id) ?? []) outputs.push(new RecordWriterOutput(w))
      const op = createOperator(t, contextFor(t, combineOutputs(outputs)))
      built.set(t.id, op)
      this.operators.unshift({ transformation: t, operator: op })
    }
  }

  get head(): StreamOperator {
    return this.operators[0]!.operator
  }

  async open(): Promise<void> {
    for (let i = this.operators.length - 1; i >= 0; i--) await this.operators[i]!.operator.open()
  }

  async finish(): Promise<void> {
    for (const { operator } of this.operators) await operator.finish()
  }

  async close(): Promise<void> {
    let first: unknown
    for (const { operator } of this.operators) {
      try {
        await operator.close()
      } catch (e) {
        first ??= e
      }
    }
    if (first !== undefined) throw first
  }
}
