// Stream partitioners (Flink's ForwardPartitioner, RebalancePartitioner, RescalePartitioner,
// ShufflePartitioner, BroadcastPartitioner, KeyGroupStreamPartitioner): pick the target channel(s).
import type { Partitioning } from '../api/transformation.ts'
import { assignToKeyGroup, computeOperatorIndexForKeyGroup } from '../keys/key-group-range-assignment.ts'
import { validateKey } from '../keys/key-codec.ts'

export type ChannelSelector = (value: unknown) => number

export interface PartitionerContext {
  subtaskIndex: number
  upstreamParallelism: number
  numberOfChannels: number
  maxParallelism: number
  random: () => number
}

/** Returns a selector for one target channel, or 'broadcast' for all channels. */
export function createChannelSelector(p: Partitioning, ctx: PartitionerContext): ChannelSelector | 'broadcast' {
  const n = ctx.numberOfChannels
  switch (p.type) {
    case 'forward':
      return () => 0
    case 'broadcast':
      return 'broadcast'
    case 'shuffle':
      return () => Math.floor(ctx.random() * n)
    case 'rebalance': {
      let next = Math.floor(ctx.random() * n)
      return () => {
        next = next + 1 === n ? 0 : next + 1
        return next
      }
    }
    case 'rescale': {
      // channels are the downstream subtasks wired to this upstream subtask (see channelsFor).
      let next = -1
      return () => {
        next = next + 1 === n ? 0 : next + 1
        return next
      }
    }
    case 'hash': {
      const sel = p.keySelector
      const maxP = ctx.maxParallelism
      return (value) => {
        const raw = sel(value)
        const key = typeof raw === 'string' ? raw : validateKey(raw, 'keyBy key')
        return computeOperatorIndexForKeyGroup(maxP, n, assignToKeyGroup(key, maxP))
      }
    }
  }
}

/**
 * Downstream subtasks an upstream subtask sends to. Forward: the same index; rescale: a contiguous
 * slice (Flink's POINTWISE distribution); everything else: all.
 */
export function targetSubtasks(p: Partitioning, upstreamIndex: number, upstreamParallelism: number, downstreamParallelism: number): number[] {
  if (p.type === 'forward') return [upstreamIndex]
  if (p.type === 'rescale') {
    const out: number[] = []
    for (let d = 0; d < downstreamParallelism; d++) {
      const source = Math.floor((d * upstreamParallelism) / downstreamParallelism)
      const alt = upstreamParallelism >= downstreamParallelism ? Math.floor((upstreamIndex * downstreamParallelism) / upstreamParallelism) : -1
      if (upstreamParallelism >= downstreamParallelism ? d === alt : source === upstreamIndex) out.push(d)
    }
    return out
  }
  return Array.from({ length: downstreamParallelism }, (_, i) => i)
}
