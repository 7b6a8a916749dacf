// JobGraph → ExecutionGraph: one ExecutionVertex per subtask; every keyed subtask owns the
// KeyGroupRange Flink would give it (KeyGroupRangeAssignment). Pure.
import { KeyGroupRange } from '../keys/key-group-range.ts'
import { computeKeyGroupRangeForOperatorIndex } from '../keys/key-group-range-assignment.ts'
import type { JobGraph, JobVertex } from './job-graph.ts'

export interface ExecutionVertex {
  jobVertex: JobVertex
  subtaskIndex: number
  /** Name as Flink prints it: "name (i+1/p)". */
  taskName: string
  keyGroupRange: KeyGroupRange
}

export interface ExecutionGraph {
  jobGraph: JobGraph
  vertices: Map<string, ExecutionVertex[]>
}

export function buildExecutionGraph(jobGraph: JobGraph): ExecutionGraph {
  const vertices = new Map<string, ExecutionVertex[]>()
  for (const v of jobGraph.vertices) {
    const subtasks: ExecutionVertex[] = []
    for (let i = 0; i < v.parallelism; i++) {
      subtasks.push({
        jobVertex: v,
        subtaskIndex: i,
        taskName: `${v.name} (${i + 1}/${v.parallelism})`,
        keyGroupRange: computeKeyGroupRangeForOperatorIndex(v.maxParallelism, v.parallelism, i),
      })
    }
    vertices.set(v.id, subtasks)
  }
  return { jobGraph, vertices }
}

export function allKeyGroups(maxParallelism: number): KeyGroupRange {
  return KeyGroupRange.of(0, maxParallelism - 1)
}
