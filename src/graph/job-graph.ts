// Transformations → JobGraph: operators grouped into chained JobVertices, connected by JobEdges with
// their partitioners (Flink's StreamingJobGraphGenerator). Pure: no I/O, deterministic ids.
import type { Transformation } from '../api/transformation.ts'
import { isKeyedOperator } from '../api/transformation.ts'
import { computeDefaultMaxParallelism } from '../keys/key-group-range-assignment.ts'
import { isChainable, type ResolvedPartitioning, resolvePartitioning } from './chaining.ts'

export interface JobVertex {
  id: string
  name: string
  /** Operators of the chain in topological order; operators[0] is the head. */
  operators: Transformation[]
  parallelism: number
  maxParallelism: number
  isKeyed: boolean
  isSource: boolean
}

export interface JobEdge {
  id: string
  source: JobVertex
  /** The operator inside the source vertex whose output feeds this edge. */
  sourceOperator: Transformation
  target: JobVertex
  inputIndex: 0 | 1
  partitioner: ResolvedPartitioning
}

export interface JobGraph {
  jobName: string
  vertices: JobVertex[]
  edges: JobEdge[]
  /** Operator id → its vertex. */
  vertexOf: Map<number, JobVertex>
  /** Chained (in-vertex) consumers per operator id. */
  chainedOutputs: Map<number, Transformation[]>
  defaultParallelism: number
}

export interface JobGraphOptions {
  jobName: string
  parallelism: number
  maxParallelism?: number
}

export function buildJobGraph(transformations: readonly Transformation[], options: JobGraphOptions): JobGraph {
  const jobMaxP = options.maxParallelism ?? computeDefaultMaxParallelism(options.parallelism)
  const parallelismOf = (t: Transformation) => t.parallelism ?? options.parallelism
  const maxParallelismOf = (t: Transformation) => t.maxParallelism ?? jobMaxP
  for (const t of transformations) {
    const p = parallelismOf(t)
    if (p > maxParallelismOf(t)) {
      throw new TypeError(`operator '${t.name}': parallelism ${p} exceeds maxParallelism ${maxParallelismOf(t)}`)
    }
  }
  const consumers = new Map<number, Transformation[]>()
  for (const t of transformations) {
    for (const input of t.inputs) {
      const list = consumers.get(input.transformation.id) ?? []
      list.push(t)
      consumers.set(input.transformation.id, list)
    }
  }
  // Each operator is chained to its input when isChainable; otherwise it heads a new vertex.
  const headOf = new Map<number, Transformation>()
  const resolved = new Map<Transformation['inputs'][number], ResolvedPartitioning>()
  for (const t of transformations) {
    let head: Transformation = t
    for (const input of t.inputs) {
      const r = resolvePartitioning(input, t, parallelismOf, maxParallelismOf)
      resolved.set(input, r)
      if (isChainable(input, t, r, parallelismOf)) head = headOf.get(input.transformation.id)!
    }
    headOf.set(t.id, head)
  }
  const vertices: JobVertex[] = []
  const vertexOf = new Map<number, JobVertex>()
  for (const t of transformations) {
    const head = headOf.get(t.id)!
    let v = vertexOf.get(head.id)
    if (!v) {
      v = {
        id: `v${vertices.length + 1}`,
        name: '',
        operators: [],
        parallelism: parallelismOf(head),
        maxParallelism: maxParallelismOf(head),
        isKeyed: false,
        isSource: head.operator.kind === 'source',
      }
      vertices.push(v)
      vertexOf.set(head.id, v)
    }
    v.operators.push(t)
    v.isKeyed ||= isKeyedOperator(t)
    vertexOf.set(t.id, v)
  }
  for (const v of vertices) v.name = v.operators.map((o) => o.name).join(' -> ')
  const edges: JobEdge[] = []
  const chainedOutputs = new Map<number, Transformation[]>()
  for (const t of transformations) {
    for (const input of t.inputs) {
      const sourceVertex = vertexOf.get(input.transformation.id)!
      const targetVertex = vertexOf.get(t.id)!
      if (sourceVertex === targetVertex && headOf.get(t.id) !== t) {
        const list = chainedOutputs.get(input.transformation.id) ?? []
        list.push(t)
        chainedOutputs.set(input.transformation.id, list)
        continue
      }
      edges.push({
        id: `e${edges.length + 1}`,
        source: sourceVertex,
        sourceOperator: input.transformation,
        target: targetVertex,
        inputIndex: input.inputIndex,
        partitioner: resolved.get(input)!,
      })
    }
  }
  return {
    jobName: options.jobName,
    vertices,
    edges,
    vertexOf,
    chainedOutputs,
    defaultParallelism: options.parallelism,
  }
}
