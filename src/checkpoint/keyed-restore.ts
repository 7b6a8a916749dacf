// Restore of one keyed operator subtask from a checkpoint: for its KeyGroupRange, the records of
// every overlapping subtask file (any old parallelism — whole key groups move on rescale) are loaded
// into fresh state tables, and its timers are collected. A changed maxParallelism is refused.
import { join } from 'node:path'
import type { KeyGroupRange } from '../keys/key-group-range.ts'
import type { InternalTimer } from '../runtime/timer-service.ts'
import type { StateTable, StateTableFactory } from '../state/state-table.ts'
import type { CompletedCheckpoint } from './checkpoint-storage.ts'
import { crashPoint } from './crash-points.ts'
import { readChain } from './state-chain.ts'
import { readKeyGroups } from './state-file.ts'
import { decodeTimer } from './timer-codec.ts'

export interface RestoredKeyedState {
  tables: Map<string, StateTable>
  timers: { event: InternalTimer[]; processing: InternalTimer[] }
}

export async function restoreKeyedState(
  checkpoint: CompletedCheckpoint,
  operatorUid: string,
  operatorName: string,
  range: KeyGroupRange,
  maxParallelism: number,
  tables: StateTableFactory,
): Promise<RestoredKeyedState | undefined> {
  const op = checkpoint.manifest.operators[operatorUid]
  if (!op) return undefined
  if (op.maxParallelism !== maxParallelism) {
    throw new Error(
      `cannot restore operator '${operatorName}' (uid ${operatorUid}): its state has maxParallelism ${op.maxParallelism}, the job now has ${maxParallelism}; maxParallelism is fixed for the life of the state`,
    )
  }
  const start = range.startKeyGroup
  const end = range.endKeyGroup
  const overlapping = op.subtasks.filter((s) => s.keyGroupRange.start <= end && s.keyGroupRange.end >= start)
  if (overlapping.length !== op.subtasks.length) crashPoint('mid-rescale')
  const restored: RestoredKeyedState = { tables: new Map(), timers: { event: [], processing: [] } }
  const names = new Set(overlapping.flatMap((s) => Object.keys(s.states)))
  for (const name of names) {
    const table = tables.create(operatorUid, name, { start, end })
    for (const s of overlapping) {
      const handle = s.states[name]
      if (handle) await table.restore(readChain(checkpoint.dir, handle, start, end))
      crashPoint('mid-restore')
    }
    // Same key groups as one old subtask: the table holds exactly that checkpoint's state, and the
    // next incremental checkpoint can write only what changes from here.
    const same =
      overlapping.length === 1 &&
      overlapping[0]!.keyGroupRange.start === start &&
      overlapping[0]!.keyGroupRange.end === end
    if (same && !checkpoint.manifest.savepoint) table.restoredFrom?.(checkpoint.checkpointId)
    restored.tables.set(name, table)
  }
  for (const s of overlapping) {
    if (!s.timers) continue
    for await (const [key] of readKeyGroups(join(checkpoint.dir, s.timers.file), s.timers, start, end)) {
      const { timer, domain } = decodeTimer(key)
      ;(domain === 0 ? restored.timers.event : restored.timers.processing).push(timer)
    }
  }
  return restored
}
