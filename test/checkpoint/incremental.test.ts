// Incremental checkpoints end to end: with LevelDB state, a checkpoint after the first writes only
// each state's changes (a delta file chained to the files of the checkpoint before), long chains are
// compacted into a full file off the task thread, retention deletes every directory no retained chain
// names — and a SIGKILL followed by a restart from a chained checkpoint ends exact.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  checkpointsDir,
  completeCheckpoints,
  type ManifestSummary,
  sourceCount,
  traceOf,
  waitUntil,
} from '../support/checkpoint-inspect.ts'
import { killHard, type LivestateProcess, ROOT, runJobProcess, stopQuietly } from '../support/livestate-process.ts'
import { writeTotalsNdjson } from '../support/totals-input.ts'
import { settledDiff, TOTALS_JOB, waitForFinished } from '../support/totals-state.ts'

const JOB = join(ROOT, 'test/fixtures/checkpoint/totals-job.ts')
const dirs: string[] = []
const procs: LivestateProcess[] = []

interface Handle {
  file: string
  deltaOf?: number
  base?: Handle[]
}

function handles(c: ManifestSummary): Handle[] {
  return Object.values(c.manifest.operators).flatMap((op) =>
    op.subtasks.flatMap((s) => Object.values(s.states as Record<string, Handle>)),
  )
}

function start(...args: Parameters<typeof runJobProcess>): LivestateProcess {
  const p = runJobProcess(...args)
  procs.push(p)
  return p
}

afterEach(async () => {
  for (const p of procs.splice(0)) await stopQuietly(p)
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('incremental checkpoints (LevelDB)', () => {
  it('deltas chain onto earlier files, chains are compacted, old directories go, and a kill + restart from a chain is exact', async () => {
    const N = 300_000
    const dir = mkdtempSync(join(tmpdir(), 'livestate-incremental-'))
    dirs.push(dir)
    const input = join(dir, 'events.ndjson')
    const trace = join(dir, 'trace.ndjson')
    const oracle = writeTotalsNdjson(input, N, 31)
    const env = { LS_INPUT: input, LS_TRACE: trace }
    const stateDir = join(dir, 'state')
    const args = ['--parallelism', '2', '--checkpoint-chain', '3', '--checkpoint-interval', '100ms']

    // Paced (30 ms every 2,000 records: ≥ 4.5 s in all) so that many checkpoints run mid-input.
    const first = start(JOB, stateDir, args, { ...env, LS_PAUSE_EVERY: '2000', LS_PAUSE_MS: '30' })
    await first.url
    const chained = await waitUntil(
      'a checkpoint whose chains start from a compacted file',
      () => {
        const [newest] = completeCheckpoints(stateDir, TOTALS_JOB)
        if (!newest || sourceCount(newest) >= N) return undefined
        const hs = handles(newest)
        return hs.length > 0 && hs.every((h) => h.base?.[0]?.file.endsWith('.full.bin')) ? newest : undefined
      },
      60_000,
    )
    for (const h of handles(chained)) {
      expect(h.deltaOf, 'the newest file of a chain is a delta').toBeTypeOf('number')
      // one full file, then at most the deltas written while the last compaction ran (timing-dependent)
      expect(h.base!.length).toBeLessThanOrEqual(16)
      for (const f of h.base!) expect(existsSync(join(chained.dir, f.file)), f.file).toBe(true)
    }
    expect((await killHard(first)).signal).toBe('SIGKILL')

    const resumeFrom = completeCheckpoints(stateDir, TOTALS_JOB)[0]!
    expect(
      handles(resumeFrom).every((h) => h.base !== undefined),
      'the restart restores a chain',
    ).toBe(true)
    const consumed = sourceCount(resumeFrom)
    expect(consumed).toBeLessThan(N)

    const second = start(JOB, stateDir, args, env)
    const url = await second.url
    await waitForFinished(url)
    expect(traceOf(trace, second.child.pid), 'the restart began from the chained checkpoint').toEqual([consumed])
    expect(await settledDiff(url, oracle)).toEqual([])

    // Retention (once a compaction still running at the end is done and has retained again): every
    // directory left is a retained checkpoint or holds files a retained chain names.
    const strays = () => {
      const retained = completeCheckpoints(stateDir, TOTALS_JOB).slice(0, 3)
      const named = new Set(retained.map((c) => `chk-${c.id}`))
      for (const c of retained)
        for (const h of handles(c))
          for (const f of h.base ?? []) named.add(/^\.\.\/(chk-\d+)\//.exec(f.file)?.[1] ?? '')
      const onDisk = readdirSync(checkpointsDir(stateDir, TOTALS_JOB)).filter((n) => n.startsWith('chk-'))
      return { onDisk, strays: onDisk.filter((n) => !named.has(n)) }
    }
    await waitUntil('no stray checkpoint directory', () => strays().strays.length === 0, 10_000).catch(() => {})
    expect(strays().strays).toEqual([])
    // the retained checkpoints and what their chains name (mostly the same files): bounded, not growing
    expect(strays().onDisk.length).toBeLessThanOrEqual(3 + 16)
  }, 120_000)

  it('--checkpoint-chain 0: every checkpoint writes every state in full', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'livestate-incremental-'))
    dirs.push(dir)
    const input = join(dir, 'events.ndjson')
    const oracle = writeTotalsNdjson(input, 40_000, 37)
    const stateDir = join(dir, 'state')
    const p = start(JOB, stateDir, ['--checkpoint-chain', '0', '--checkpoint-interval', '50ms'], {
      LS_INPUT: input,
      LS_PAUSE_EVERY: '2000',
      LS_PAUSE_MS: '30',
    })
    const url = await p.url
    await waitForFinished(url)
    const all = completeCheckpoints(stateDir, TOTALS_JOB)
    expect(all.length).toBeGreaterThan(1)
    for (const c of all) for (const h of handles(c)) expect(h.base).toBeUndefined()
    expect(await settledDiff(url, oracle)).toEqual([])
  }, 60_000)
})
