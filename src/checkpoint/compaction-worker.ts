// The thread chain compactions run on (chain-compaction.ts): one per process, started on the first
// compaction and kept while compactions keep coming (a worker's start-up — TypeScript loading
// included — cost ~400 ms of CPU, paid again for every compaction under frequent checkpoints), ended
// after COMPACTION_IDLE_MS without one. (At a lower OS priority, nice 10, it fell behind on a
// saturated machine: chains, and the checkpoint directories they name, grew past their bound.)
//
//   run(requests) ──postMessage { id, requests }──► worker: compactAll, one batch after another
//                ◄──────────── { id, results } ────┘
import { Worker } from 'node:worker_threads'
import type { CompactionRequest, CompactionResult } from './chain-compaction.ts'

/** A worker with no compaction for this long ends (its thread and memory given back). */
export const COMPACTION_IDLE_MS = 60_000
const WORKER = new URL('./chain-compaction.worker.mjs', import.meta.url)

interface Reply {
  id: number
  results: CompactionResult[]
}

export class CompactionWorker {
  private readonly worker: Worker
  private readonly pending = new Map<number, { resolve(r: CompactionResult[]): void; reject(e: Error): void }>()
  private nextId = 0
  private idle: NodeJS.Timeout | undefined
  private failure: Error | undefined

  constructor(private readonly onEnd: (w: CompactionWorker) => void) {
    this.worker = new Worker(WORKER)
    this.worker.on('message', (m: Reply) => {
      const p = this.pending.get(m.id)
      this.pending.delete(m.id)
      p?.resolve(m.results)
      if (this.pending.size === 0) this.rest()
    })
    this.worker.on('error', (e) => this.end(e))
    this.worker.on('exit', (code) => this.end(new Error(`the compaction worker exited with code ${code}`)))
  }

  run(requests: CompactionRequest[]): Promise<CompactionResult[]> {
    if (this.failure) return Promise.reject(this.failure)
    clearTimeout(this.idle)
    this.idle = undefined
    // Held while it works (a stop waits for compactions); not while it waits for more.
    this.worker.ref()
    const id = ++this.nextId
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.worker.postMessage({ id, requests })
    })
  }

  private rest(): void {
    this.worker.unref()
    this.idle = setTimeout(() => {
      // Ended before it is told so: a compaction asked for from now on gets a new worker.
      this.end(new Error('the compaction worker ended after being idle'))
      void this.worker.terminate()
    }, COMPACTION_IDLE_MS)
    this.idle.unref()
  }

  private end(e: Error): void {
    if (this.failure) return
    this.failure = e
    clearTimeout(this.idle)
    for (const p of this.pending.values()) p.reject(e)
    this.pending.clear()
    this.onEnd(this)
  }
}

let shared: CompactionWorker | undefined

/** The process's compaction worker, started if there is none (or the last one ended). */
export function compactionWorker(): CompactionWorker {
  shared ??= new CompactionWorker((w) => {
    if (shared === w) shared = undefined
  })
  return shared
}
