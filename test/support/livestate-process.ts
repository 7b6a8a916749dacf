// `livestate run` as a real child process for fault tests: waits for its "serving on" line, keeps its
// stderr, and reports how it ended (exit code or signal), so a test can prove a SIGKILL really happened.
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const CLI = fileURLToPath(new URL('../../src/cli/livestate.mjs', import.meta.url))

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface LivestateProcess {
  readonly child: ChildProcess
  /** The API base URL, once the server prints it; rejects when the process ends first. */
  readonly url: Promise<string>
  readonly exited: Promise<Exit>
  stderr(): string
  /** Resolves when stderr contains `text` (rejects when the process ends first or after `ms`). */
  waitForStderr(text: string | RegExp, ms?: number): Promise<void>
}

export function spawnLivestate(args: string[], env: Record<string, string | undefined> = {}): LivestateProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, LIVESTATE_CRASH_AT: undefined, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let err = ''
  const watchers = new Set<() => void>()
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (d: string) => {
    err += d
    for (const w of watchers) w()
  })
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  const waitForStderr = (text: string | RegExp, ms = 30_000) =>
    new Promise<void>((resolve, reject) => {
      const matches = () => (typeof text === 'string' ? err.includes(text) : text.test(err))
      if (matches()) return resolve()
      const timer = setTimeout(() => done(new Error(`no ${text} on stderr after ${ms} ms:\n${err}`)), ms)
      const check = () => matches() && done()
      const done = (e?: Error) => {
        clearTimeout(timer)
        watchers.delete(check)
        e ? reject(e) : resolve()
      }
      watchers.add(check)
      void exited.then((x) =>
        done(matches() ? undefined : new Error(`livestate exited (${x.signal ?? x.code}) before ${text}:\n${err}`)),
      )
    })
  const url = waitForStderr(/serving on (http:\/\/\S+)/).then(() => /serving on (http:\/\/\S+)/.exec(err)![1]!)
  url.catch(() => {})
  return { child, url, exited, stderr: () => err, waitForStderr }
}

/** `run <job> --state-dir D --checkpoint-interval 200ms --port 0 …` */
export function runJobProcess(
  jobFile: string,
  stateDir: string,
  extraArgs: string[] = [],
  env: Record<string, string | undefined> = {},
): LivestateProcess {
  return spawnLivestate(
    ['run', jobFile, '--state-dir', stateDir, '--checkpoint-interval', '200ms', '--port', '0', ...extraArgs],
    env,
  )
}

/** SIGKILLs the process and checks it died of exactly that. */
export async function killHard(p: LivestateProcess): Promise<Exit> {
  p.child.kill('SIGKILL')
  return p.exited
}

/** Stops a process that may still run (test cleanup); never throws. */
export async function stopQuietly(p: LivestateProcess | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return
  p.child.kill('SIGKILL')
  await p.exited
}

/** Runs a short CLI command (savepoint, query) to its end: exit code and both outputs. */
export function runCli(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })))
}
