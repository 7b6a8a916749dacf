// `livestate run` as a real child process (the package's bin, node + tsx, fixtures importing from
// 'livestate'): a bounded job runs to the end and exits 0 with the NDJSON sink written, whose counts
// equal the oracle; --explain prints the plan and runs nothing; a module that is not a job, a job
// that fails and an unknown option each exit non-zero, the errors as one line on stderr.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { countWords, seededWords } from '../support/seeded-words.ts'

const ROOT = resolve(import.meta.dirname, '../..')
const CLI = join(ROOT, 'src/cli/livestate.mjs')
const FIXTURES = join(ROOT, 'test/fixtures/engine')
const WORD_COUNT = 3000 // the fixture's WORD_COUNT

interface Outcome {
  code: number | null
  stdout: string
  stderr: string
}

function livestate(args: string[], cwd: string): Promise<Outcome> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`livestate ${args.join(' ')} did not exit in 30 s; stderr: ${stderr}`))
    }, 30_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolveRun({ code, stdout, stderr })
    })
  })
}

const lines = (s: string) => s.split('\n').filter((l) => l.length > 0)

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'livestate-cli-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('livestate run', () => {
  for (const extra of [[], ['--parallelism', '3', '--task-managers', '2']]) {
    it(`runs a bounded job to the end, exits 0 and writes the NDJSON sink (${extra.join(' ') || 'defaults'})`, async () => {
      const run = await livestate(
        [
          'run',
          join(FIXTURES, 'word-count-job.ts'),
          '--exit-on-finish',
          '--state-backend',
          'heap',
          '--port',
          '0',
          ...extra,
        ],
        dir,
      )
      expect(run.stderr).toContain("job 'fixture-word-count' FINISHED")
      expect(run.code).toBe(0)
      const records = lines(await readFile(join(dir, 'word-counts.ndjson'), 'utf8')).map(
        (l) => JSON.parse(l) as { word: string; count: number },
      )
      expect(records).toHaveLength(WORD_COUNT)
      const finals = new Map<string, number>()
      for (const r of records) {
        expect(r.count, `counts of ${r.word} in order`).toBe((finals.get(r.word) ?? 0) + 1)
        finals.set(r.word, r.count)
      }
      expect(finals).toEqual(countWords(seededWords(WORD_COUNT)))
    })
  }

  it('--explain prints the plan (chains, parallelism, partitioners) and runs nothing', async () => {
    const run = await livestate(['run', join(FIXTURES, 'word-count-job.ts'), '--explain', '--parallelism', '2'], dir)
    expect(run.code).toBe(0)
    expect(lines(run.stdout)).toEqual([
      "Job 'fixture-word-count'",
      '  v1 [parallelism 2]',
      '      Source: words (uid source-words)',
      '  v2 [parallelism 2, maxParallelism 128]',
      '      KeyedProcess: CountWords',
      '  v3 [parallelism 1]',
      '      Sink: ndjson',
      '  v1 --HASH--> v2',
      '  v2 --REBALANCE--> v3',
    ])
    expect(existsSync(join(dir, 'word-counts.ndjson'))).toBe(false)
  })

  it('a module whose default export is not defineJob(...): non-zero exit, one line on stderr', async () => {
    const run = await livestate(
      ['run', join(FIXTURES, 'not-a-job.ts'), '--exit-on-finish', '--state-backend', 'heap', '--port', '0'],
      dir,
    )
    expect(run.code).not.toBe(0)
    expect(lines(run.stderr)).toHaveLength(1)
    expect(run.stderr).toMatch(/^livestate: .*not-a-job\.ts is not a livestate job: .*defineJob/)
  })

  it('a job that fails: non-zero exit, one line naming the cause', async () => {
    const run = await livestate(
      ['run', join(FIXTURES, 'failing-job.ts'), '--exit-on-finish', '--state-backend', 'heap', '--port', '0'],
      dir,
    )
    expect(run.code).not.toBe(0)
    // status lines ("job … RUNNING — serving on …") may come first; the error is one line
    const errors = lines(run.stderr).filter((l) => !/^livestate: job '[^']+' [A-Z]+ — /.test(l))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(/^livestate: job 'fixture-failing' failed: the fixture fails on element 50/)
  })

  it('an unknown option: non-zero exit, and the option is named', async () => {
    const run = await livestate(['run', join(FIXTURES, 'word-count-job.ts'), '--no-such-option'], dir)
    expect(run.code).not.toBe(0)
    expect(run.stderr).toContain('--no-such-option')
    expect(existsSync(join(dir, 'word-counts.ndjson'))).toBe(false)
  })
})
