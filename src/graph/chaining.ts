// The one place that decides how records move between two operators: the resolved partitioner of an
// edge and whether the edge is chained (a direct call inside one OperatorChain). Mirrors Flink's
// StreamingJobGraphGenerator.isChainable plus the "input already partitioned" forward rewrite.
import type { Partitioning, Transformation, TransformationInput } from '../api/transformation.ts'

export type PartitionerName = 'FORWARD' | 'REBALANCE' | 'RESCALE' | 'SHUFFLE' | 'BROADCAST' | 'HASH'

export interface ResolvedPartitioning {
  name: PartitionerName
  /** For HASH: the key selector that picks the key group. */
  partitioning: Partitioning
  /** Why a keyBy exchange was turned into FORWARD, when it was. */
  elided?: string
}

export type ParallelismOf = (t: Transformation) => number
export type MaxParallelismOf = (t: Transformation) => number

/** The key selector by which `t`'s output is already partitioned across its subtasks, if any. */
export function partitionedBy(t: Transformation, parallelismOf: ParallelismOf, maxParallelismOf: MaxParallelismOf) {
  if (!t.preservesPartitioning || t.inputs.length !== 1) return undefined
  const input = t.inputs[0]!
  const up = input.transformation
  if (parallelismOf(up) !== parallelismOf(t)) return undefined
  if (input.partitioning?.type === 'hash')
    return { keySelector: input.partitioning.keySelector, maxParallelism: maxParallelismOf(t) }
  if (input.partitioning === undefined || input.partitioning.type === 'forward')
    return partitionedBy(up, parallelismOf, maxParallelismOf)
  return undefined
}

export function resolvePartitioning(
  input: TransformationInput,
  downstream: Transformation,
  parallelismOf: ParallelismOf,
  maxParallelismOf: MaxParallelismOf,
): ResolvedPartitioning {
  const up = input.transformation
  const pUp = parallelismOf(up)
  const pDown = parallelismOf(downstream)
  const p = input.partitioning
  if (p === undefined) {
    return pUp === pDown
      ? { name: 'FORWARD', partitioning: { type: 'forward' } }
      : { name: 'REBALANCE', partitioning: { type: 'rebalance' } }
  }
  switch (p.type) {
    case 'forward':
      if (pUp !== pDown) {
        throw new TypeError(
          `forward partitioning between '${up.name}' (parallelism ${pUp}) and '${downstream.name}' (parallelism ${pDown}) needs equal parallelism: use rebalance()`,
        )
      }
      return { name: 'FORWARD', partitioning: p }
    case 'hash': {
      // Eliding chains the keyed operator into the upstream vertex, whose maxParallelism (number of key
      // groups) it then uses: only when they agree, or a setMaxParallelism on the keyed operator is lost.
      if (pUp === 1 && pDown === 1 && maxParallelismOf(up) === maxParallelismOf(downstream)) {
        return { name: 'FORWARD', partitioning: { type: 'forward' }, elided: 'HASH with parallelism 1 on both sides' }
      }
      const by = partitionedBy(up, parallelismOf, maxParallelismOf)
      if (
        by &&
        by.keySelector === p.keySelector &&
        pUp === pDown &&
        by.maxParallelism === maxParallelismOf(downstream)
      ) {
        return {
          name: 'FORWARD',
          partitioning: { type: 'forward' },
          elided: 'input already partitioned by the same key',
        }
      }
      return { name: 'HASH', partitioning: p }
    }
    case 'rebalance':
      return { name: 'REBALANCE', partitioning: p }
    case 'rescale':
      return { name: 'RESCALE', partitioning: p }
    case 'shuffle':
      return { name: 'SHUFFLE', partitioning: p }
    case 'broadcast':
      return { name: 'BROADCAST', partitioning: p }
  }
}

/**
 * Flink's isChainable: the downstream operator has this edge as its only input, the edge is FORWARD,
 * both have the same parallelism, and neither side asked for a chain break.
 */
export function isChainable(
  input: TransformationInput,
  downstream: Transformation,
  resolved: ResolvedPartitioning,
  parallelismOf: ParallelismOf,
): boolean {
  return (
    downstream.inputs.length === 1 &&
    downstream.operator.kind !== 'source' &&
    resolved.name === 'FORWARD' &&
    parallelismOf(input.transformation) === parallelismOf(downstream) &&
    downstream.chaining === 'always' &&
    input.transformation.chaining !== 'never'
  )
}
