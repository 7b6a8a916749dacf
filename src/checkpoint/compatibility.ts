// Checks, before a job starts, that a checkpoint or savepoint can be restored into its plan:
// keyed operators keep their maxParallelism (key groups are fixed for the life of the state) and
// sources keep their parallelism (their positions are non-keyed state). Keyed parallelism may change.
import type { JobGraph } from '../graph/job-graph.ts'
import type { CompletedCheckpoint } from './checkpoint-storage.ts'

export function checkRestoreCompatibility(graph: JobGraph, checkpoint: CompletedCheckpoint): void {
  const m = checkpoint.manifest
  for (const v of graph.vertices) {
    for (const t of v.operators) {
      const uid = t.uid ?? `op-${t.id}`
      const op = m.operators[uid]
      if (op && op.maxParallelism !== v.maxParallelism) {
        throw new Error(
          `operator '${t.name}' has maxParallelism ${v.maxParallelism} but its state in ${checkpoint.dir} was written with ${op.maxParallelism}: maxParallelism is fixed for the life of the state; set it back with setMaxParallelism(${op.maxParallelism})`,
        )
      }
      if (t.operator.kind === 'source') {
        const s = m.sources[t.operator.name]
        if (s && s.parallelism !== v.parallelism) {
          throw new Error(
            `source '${t.operator.name}' ran with parallelism ${s.parallelism} in ${checkpoint.dir} and would now run with ${v.parallelism}: source positions cannot be rescaled; give the source setParallelism(${s.parallelism})`,
          )
        }
      }
    }
  }
}
