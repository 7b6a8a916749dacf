// Rewinds a source reader to its position in a checkpoint. Source positions are non-keyed state:
// a source whose parallelism changed cannot be restored (refused with a clear error).
import type { SourceReader } from '../runtime/sources/source-reader.ts'
import type { CompletedCheckpoint } from './checkpoint-storage.ts'

export function restoreSourcePosition(
  checkpoint: CompletedCheckpoint,
  name: string,
  subtask: number,
  parallelism: number,
  reader: SourceReader,
): void {
  const s = checkpoint.manifest.sources[name]
  if (!s) return
  if (s.parallelism !== parallelism) {
    throw new Error(
      `source '${name}' ran with parallelism ${s.parallelism} in checkpoint ${checkpoint.checkpointId} and now has ${parallelism}: source positions are non-keyed state and cannot be rescaled; keep the source's parallelism (setParallelism) and rescale the keyed operators`,
    )
  }
  const position = s.positions[subtask]
  if (position !== null && position !== undefined) reader.restore(position)
}
