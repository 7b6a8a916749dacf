// The plan view of a JobGraph (Flink's JSON plan): vertices with their chained operators and
// parallelism, edges with partitioners. Used by `run --explain` and GET /v1/jobs/:job.
import type { JobGraph } from './job-graph.ts'

export interface PlanJson {
  vertices: { id: string; name: string; operators: string[]; parallelism: number; maxParallelism: number }[]
  edges: { source: string; target: string; partitioner: string; inputIndex: number; note?: string }[]
}

export function planOf(graph: JobGraph): PlanJson {
  return {
    vertices: graph.vertices.map((v) => ({
      id: v.id,
      name: v.name,
      operators: v.operators.map((o) => o.name),
      parallelism: v.parallelism,
      maxParallelism: v.maxParallelism,
    })),
    edges: graph.edges.map((e) => ({
      source: e.source.id,
      target: e.target.id,
      partitioner: e.partitioner.name,
      inputIndex: e.inputIndex,
      ...(e.partitioner.elided ? { note: `hash elided: ${e.partitioner.elided}` } : {}),
    })),
  }
}

export function formatPlan(graph: JobGraph): string {
  const lines: string[] = [`Job '${graph.jobName}'`]
  for (const v of graph.vertices) {
    lines.push(`  ${v.id} [parallelism ${v.parallelism}${v.isKeyed ? `, maxParallelism ${v.maxParallelism}` : ''}]`)
    for (const o of v.operators) lines.push(`      ${o.name}${o.uid ? ` (uid ${o.uid})` : ''}`)
  }
  for (const e of graph.edges) {
    const note = e.partitioner.elided ? `  (hash elided: ${e.partitioner.elided})` : ''
    lines.push(
      `  ${e.source.id} --${e.partitioner.name}--> ${e.target.id}${e.inputIndex ? ` [input ${e.inputIndex + 1}]` : ''}${note}`,
    )
  }
  return lines.join('\n')
}
