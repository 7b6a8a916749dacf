// A second `livestate run` on a --state-dir in use fails at once with one line naming the directory,
// instead of waiting for or retrying LevelDB's lock (real child processes).
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const CLI = join(ROOT, 'src/cli/livestate.mjs')
const JOB = join(ROOT, 'test/state/fixtures/count-job.ts')

interface Run {
  child: ChildProcess
  stderr: () => string
  exited: Promise<number | null>
}

function run(stateDir: string): Run {
  const child = spawn(process.execPath, [CLI, 'run', JOB, '--state-dir', stateDir, '--port', '0'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let err = ''
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d
  })
  return { child, stderr: () => err, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) }
}

async function waitFor(r: Run, text: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (!r.stderr().includes(text)) {
    if (Date.now() > deadline || r.child.exitCode !== null) throw new Error(`no '${text}' on stderr:\n${r.stderr()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

let dir: string
const started: Run[] = []
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'livestate-lock-'))
})
afterEach(async () => {
  for (const r of started.splice(0)) {
    if (r.child.exitCode === null && r.child.signalCode === null) {
      r.child.kill('SIGKILL')
      await r.exited
    }
  }
  await rm(dir, { recursive: true, force: true })
})

it('a second run on the same --state-dir exits at once with one line naming the locked directory', async () => {
  const first = run(dir)
  started.push(first)
  await waitFor(first, 'serving on', 60_000)
  const t0 = Date.now()
  const second = run(dir)
  started.push(second)
  const code = await second.exited
  const elapsed = Date.now() - t0
  expect(code).not.toBe(0)
  const lines = second.stderr().trimEnd().split('\n')
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatch(/^livestate: The state directory .* is locked by another process/)
  expect(lines[0]).toContain(join(dir, 'state-counts', 'tm-1'))
  expect(lines[0]).toContain('--state-dir')
  expect(lines[0]).not.toMatch(/\bat \S+:\d+/) // no stack trace
  // "At once": the time to start node and load the job, not a wait for the lock (generous for a busy machine).
  expect(elapsed).toBeLessThan(20_000)
  // The first run is unharmed and keeps serving.
  expect(first.child.exitCode).toBeNull()
}, 90_000)
