// Entry of a workload process (see child.ts): imports the module named in argv, runs one of its
// `workloads` and reports the result or error over IPC, then lets the process exit. A workload that
// leaves handles open is reported and the process is ended anyway, so a bench run always finishes.
import { pathToFileURL } from 'node:url'
import type { Workload, WorkloadIO } from './child.ts'
import { type BenchMessage, Inbox } from './inbox.ts'

const LEAK_GRACE_MS = 5_000

const [modulePath, name, argsJson] = process.argv.slice(2)
const inbox = new Inbox()
process.on('message', (m) => inbox.push(m as BenchMessage))
const io: WorkloadIO = {
  send: (message) => process.send?.(message),
  next: (type) => inbox.next(type),
}

function finish(message: BenchMessage): void {
  process.send?.(message, () => {
    process.disconnect()
    setTimeout(() => {
      console.error(`bench: workload '${name}' left handles open after it finished; exiting anyway`)
      process.exit(process.exitCode ?? 0)
    }, LEAK_GRACE_MS).unref()
  })
}

try {
  const mod = (await import(pathToFileURL(modulePath!).href)) as { workloads?: Record<string, Workload> }
  const workload = mod.workloads?.[name!]
  if (!workload) throw new TypeError(`${modulePath} exports no workload '${name}'`)
  const value = await workload(JSON.parse(argsJson!), io)
  finish({ type: 'result', value })
} catch (e) {
  const err = e instanceof Error ? e : new Error(String(e))
  process.exitCode = 1
  finish({ type: 'error', message: err.message, stack: err.stack })
}
