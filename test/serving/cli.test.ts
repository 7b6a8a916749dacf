// The CLI against a running `livestate run` child process (DESIGN §3): `ingest` from a file and from
// standard input, `query` (value, --json, a missing key), `subscribe` (snapshot, then updates, to the
// final value the oracle expects; --prefix), and `run` stopping cleanly on SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually, makeTempDir, type TempDir } from '../server/support/engine.ts'
import { clickStream } from './support/click-stream.ts'
import { ClicksOracle } from './support/oracle.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const CLI = join(ROOT, 'src/cli/livestate.mjs')
const JOB_FILE = join(ROOT, 'test/fixtures/serving/clicks-job.ts')

interface Child {
  process: ChildProcess
  stdout: string
  stderr: string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

function start(args: string[], cwd: string, stdin?: string): Child {
  const p = spawn(process.execPath, [CLI, ...args], {
    cwd,
    env: { ...process.env, LIVESTATE_TOKEN: '', NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  const child: Child = {
    process: p,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => p.on('exit', (code, signal) => resolve({ code, signal }))),
  }
  p.stdout!.on('data', (d: Buffer) => {
    child.stdout += d.toString('utf8')
  })
  p.stderr!.on('data', (d: Buffer) => {
    child.stderr += d.toString('utf8')
  })
  if (stdin !== undefined) p.stdin!.end(stdin)
  else p.stdin!.end()
  return child
}

/** Runs a CLI command to its end. */
async function run(args: string[], cwd: string, stdin?: string) {
  const c = start(args, cwd, stdin)
  const { code } = await c.exited
  return { code, stdout: c.stdout, stderr: c.stderr }
}

describe('CLI against `livestate run`', () => {
  let dir: TempDir
  let server: Child
  let url: string
  const oracle = new ClicksOracle()
  const events = clickStream(200, 7)

  beforeAll(async () => {
    dir = await makeTempDir('cli')
    server = start(
      [
        'run',
        JOB_FILE,
        '--port',
        '0',
        '--state-dir',
        join(dir.path, 'state'),
        '--parallelism',
        '2',
        '--checkpoint-interval',
        '1h',
      ],
      dir.path,
    )
    url = await eventually(() => {
      const m = /serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(server.stderr)
      if (!m) throw new Error(`run has not started: ${server.stderr}`)
      return m[1]!
    }, 30_000)
  })

  afterAll(async () => {
    if (server && server.process.exitCode === null) {
      server.process.kill('SIGKILL')
      await server.exited
    }
    await dir?.remove()
  })

  it('ingest sends an NDJSON file in batches; query prints the value, --json the whole answer', async () => {
    const file = join(dir.path, 'clicks.ndjson')
    await writeFile(file, `${events.map((e) => JSON.stringify(e)).join('\n')}\n`)
    const ingested = await run(['ingest', 'clicks', 'clicks', file, '--url', url, '--batch', '64'], dir.path)
    expect(ingested).toMatchObject({ code: 0 })
    expect(ingested.stderr).toContain(`ingested ${events.length} events into clicks/clicks`)
    oracle.add(events)

    const user = oracle.users()[0]!
    // the job applies the events asynchronously: wait over HTTP (cheaper than a CLI process per poll)
    for (const state of ['user-clicks', 'user-pages']) {
      await eventually(async () => {
        const res = await fetch(`${url}/v1/jobs/clicks/states/${state}/keys/${encodeURIComponent(user)}`)
        expect(((await res.json()) as { value?: unknown }).value).toEqual(oracle.value(state, user))
      }, 20_000)
    }
    const q = await run(['query', 'clicks', 'user-clicks', user, '--url', url], dir.path)
    expect(q).toMatchObject({ code: 0, stdout: `${oracle.value('user-clicks', user)}\n` })
    const json = await run(['query', 'clicks', 'user-pages', user, '--url', url, '--json'], dir.path)
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout)).toMatchObject({
      key: user,
      value: oracle.value('user-pages', user),
      meta: { epoch: 1, consistency: 'live', keyGroup: expect.any(Number) },
    })
  })

  it('query of a missing key exits non-zero with one line naming KEY_NOT_FOUND', async () => {
    const q = await run(['query', 'clicks', 'user-clicks', 'nobody', '--url', url], dir.path)
    expect(q.code).not.toBe(0)
    expect(q.stdout).toBe('')
    expect(q.stderr.trim().split('\n')).toHaveLength(1)
    expect(q.stderr).toContain('KEY_NOT_FOUND')
  })

  it('subscribe prints the snapshot, then every update, ending at the oracle’s value; --prefix selects keys', async () => {
    const user = 'u03'
    const blogPages = oracle.entries('page-views').filter((x) => (x.key as string).startsWith('/blog/'))
    await eventually(async () => {
      const one = await fetch(`${url}/v1/jobs/clicks/states/user-clicks/keys/${user}`)
      expect(((await one.json()) as { value?: unknown }).value).toBe(oracle.value('user-clicks', user))
      const blog = await fetch(`${url}/v1/jobs/clicks/states/page-views/entries?prefix=${encodeURIComponent('/blog/')}`)
      expect(((await blog.json()) as { entries: unknown[] }).entries).toEqual(blogPages)
    }, 20_000)
    const sub = start(['subscribe', 'clicks', 'user-clicks', user, '--url', url], dir.path)
    const prefix = start(['subscribe', 'clicks', 'page-views', '--prefix', '/blog/', '--url', url], dir.path)
    try {
      const before = oracle.value('user-clicks', user) as number
      await eventually(
        () => expect(sub.stdout).toMatch(new RegExp(`^snapshot\\t"${user}"\\t${before}\\t\\(1, \\d+\\)\\n`)),
        20_000,
      )
      await eventually(
        () => expect(prefix.stdout.split('\n').filter((l) => l.startsWith('snapshot'))).toHaveLength(blogPages.length),
        20_000,
      )
      // three more clicks of the user, from standard input
      const more = clickStream(3, 8, [user])
      const ingested = await run(
        ['ingest', 'clicks', 'clicks', '-', '--url', url],
        dir.path,
        more.map((e) => JSON.stringify(e)).join('\n'),
      )
      expect(ingested.code).toBe(0)
      oracle.add(more)
      const after = oracle.value('user-clicks', user) as number
      expect(after).toBe(before + 3)
      await eventually(() => expect(sub.stdout).toContain(`update\t"${user}"\t${after}\t`), 20_000)
      const lines = sub.stdout.trim().split('\n')
      expect(lines.map((l) => l.split('\t')[0])).toEqual(['snapshot', 'update', 'update', 'update'])
      expect(lines.map((l) => Number(l.split('\t')[2]))).toEqual([before, before + 1, before + 2, after])
      const seqs = lines.map((l) => Number(/\(1, (\d+)\)$/.exec(l)![1]))
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThan(seqs[i - 1]!)
      for (const line of prefix.stdout.trim().split('\n')) expect(line).toMatch(/^(snapshot|update)\t"\/blog\//)
    } finally {
      sub.process.kill('SIGINT')
      prefix.process.kill('SIGINT')
    }
    expect((await sub.exited).code).toBe(0)
    expect((await prefix.exited).code).toBe(0)
  })

  it('run stops on SIGTERM with a final checkpoint and exit code 0', async () => {
    server.process.kill('SIGTERM')
    const { code } = await server.exited
    expect(code).toBe(0)
    expect(server.stderr).toContain('SIGTERM: stopping job')
  })
})
