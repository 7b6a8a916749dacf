// Runs one workload in a fresh Node process (tsx, --expose-gc) so that its heap, JIT and GC state
// are its own and never distort the next measurement. Parent and child talk over IPC:
//
//   parent ── fork(child-main.ts module workload args) ──► child
//          ◄── any { type } messages (e.g. 'ready' with a URL) ──► (e.g. 'stop')
//          ◄── { type: 'result', value } | { type: 'error', message, stack } ── child exits
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { type BenchMessage, Inbox } from './inbox.ts'

export interface WorkloadIO {
  send(message: BenchMessage): void
  next<T extends BenchMessage = BenchMessage>(type: string): Promise<T>
}

/** A function a workload module exports in its `workloads` record; it runs inside the child. */
export type Workload<A = any, R = unknown> = (args: A, io: WorkloadIO) => Promise<R>

export interface WorkloadOptions {
  /** Hard limit: the child is killed and the run fails after this long. */
  timeoutMs: number
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir', dir]. */
  nodeArgs?: string[]
}

export interface WorkloadProcess<R> extends WorkloadIO {
  /** The workload's return value, once the child has exited (so e.g. its CPU profile is written). */
  readonly result: Promise<R>
  kill(): void
}

const CHILD_MAIN = fileURLToPath(new URL('./child-main.ts', import.meta.url))

export function startWorkload<R>(
  module: URL,
  workload: string,
  args: unknown,
  options: WorkloadOptions,
): WorkloadProcess<R> {
  const child = fork(CHILD_MAIN, [fileURLToPath(module), workload, JSON.stringify(args)], {
    execArgv: ['--expose-gc', '--import', 'tsx', ...(options.nodeArgs ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const label = `workload ${workload} (pid ${child.pid})`
  const inbox = new Inbox()
  child.on('message', (m) => inbox.push(m as BenchMessage))
  const timer = setTimeout(() => {
    inbox.fail(new Error(`${label} timed out after ${options.timeoutMs} ms`))
    child.kill('SIGKILL')
  }, options.timeoutMs)
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      inbox.fail(new Error(`${label} exited (${signal ?? `code ${code}`}) before it answered`))
      resolve(code)
    })
  })
  const result = (async () => {
    const outcome = await Promise.race([inbox.next('result'), inbox.next('error')])
    await exited
    if (outcome.type === 'error') {
      const err = new Error(`${label} failed: ${String(outcome.message)}`)
      if (typeof outcome.stack === 'string') err.stack = `${err.message}\n(child) ${outcome.stack}`
      throw err
    }
    return outcome.value as R
  })()
  result.catch(() => {}) // observed by the caller; avoid an unhandled rejection while it is busy elsewhere
  return {
    result,
    send: (message) => {
      if (child.connected) child.send(message)
    },
    next: (type) => inbox.next(type),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    },
  }
}

export function runWorkload<R>(module: URL, workload: string, args: unknown, options: WorkloadOptions): Promise<R> {
  return startWorkload<R>(module, workload, args, options).result
}
