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
  /** Names the consuming operator in a bad-key error, e.g. "key of operator 'count'". */
  keyDescription?: string
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
      const what = ctx.keyDescription ?? 'keyBy key'
      return (value) => {
        const raw = sel(value)
        const key = typeof raw === 'string' ? raw : validateKey(raw, what)
        return computeOperatorIndexForKeyGroup(maxP, n, assignToKeyGroup(key, maxP))
      }
    }
  }
}

/**
 * Downstream subtasks an upstream subtask sends to. Forward: the same index; rescale: a contiguous
 * slice, exactly as Flink's POINTWISE distribution (EdgeManagerBuildUtil.connectPointwise) wires it:
 * with more upstream subtasks, downstream t reads upstream [⌊t·up/down⌋, ⌊(t+1)·up/down⌋); with
 * fewer, upstream i feeds downstream [⌈i·down/up⌉, ⌈(i+1)·down/up⌉). Everything else: all.
 */
export function targetSubtasks(
  p: Partitioning,
  upstreamIndex: number,
  upstreamParallelism: number,
  downstreamParallelism: number,
): number[] {
  if (p.type === 'forward') return [upstreamIndex]
  if (p.type === 'rescale') {
    const up = upstreamParallelism
    const down = downstreamParallelism
    const out: number[] = []
    if (up >= down) {
      for (let t = 0; t < down; t++) {
        if (Math.floor((t * up) / down) <= upstreamIndex && upstreamIndex < Math.floor(((t + 1) * up) / down))
          out.push(t)
      }
    } else {
      for (let d = Math.ceil((upstreamIndex * down) / up); d < Math.ceil(((upstreamIndex + 1) * down) / up); d++)
        out.push(d)
    }
    return out
  }
  return Array.from({ length: downstreamParallelism }, (_, i) => i)
}
