// Compaction of a state's chain (state-chain.ts) into one full file, on a worker thread so the task
// thread never pays for it: the full file and its deltas are merged, tombstones dropped, and the
// result written and fsynced next to the checkpoint whose state it holds. Later checkpoints put it
// in place of the chain's files (CheckpointCoordinator), which lets retention drop the old ones.
import { Worker } from 'node:worker_threads'
import { open } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { readChainChunks } from './state-chain.ts'
import { type StateFileHandle, writeStateFile } from './state-file.ts'

export interface CompactionRequest {
  /** The checkpoint directory the chain's file names are relative to. */
  dir: string
  handle: StateFileHandle
  /** Where the full file goes, relative to `dir`. */
  file: string
}

/** Merges the chain into `dir/file` (all key groups it holds). Runs on whatever thread calls it. */
export async function compactChain(req: CompactionRequest): Promise<StateFileHandle> {
  const path = join(req.dir, req.file)
  const handle = await writeStateFile(path, req.file, readChainChunks(req.dir, req.handle, 0, 0xffff))
  const dir = await open(dirname(path), 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
  return handle
}

const WORKER = new URL('./chain-compaction.worker.mjs', import.meta.url)

/** compactChain for each request, one after another on a fresh worker thread (ended when done). */
export function compactChainsOffThread(requests: CompactionRequest[]): Promise<CompactionResult[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { workerData: requests })
    let settled = false
    worker.once('message', (results: CompactionResult[]) => {
      settled = true
      resolve(results)
    })
    worker.once('error', (e) => {
      settled = true
      reject(e)
    })
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the compaction worker exited with code ${code}`))
    })
  })
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
