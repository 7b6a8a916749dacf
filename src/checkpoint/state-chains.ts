// The coordinator's side of incremental checkpoints (Flink's SharedStateRegistry in spirit): a task
// acknowledges a state's delta file with the checkpoint it is a delta of; here the delta gets the
// chain of that checkpoint's files as its base, long chains are compacted on a worker thread, and
// later chains start from the compacted file instead. Retention keeps what the chains name.
import { compactChainsOffThread } from './chain-compaction.ts'
import type { CompletedCheckpoint } from './checkpoint-storage.ts'
import type { CheckpointManifest } from './manifest.ts'
import { chainOf, chainWeight, fromSibling, siblingOf } from './state-chain.ts'
import type { StateFileHandle } from './state-file.ts'

/** A chain is compacted once its deltas weigh this share of its full file (and at least MIN_COMPACT_BYTES), or once it has maxDeltas of them. */
export const COMPACT_DELTA_RATIO = 1
const MIN_COMPACT_BYTES = 1 << 20

interface Compacted {
  /** The chain files (as named from a sibling directory) the compacted file stands for. */
  files: string[]
  handle: StateFileHandle
}

function chainKey(uid: string, range: { start: number; end: number }, state: string): string {
  return `${uid}\u0000${range.start}-${range.end}\u0000${state}`
}

export class StateChains {
  private readonly compacted = new Map<string, Compacted>()
  private compacting: { dirs: Set<string>; done: Promise<void> } | undefined
  compactions = 0
  compactionFailures = 0

  constructor(private readonly maxDeltas: number) {}

  /**
   * Gives every delta file of a just-acknowledged checkpoint its chain: the files of `base` (the
   * checkpoint the tasks took their deltas against) for the same operator, key groups and state.
   */
  link(manifest: CheckpointManifest, base: CompletedCheckpoint | undefined): void {
    for (const [uid, op] of Object.entries(manifest.operators)) {
      for (const sub of op.subtasks) {
        for (const [name, handle] of Object.entries(sub.states)) {
          if (handle.deltaOf === undefined) continue
          const baseHandle =
            base?.checkpointId === handle.deltaOf
              ? base.manifest.operators[uid]?.subtasks.find(
                  (s) =>
                    s.keyGroupRange.start === sub.keyGroupRange.start && s.keyGroupRange.end === sub.keyGroupRange.end,
                )?.states[name]
              : undefined
          if (!baseHandle)
            throw new Error(
              `state '${name}' of operator ${uid} was written as changes since checkpoint ${handle.deltaOf}, which does not hold it`,
            )
          const chain = chainOf(baseHandle).map((f) => ({ ...f, file: fromSibling(f.file, base!.checkpointId) }))
          for (const f of chain) delete f.base
          sub.states[name] = { ...handle, base: this.substitute(chainKey(uid, sub.keyGroupRange, name), chain) }
        }
      }
    }
  }

  /** The chain with its oldest files replaced by their compacted file, when one is ready. */
  private substitute(key: string, chain: StateFileHandle[]): StateFileHandle[] {
    const c = this.compacted.get(key)
    if (!c) return chain
    if (chain[0]?.file === c.handle.file) {
      this.compacted.delete(key)
      return chain
    }
    const prefix = chain.slice(0, c.files.length)
    if (prefix.length !== c.files.length || prefix.some((f, i) => f.file !== c.files[i])) return chain
    return [c.handle, ...chain.slice(c.files.length)]
  }

  /** Checkpoint directories that must outlive retention: those a running compaction reads. */
  pinned(): Set<string> {
    return this.compacting?.dirs ?? new Set()
  }

  /**
   * After `completed`: compacts (one at a time, off the task thread) the chains grown too long;
   * `onDone` runs after a pass (the directories it read may go now).
   */
  maybeCompact(completed: CompletedCheckpoint, onError: (e: Error) => void, onDone: () => void): void {
    if (this.compacting) return
    const work: { key: string; handle: StateFileHandle; file: string }[] = []
    for (const [uid, op] of Object.entries(completed.manifest.operators)) {
      for (const sub of op.subtasks) {
        for (const [name, handle] of Object.entries(sub.states)) {
          if (!handle.base) continue
          const w = chainWeight(handle)
          const heavy = w.deltaBytes >= Math.max(MIN_COMPACT_BYTES, w.fullBytes * COMPACT_DELTA_RATIO)
          if (w.deltas < this.maxDeltas && !heavy) continue
          const file = handle.file.replace(/\.bin$/, '.full.bin')
          work.push({ key: chainKey(uid, sub.keyGroupRange, name), handle, file })
        }
      }
    }
    if (work.length === 0) return
    const dirs = new Set([`chk-${completed.checkpointId}`])
    for (const w of work)
      for (const f of chainOf(w.handle)) dirs.add(siblingOf(f.file) ?? `chk-${completed.checkpointId}`)
    const done = (async () => {
      const results = await compactChainsOffThread(
        work.map((w) => ({ dir: completed.dir, handle: w.handle, file: w.file })),
      ).catch((e: Error) => work.map(() => ({ error: e.message })))
      results.forEach((r, i) => {
        const w = work[i]!
        if ('error' in r) {
          this.compactionFailures++
          onError(new Error(r.error))
          return
        }
        const files = chainOf(w.handle).map((f) => fromSibling(f.file, completed.checkpointId))
        this.compacted.set(w.key, {
          files,
          handle: { ...r.handle, file: fromSibling(r.handle.file, completed.checkpointId) },
        })
        this.compactions++
      })
    })()
    this.compacting = { dirs, done }
    void done.finally(() => {
      if (this.compacting?.done === done) this.compacting = undefined
      onDone()
    })
  }

  /** Resolves when no compaction runs (stop, tests). */
  async settled(): Promise<void> {
    await this.compacting?.done
  }
}
