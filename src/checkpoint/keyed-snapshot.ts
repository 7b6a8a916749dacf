// Snapshot of one keyed operator subtask: the synchronous phase fixes a view of every state table
// and copies the timers; the returned function writes them as key-group-indexed files afterwards,
// while the task keeps processing (Flink's SnapshotStrategy sync/async split).
import { mkdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { KeyedStateBackend } from '../state/keyed-state-backend.ts'
import type { CheckpointBarrier } from '../runtime/stream-element.ts'
import type { InternalTimer } from '../runtime/timer-service.ts'
import { crashPoint } from './crash-points.ts'
import type { KeyedSubtaskSnapshot } from './manifest.ts'
import { inChunks, type StateFileHandle, writeFramedStateFile, writeStateFile } from './state-file.ts'
import { encodeTimer } from './timer-codec.ts'

export type KeyedSnapshotWriter = (
  dir: string,
) => Promise<KeyedSubtaskSnapshot & { maxParallelism: number; operatorName: string }>

export function safeFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

export function snapshotKeyedBackend(
  backend: KeyedStateBackend,
  timers: { event: InternalTimer[]; processing: InternalTimer[] },
  subtaskIndex: number,
  barrier: CheckpointBarrier,
): KeyedSnapshotWriter {
  const { keyGroupRange, operatorUid, operatorName, maxParallelism } = backend.options
  // Savepoints are self-contained: only checkpoints may write a state's changes alone.
  const incremental = barrier.savepoint ? undefined : { checkpointId: barrier.checkpointId, base: barrier.base }
  const views = backend.tableNames().map((name) => ({
    name,
    view: backend.tableOf(name)!.snapshot(keyGroupRange.startKeyGroup, keyGroupRange.endKeyGroup, incremental),
  }))
  const timerEntries = [
    ...timers.event.map((t) => encodeTimer(t, 0)),
    ...timers.processing.map((t) => encodeTimer(t, 1)),
  ].sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])))
  return async (dir) => {
    const base = join(safeFileName(operatorUid))
    await mkdir(join(dir, base), { recursive: true })
    const states: Record<string, StateFileHandle> = {}
    try {
      for (const { name, view } of views) {
        const rel = join(base, `${safeFileName(name)}-${subtaskIndex}.bin`)
        const midWrite = () => crashPoint('mid-data-write')
        const handle = view.framed
          ? await writeFramedStateFile(join(dir, rel), rel, view.framed(), midWrite)
          : await writeStateFile(join(dir, rel), rel, view.entries(), midWrite)
        states[name] = view.deltaOf === undefined ? handle : { ...handle, deltaOf: view.deltaOf }
      }
    } finally {
      for (const { view } of views) await view.release()
    }
    let timerFile: StateFileHandle | undefined
    if (timerEntries.length > 0) {
      const rel = join(base, `_timers-${subtaskIndex}.bin`)
      await mkdir(dirname(join(dir, rel)), { recursive: true })
      timerFile = await writeStateFile(join(dir, rel), rel, inChunks(timerEntries))
    }
    return {
      keyGroupRange: keyGroupRange.toJSON(),
      states,
      timers: timerFile,
      maxParallelism,
      operatorName,
    }
  }
}
