// Worker thread of compaction-worker.ts: registers TypeScript loading (as the CLI does), lowers its own
// OS priority (Linux: a thread id is a pid to setpriority), then compacts each batch of chains it is
// sent, one batch after another, and posts the results (a handle or an error each) back.
import { readlinkSync } from 'node:fs'
import { getPriority, setPriority } from 'node:os'
import { parentPort, workerData } from 'node:worker_threads'
import { register } from 'tsx/esm/api'

register()
const { compactAll } = await import('./chain-compaction.ts')

let tid = null
let priority = null
try {
  tid = Number(readlinkSync('/proc/thread-self').split('/').pop())
  setPriority(tid, Math.max(workerData.nice, getPriority(tid)))
  priority = getPriority(tid)
} catch {
  // not Linux: the thread keeps the process's priority
}
parentPort.postMessage({ type: 'thread', info: { tid, priority } })

let queue = Promise.resolve()
parentPort.on('message', ({ id, requests }) => {
  queue = queue.then(async () => parentPort.postMessage({ type: 'done', id, results: await compactAll(requests) }))
})
