// Damaged files after a SIGKILL. A damaged newest checkpoint (a flipped byte in a state file, a
// truncated manifest, a missing state file) is skipped with a warning naming it, the previous one is
// restored and the result is exact; when every checkpoint is damaged `run` refuses to start with one
// line and a non-zero exit. With HTTP ingest, the log must still hold the events after the restored
// (older) checkpoint. A garbled working LevelDB (tm-1) is rebuilt from the checkpoint.
import {
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  completeCheckpoints,
  sourceCount,
  traceOf,
  type ManifestSummary,
  waitUntil,
} from '../support/checkpoint-inspect.ts'
import { killHard, type LivestateProcess, ROOT, runJobProcess, stopQuietly } from '../support/livestate-process.ts'
import { seededRandom } from '../support/seeded-random.ts'
import { IngestFeeder } from '../support/ingest-feeder.ts'
import { type TotalsOracle, totalsEvents, totalsOracle, writeTotalsNdjson } from '../support/totals-input.ts'
import { dumpTotals, getJob, settledDiff, TOTALS_JOB, totalProcessed } from '../support/totals-state.ts'

/** The trace file the tests of this file keep beside the state dir. */
const traceFile = (stateDir: string) => join(stateDir, '..', 'trace.ndjson')
const JOB = join(ROOT, 'test/fixtures/checkpoint/totals-job.ts')
const N = 60_000
// 10 ms every 200 records: the input lasts ~3 s, so several checkpoints complete mid-run.
const SLOW = { LS_PAUSE_EVERY: '200', LS_PAUSE_MS: '10' }
let root: string
let input: string
let oracle: TotalsOracle
/** A state dir left by a SIGKILL, with at least two complete checkpoints at different positions. */
let killedState: string
const procs: LivestateProcess[] = []

function start(stateDir: string, args: string[] = [], env: Record<string, string> = {}): LivestateProcess {
  const p = runJobProcess(JOB, stateDir, args, {
    LS_INPUT: input,
    LS_TRACE: join(stateDir, '..', 'trace.ndjson'),
    ...env,
  })
  procs.push(p)
  return p
}

/** A copy of the killed run's state dir to damage. */
function copyOfKilled(name: string): string {
  const stateDir = join(mkdtempSync(join(root, `${name}-`)), 'state')
  cpSync(killedState, stateDir, { recursive: true })
  return stateDir
}

function stateFiles(c: ManifestSummary): string[] {
  return Object.values(c.manifest.operators).flatMap((op) =>
    op.subtasks.flatMap((s) => Object.values(s.states).map((h) => join(c.dir, h.file))),
  )
}

async function runToEnd(stateDir: string): Promise<{ p: LivestateProcess; url: string }> {
  const p = start(stateDir)
  const url = await p.url
  await waitUntil(
    'the job to finish',
    async () => (await getJob(url).catch(() => undefined))?.status === 'FINISHED',
    60_000,
    50,
  )
  return { p, url }
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'livestate-corrupt-'))
  input = join(root, 'events.ndjson')
  oracle = writeTotalsNdjson(input, N, 51)
  killedState = join(root, 'killed', 'state')
  const p = start(killedState, [], SLOW)
  await p.url
  await waitUntil(
    'two complete checkpoints at different positions',
    () => {
      const c = completeCheckpoints(killedState, TOTALS_JOB)
      return c.length >= 2 && sourceCount(c[0]!) !== sourceCount(c[1]!) && sourceCount(c[0]!) < N
    },
    60_000,
  )
  expect((await killHard(p)).signal).toBe('SIGKILL')
}, 90_000)

afterAll(async () => {
  for (const p of procs) await stopQuietly(p)
  rmSync(root, { recursive: true, force: true })
})

