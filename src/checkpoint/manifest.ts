// The checkpoint manifest (Flink's _metadata): source positions, the key-group-partitioned state
// files of every keyed operator with their checksums, and maxParallelism. A checkpoint exists only
// once its manifest has been renamed into place.
import type { StateFileHandle } from './state-file.ts'

export interface KeyedSubtaskSnapshot {
  keyGroupRange: { start: number; end: number }
  /** State name → file. */
  states: Record<string, StateFileHandle>
  timers: StateFileHandle | undefined
}

/** What one task acknowledges: its source position and its operators' snapshots. */
export interface TaskSnapshot {
  vertexId: string
  subtaskIndex: number
  parallelism: number
  source: { name: string; position: unknown } | undefined
  /** Operator uid → keyed snapshot. */
  keyed: Record<string, KeyedSubtaskSnapshot & { maxParallelism: number; operatorName: string }>
  /** How long the task stopped processing for the synchronous phase (ms). */
  syncMs: number
}

export interface OperatorManifest {
  operatorName: string
  maxParallelism: number
  parallelism: number
  subtasks: KeyedSubtaskSnapshot[]
}

export interface CheckpointManifest {
  version: 1
  job: string
  checkpointId: number
  savepoint: boolean
  completedAt: string
  sources: Record<string, { parallelism: number; positions: unknown[] }>
  operators: Record<string, OperatorManifest>
}

export const MANIFEST_FILE = '_manifest.json'

export function buildManifest(
  job: string,
  checkpointId: number,
  savepoint: boolean,
  acks: TaskSnapshot[],
): CheckpointManifest {
  const sources: CheckpointManifest['sources'] = {}
  const operators: CheckpointManifest['operators'] = {}
  for (const a of acks) {
    if (a.source) {
      const s = (sources[a.source.name] ??= {
        parallelism: a.parallelism,
        positions: new Array(a.parallelism).fill(null),
      })
      s.positions[a.subtaskIndex] = a.source.position
    }
    for (const [uid, k] of Object.entries(a.keyed)) {
      const op = (operators[uid] ??= {
        operatorName: k.operatorName,
        maxParallelism: k.maxParallelism,
        parallelism: a.parallelism,
        subtasks: [],
      })
      op.subtasks.push({ keyGroupRange: k.keyGroupRange, states: k.states, timers: k.timers })
    }
  }
  for (const op of Object.values(operators)) op.subtasks.sort((x, y) => x.keyGroupRange.start - y.keyGroupRange.start)
  return { version: 1, job, checkpointId, savepoint, completedAt: new Date().toISOString(), sources, operators }
}

/** Every file a manifest references: a delta's chain included (files of older checkpoints: ../chk-<id>/…). */
export function filesOf(m: CheckpointManifest): StateFileHandle[] {
  const out: StateFileHandle[] = []
  for (const op of Object.values(m.operators)) {
    for (const s of op.subtasks) {
      for (const h of Object.values(s.states)) out.push(...(h.base ?? []), h)
      if (s.timers) out.push(s.timers)
    }
  }
  return out
}
