// Worker thread of compaction-worker.ts: registers TypeScript loading (as the CLI does), then compacts
// each batch of chains it is sent, one batch after another, and posts the results (a handle or an
// error each) back.
import { parentPort } from 'node:worker_threads'
import { register } from 'tsx/esm/api'

register()
const { compactAll } = await import('./chain-compaction.ts')

let queue = Promise.resolve()
parentPort.on('message', ({ id, requests }) => {
  queue = queue.then(async () => parentPort.postMessage({ id, results: await compactAll(requests) }))
})