describe('a damaged newest checkpoint is skipped for the previous one', () => {
  const cases: [string, (c: ManifestSummary) => void, RegExp][] = [
    [
      'a flipped byte in a state file',
      (c) => {
        const file = stateFiles(c).find((f) => statSync(f).size > 100)!
        const bytes = readFileSync(file)
        const at = Math.floor(seededRandom(7)() * bytes.length)
        bytes[at] = bytes[at]! ^ 0x20
        writeFileSync(file, bytes)
      },
      /does not match its checksum/,
    ],
    [
      'a truncated manifest',
      (c) => truncateSync(join(c.dir, '_manifest.json'), Math.floor(statSync(join(c.dir, '_manifest.json')).size / 2)),
      /manifest is not valid JSON/,
    ],
    ['a missing state file', (c) => unlinkSync(stateFiles(c)[0]!), /is missing/],
  ]
  for (const [what, damage, reason] of cases) {
    it(`${what}: warns naming the checkpoint, restores the previous one, ends exact`, async () => {
      const stateDir = copyOfKilled(what.replace(/\W+/g, '-'))
      const [newest, previous] = completeCheckpoints(stateDir, TOTALS_JOB)
      damage(newest!)
      const { p, url } = await runToEnd(stateDir)
      const warning = p
        .stderr()
        .split('\n')
        .find((l) => l.includes(`checkpoint ${newest!.id} is damaged`))
      expect(warning, p.stderr()).toMatch(reason)
      expect(traceOf(traceFile(stateDir), p.child.pid), 'restored the previous checkpoint').toEqual([
        sourceCount(previous!),
      ])
      expect(await settledDiff(url, oracle)).toEqual([])
    })
  }

  it('every checkpoint damaged: run refuses to start with a one-line error and a non-zero exit', async () => {
    const stateDir = copyOfKilled('all-damaged')
    const all = completeCheckpoints(stateDir, TOTALS_JOB)
    for (const c of all) truncateSync(join(c.dir, '_manifest.json'), 10)
    const p = start(stateDir)
    const exit = await p.exited
    expect(exit.code, p.stderr()).not.toBe(0)
    expect(exit.signal).toBeNull()
    const lines = p.stderr().trimEnd().split('\n')
    const error = lines.filter((l) => !/checkpoint \d+ is damaged/.test(l))
    expect(error, 'exactly one line besides the per-checkpoint warnings').toHaveLength(1)
    expect(error[0]).toMatch(/^livestate: cannot resume job 'totals': none of its \d+ checkpoints .* is valid/)
    expect(p.stderr()).not.toMatch(/^\s+at /m)
    expect(p.stderr()).not.toContain('serving on')
  })
})

describe('a damaged newest checkpoint of a job reading HTTP ingest', () => {
  it('the previous checkpoint is restored and the ingest log still holds every event after it: exact', {
    timeout: 120_000,
  }, async () => {
    const events = totalsEvents(12_000, 53)
    const feeder = new IngestFeeder(events, 200)
    const stateDir = join(mkdtempSync(join(root, 'http-')), 'state')
    const env = { LS_SOURCE: 'http' }
    const first = start(stateDir, [], env)
    const url = await first.url
    // Slow batches: consecutive checkpoints cover different positions of the log.
    expect(await feeder.run(url, { pauseMs: 20 })).toBe('done')
    await waitUntil('two complete checkpoints at different positions', () => {
      const c = completeCheckpoints(stateDir, TOTALS_JOB)
      return c.length >= 2 && sourceCount(c[0]!) !== sourceCount(c[1]!)
    })
    expect((await killHard(first)).signal).toBe('SIGKILL')
    const [newest, previous] = completeCheckpoints(stateDir, TOTALS_JOB)
    expect(sourceCount(previous!)).toBeLessThan(sourceCount(newest!))
    truncateSync(join(newest!.dir, '_manifest.json'), 10)

    const second = start(stateDir, [], env)
    const url2 = await second.url
    expect(second.stderr()).toContain(`checkpoint ${newest!.id} is damaged`)
    // Nothing is sent again: every event was acknowledged, so it must come back from the log.
    await waitUntil(
      'every acknowledged event processed',
      async () => (await totalProcessed(url2)) === events.length,
      30_000, // replaying the log after a restart is slow when the whole suite shares 2 cores
      50,
    ).catch(() => {})
    expect(traceOf(traceFile(stateDir), second.child.pid)).toEqual([sourceCount(previous!)])
    await waitUntil('every state readable', () => dumpTotals(url2).catch(() => undefined), 10_000, 50)
    // 'total' runs beside the per-key operators, not after them: they may still be catching up.
    expect(await settledDiff(url2, totalsOracle(events))).toEqual([])
  })
})

describe('a garbled working LevelDB after a kill', () => {
  it('is not trusted: the state is rebuilt from the checkpoint and ends exact', async () => {
    const stateDir = copyOfKilled('garbled-db')
    const db = join(stateDir, TOTALS_JOB, 'tm-1')
    const random = seededRandom(9)
    const garbled = readdirSync(db).filter((f) => f !== 'LOCK')
    expect(garbled.length).toBeGreaterThan(0)
    for (const f of garbled) {
      const size = Math.max(64, statSync(join(db, f)).size)
      writeFileSync(join(db, f), Buffer.from(Array.from({ length: size }, () => Math.floor(random() * 256))))
    }
    const newest = completeCheckpoints(stateDir, TOTALS_JOB)[0]!
    const { p, url } = await runToEnd(stateDir)
    expect(traceOf(traceFile(stateDir), p.child.pid)).toEqual([sourceCount(newest)])
    expect(await settledDiff(url, oracle)).toEqual([])
  })
})
