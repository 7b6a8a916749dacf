// Worker thread of chain-compaction.ts: registers TypeScript loading (as the CLI does), compacts the
// chains it was given one after another and posts the results (a handle or an error each) back.
import { parentPort, workerData } from 'node:worker_threads'
import { register } from 'tsx/esm/api'

register()
const { compactAll } = await import('./chain-compaction.ts')
parentPort.postMessage(await compactAll(workerData))
