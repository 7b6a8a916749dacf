// Every crash point of the checkpoint protocol (LIVESTATE_CRASH_AT): the process must die of SIGKILL
// right there, saying so on stderr, and a restart without the variable must end with every key exact.
// Crashes while writing a checkpoint resume from the previous complete one; after the manifest rename
// from the new one; crashes while restoring (or rescaling) leave the checkpoints usable. Input comes
// through HTTP ingest while checkpoints run, so each step is reached with records in flight.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkpointsDir, completeCheckpoints, sourceCount, traceOf, waitUntil } from '../support/checkpoint-inspect.ts'
import { IngestFeeder } from '../support/ingest-feeder.ts'
import { killHard, type LivestateProcess, ROOT, runJobProcess, stopQuietly } from '../support/livestate-process.ts'
import { type TotalsEvent, totalsEvents, totalsOracle } from '../support/totals-input.ts'
import { ownershipViolations, scanState, settledDiff, TOTALS_JOB, totalProcessed } from '../support/totals-state.ts'

/** The trace file the tests of this file keep beside the state dir. */
const traceFile = (stateDir: string) => join(stateDir, '..', 'trace.ndjson')
const JOB = join(ROOT, 'test/fixtures/checkpoint/totals-job.ts')
const N = 20_000
const BATCH = 400
let root: string
const procs: LivestateProcess[] = []

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'livestate-crash-'))
})

afterAll(async () => {
  for (const p of procs) await stopQuietly(p)
  rmSync(root, { recursive: true, force: true })
})

function start(stateDir: string, args: string[], extraEnv: Record<string, string> = {}) {
  const trace = join(stateDir, '..', 'trace.ndjson')
  const p = runJobProcess(JOB, stateDir, args, { LS_SOURCE: 'http', LS_TRACE: trace, ...extraEnv })
  procs.push(p)
  return p
}

async function expectCrashAt(p: LivestateProcess, step: string): Promise<void> {
  const exit = await p.exited
  expect(exit.signal, `died of SIGKILL at '${step}'; stderr:\n${p.stderr()}`).toBe('SIGKILL')
  expect(p.stderr()).toContain(`livestate: crash point '${step}' reached (LIVESTATE_CRASH_AT), killing the process`)
}

/**
 * Restarts without the crash variable, sends every batch not acknowledged yet, waits until all are
 * processed and compares every key with the oracle over the acknowledged events (all of them by then).
 */
async function restartAndCheck(
  stateDir: string,
  feeder: IngestFeeder<TotalsEvent>,
  args: string[] = [],
): Promise<{ url: string; resumedFrom: number | undefined }> {
  const newest = completeCheckpoints(stateDir, TOTALS_JOB)[0]
  const p = start(stateDir, args)
  const url = await p.url
  expect(await feeder.run(url)).toBe('done')
  await waitUntil('every acknowledged event processed', async () => (await totalProcessed(url)) === N, 30_000, 50)
  expect(await settledDiff(url, totalsOracle(feeder.ackedEvents))).toEqual([])
  // The first update of 'total' after the restart starts from the restored checkpoint's position.
  expect(traceOf(traceFile(stateDir), p.child.pid)).toEqual([newest === undefined ? 0 : sourceCount(newest)])
  return { url, resumedFrom: newest?.id }
}

function fresh(name: string): string {
  return join(mkdtempSync(join(root, `${name}-`)), 'state')
}

function feederFor(seed: number): IngestFeeder<TotalsEvent> {
  return new IngestFeeder(totalsEvents(N, seed), BATCH)
}

/** Runs the job with the crash variable while feeding 2/3 of the input; expects the crash. */
async function crashWhileFeeding(stateDir: string, feeder: IngestFeeder<TotalsEvent>, spec: string): Promise<void> {
  const p = start(stateDir, [], { LIVESTATE_CRASH_AT: spec })
  const url = await p.url
  const feeding = feeder.run(url, { pauseMs: 5, until: Math.floor((feeder.batches.length * 2) / 3) })
  await expectCrashAt(p, spec.split(':')[0]!)
  await feeding
}

/** A normal first run, SIGKILLed while it is fed (up to 2/3 of the input) after a checkpoint covering some of it. */
async function runAndKill(stateDir: string, feeder: IngestFeeder<TotalsEvent>, args: string[]): Promise<void> {
  const p = start(stateDir, args)
  const url = await p.url
  const feeding = feeder.run(url, { pauseMs: 10, until: Math.floor((feeder.batches.length * 2) / 3) })
  await waitUntil('a checkpoint covering input', () =>
    completeCheckpoints(stateDir, TOTALS_JOB).some((c) => sourceCount(c) > 0),
  )
  expect((await killHard(p)).signal).toBe('SIGKILL')
  await feeding
}

