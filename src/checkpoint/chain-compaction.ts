// Compaction of a state's chain (state-chain.ts) into one full file, on a worker thread so the task
// thread never pays for it: key group by key group, the deltas are folded and sorted, then merged
// into the full file's bytes — runs of its records that no delta touches are copied as they are,
// without parsing them into objects — and the result written and fsynced next to the checkpoint
// whose state it holds. Later
// checkpoints put it in place of the chain's files (CheckpointCoordinator), so retention can drop
// the old ones.
import { dirname, join } from 'node:path'
import { compactionWorker } from './compaction-worker.ts'
import { ChainReader } from './state-chain.ts'
import { fsyncDir, type StateFileHandle, StateFileSink, TOMBSTONE } from './state-file.ts'

export interface CompactionRequest {
  /** The checkpoint directory the chain's file names are relative to. */
  dir: string
  handle: StateFileHandle
  /** Where the full file goes, relative to `dir`. */
  file: string
}

/** Merges the chain into `dir/file` (all key groups it holds). Runs on whatever thread calls it. */
export async function compactChain(req: CompactionRequest): Promise<StateFileHandle> {
  const reader = ChainReader.open(req.dir, req.handle, 0, 0xffff)
  const path = join(req.dir, req.file)
  const sink = await StateFileSink.create(path, req.file)
  try {
    for (const kg of reader.groups) {
      const { base, overlay } = reader.segment(kg)
      await mergeInto(sink, base ?? EMPTY, overlay, req.handle.file)
    }
    const handle = await sink.finish()
    await fsyncDir(dirname(path))
    return handle
  } catch (e) {
    await sink.abandon()
    throw e
  } finally {
    reader.close()
  }
}

const EMPTY = Buffer.alloc(0)

/** The full file's records with the sorted overlay merged in (overlay wins, its nulls delete). */
async function mergeInto(
  sink: StateFileSink,
  base: Buffer,
  overlay: [string, Uint8Array | null][],
  what: string,
): Promise<void> {
  let i = 0
  let head = overlay.length > 0 ? Buffer.from(overlay[0]![0], 'latin1') : undefined
  const emitHead = async () => {
    const value = overlay[i]![1]
    if (value !== null) {
      const flushed = sink.record(head!, value)
      if (flushed) await flushed
    }
    i++
    head = i < overlay.length ? Buffer.from(overlay[i]![0], 'latin1') : undefined
  }
  // The pending run: base records [runStart, p) of key group runKg, not yet copied.
  let runStart = 0
  let runRecords = 0
  let runKg = -1
  const copyRun = async (end: number) => {
    if (runRecords > 0) {
      sink.group(runKg)
      await sink.raw(base.subarray(runStart, end), runRecords)
    }
    runStart = end
    runRecords = 0
  }
  let p = 0
  while (p < base.length) {
    if (p + 4 > base.length) throw new Error(`${what}: truncated record header at ${p}`)
    const ks = p + 4
    const ke = ks + base.readUInt32BE(p)
    if (ke + 4 > base.length) throw new Error(`${what}: truncated record at ${p}`)
    const vl = base.readUInt32BE(ke)
    if (vl === TOMBSTONE) throw new Error(`${what}: a full state file holds a deletion`)
    const end = ke + 4 + vl
    if (end > base.length) throw new Error(`${what}: truncated value at ${p}`)
    let c = 1
    while (head !== undefined && (c = base.compare(head, 0, head.length, ks, ke)) > 0) {
      await copyRun(p)
      await emitHead()
    }
    if (head !== undefined && c === 0) {
      await copyRun(p)
      await emitHead()
      runStart = end
    } else {
      const kg = (base[ks]! << 8) | base[ks + 1]!
      if (kg !== runKg) {
        await copyRun(p)
        runKg = kg
      }
      runRecords++
    }
    p = end
  }
  await copyRun(p)
  while (head !== undefined) await emitHead()
}

/** compactChain for each request, one after another, on the compaction worker thread. */
export function compactChainsOffThread(requests: CompactionRequest[]): Promise<CompactionResult[]> {
  return compactionWorker().run(requests)
}

/** The new full file, or why there is none. */
export type CompactionResult = { handle: StateFileHandle } | { error: string }

/** The worker's loop (chain-compaction.worker.mjs). */
export async function compactAll(requests: CompactionRequest[]): Promise<CompactionResult[]> {
  const out: CompactionResult[] = []
  for (const r of requests) {
    try {
      out.push({ handle: await compactChain(r) })
    } catch (e) {
      out.push({ error: e instanceof Error ? e.message : String(e) })
    }
  }
  return out
}