describe('crash points of the checkpoint protocol', () => {
  it("mid-data-write: killed while writing a checkpoint's state files, the restart uses the previous complete checkpoint", async () => {
    const stateDir = fresh('mid-data-write')
    // ~10 state files per checkpoint: the 15th write is during the second checkpoint.
    const feeder = feederFor(1)
    await crashWhileFeeding(stateDir, feeder, 'mid-data-write:15')
    const complete = completeCheckpoints(stateDir, TOTALS_JOB)
    expect(complete.length).toBeGreaterThan(0)
    const dirs = readdirSync(checkpointsDir(stateDir, TOTALS_JOB))
    expect(dirs.length, 'the checkpoint being written stayed incomplete').toBeGreaterThan(complete.length)
    const { resumedFrom } = await restartAndCheck(stateDir, feeder)
    expect(resumedFrom).toBe(complete[0]!.id)
  })

  it('before-manifest-rename: a checkpoint whose manifest was never renamed into place is ignored', async () => {
    const stateDir = fresh('before-rename')
    const feeder = feederFor(2)
    await crashWhileFeeding(stateDir, feeder, 'before-manifest-rename:2')
    const complete = completeCheckpoints(stateDir, TOTALS_JOB)
    expect(complete).toHaveLength(1)
    const crashed = readdirSync(checkpointsDir(stateDir, TOTALS_JOB))
      .map((d) => join(checkpointsDir(stateDir, TOTALS_JOB), d))
      .filter((d) => existsSync(join(d, '_manifest.json.tmp')))
    expect(crashed, 'one checkpoint got its manifest written to the temp file only').toHaveLength(1)
    expect(existsSync(join(crashed[0]!, '_manifest.json'))).toBe(false)
    const { resumedFrom } = await restartAndCheck(stateDir, feeder)
    expect(resumedFrom).toBe(complete[0]!.id)
  })

  it('after-manifest-rename: the renamed checkpoint is complete and the restart resumes from it', async () => {
    const stateDir = fresh('after-rename')
    const feeder = feederFor(3)
    await crashWhileFeeding(stateDir, feeder, 'after-manifest-rename:2')
    const complete = completeCheckpoints(stateDir, TOTALS_JOB)
    expect(complete, 'the second checkpoint is complete although the process died right after its rename').toHaveLength(
      2,
    )
    const { resumedFrom } = await restartAndCheck(stateDir, feeder)
    expect(resumedFrom).toBe(complete[0]!.id)
  })

  it('mid-restore: killed while restoring, the checkpoint is still intact for the next start', async () => {
    const stateDir = fresh('mid-restore')
    const feeder = feederFor(4)
    await runAndKill(stateDir, feeder, [])
    const before = completeCheckpoints(stateDir, TOTALS_JOB).map((c) => c.id)
    const restoring = start(stateDir, [], { LIVESTATE_CRASH_AT: 'mid-restore' })
    await expectCrashAt(restoring, 'mid-restore')
    expect(completeCheckpoints(stateDir, TOTALS_JOB).map((c) => c.id)).toEqual(before)
    const { resumedFrom } = await restartAndCheck(stateDir, feeder)
    expect(resumedFrom).toBe(before[0])
  })

  it('mid-rescale: killed while restoring 2 subtasks into 3, the next start at parallelism 3 is exact and each key lives on its owner', async () => {
    const stateDir = fresh('mid-rescale')
    const feeder = feederFor(5)
    await runAndKill(stateDir, feeder, ['--parallelism', '2'])
    const rescaling = start(stateDir, ['--parallelism', '3'], { LIVESTATE_CRASH_AT: 'mid-rescale' })
    await expectCrashAt(rescaling, 'mid-rescale')
    const { url } = await restartAndCheck(stateDir, feeder, ['--parallelism', '3'])
    // Point reads of a tenth of the keys (every key is compared by the scan above): each answered by
    // the subtask that owns its key group at parallelism 3.
    const keys = [...(await scanState(url, 'count')).keys()].filter((_, i) => i % 10 === 0)
    expect(await ownershipViolations(url, 'count', keys, 3)).toEqual([])
  })
})
