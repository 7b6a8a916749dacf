// Recovery inside one process and graceful stops. A user function that throws once at a random record
// makes the job restart from its latest checkpoint through the restart strategy (same process, same
// working LevelDB) and the result is exact. SIGTERM stops with a final checkpoint, exits 0 within
// 10 s, and the next `run` resumes from that checkpoint instead of reprocessing from scratch.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { completeCheckpoints, sourceCount, traceOf, waitUntil } from '../support/checkpoint-inspect.ts'
import { IngestFeeder } from '../support/ingest-feeder.ts'
import { type LivestateProcess, ROOT, runJobProcess, stopQuietly } from '../support/livestate-process.ts'
import { randomInt, seededRandom } from '../support/seeded-random.ts'
import { totalsEvents, totalsOracle, writeTotalsNdjson } from '../support/totals-input.ts'
import {
  diffTotals,
  dumpTotals,
  getJob,
  settledDiff,
  totalProcessed,
  TOTALS_JOB,
  waitForFinished,
} from '../support/totals-state.ts'

/** The trace file the tests of this file keep beside the state dir. */
const traceFile = (stateDir: string) => join(stateDir, '..', 'trace.ndjson')
const JOB = join(ROOT, 'test/fixtures/checkpoint/totals-job.ts')
const SLOW = { LS_PAUSE_EVERY: '200', LS_PAUSE_MS: '10' }
const dirs: string[] = []
const procs: LivestateProcess[] = []

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'livestate-failover-'))
  dirs.push(d)
  return d
}

function start(stateDir: string, args: string[], env: Record<string, string>): LivestateProcess {
  const p = runJobProcess(JOB, stateDir, args, { LS_TRACE: join(stateDir, '..', 'trace.ndjson'), ...env })
  procs.push(p)
  return p
}

afterEach(async () => {
  for (const p of procs.splice(0)) await stopQuietly(p)
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('a user function that throws once at a random record', () => {
  it('HTTP source, LevelDB state: the job restarts in-process from its latest checkpoint and every key is exact', async () => {
    const N = 30_000
    const events = totalsEvents(N, 61)
    const failSeq = randomInt(seededRandom(Date.now()), N / 2, N - 1)
    const dir = tempDir()
    const stateDir = join(dir, 'state')
    const marker = join(dir, 'failed-once')
    const feeder = new IngestFeeder(events, 500)
    const p = start(stateDir, [], { LS_SOURCE: 'http', LS_FAIL_SEQ: String(failSeq), LS_FAIL_MARKER: marker })
    const url = await p.url
    // First half, then a checkpoint covering it, then the half with the failing record.
    expect(await feeder.run(url, { until: feeder.batches.length / 2 })).toBe('done')
    await waitUntil('a checkpoint covering the first half', () =>
      completeCheckpoints(stateDir, TOTALS_JOB).some((c) => sourceCount(c) === N / 2),
    )
    expect(await feeder.run(url)).toBe('done')
    await waitUntil('every event processed', async () => (await totalProcessed(url)) === N, 60_000, 50)
    expect(existsSync(marker), `the injected failure at seq ${failSeq} happened`).toBe(true)
    expect(readFileSync(marker, 'utf8')).toBe(String(p.child.pid))
    expect(p.child.exitCode, 'the same process recovered').toBeNull()
    const trace = traceOf(traceFile(stateDir), p.child.pid)
    expect(trace, 'two attempts: the first from scratch, the restart from a checkpoint').toHaveLength(2)
    expect(trace[0]).toBe(0)
    expect(trace[1]).toBeGreaterThanOrEqual(N / 2)
    expect(trace[1]).toBeLessThanOrEqual(failSeq)
    expect((await getJob(url)).status).toBe('RUNNING')
    expect(await settledDiff(url, totalsOracle(events))).toEqual([])
  })

  it('NDJSON source, LevelDB state, failure at any moment (before or after checkpoints): exact', async () => {
    const N = 40_000
    const dir = tempDir()
    const input = join(dir, 'events.ndjson')
    const oracle = writeTotalsNdjson(input, N, 67)
    const failSeq = randomInt(seededRandom(Date.now()), 1, N - 1)
    const stateDir = join(dir, 'state')
    const marker = join(dir, 'failed-once')
    const p = start(stateDir, [], { LS_INPUT: input, LS_FAIL_SEQ: String(failSeq), LS_FAIL_MARKER: marker, ...SLOW })
    const url = await p.url
    await waitForFinished(url)
    expect(existsSync(marker), `the injected failure at seq ${failSeq} happened`).toBe(true)
    const trace = traceOf(traceFile(stateDir), p.child.pid)
    expect(trace).toHaveLength(2)
    expect(trace[1]).toBeLessThanOrEqual(failSeq)
    expect(await settledDiff(url, oracle)).toEqual([])
  })
})

describe('graceful stop', () => {
  it('SIGTERM mid-input: exit 0 within 10 s after a final checkpoint; the next run resumes from it and ends exact', async () => {
    const N = 40_000
    const dir = tempDir()
    const input = join(dir, 'events.ndjson')
    const oracle = writeTotalsNdjson(input, N, 71)
    const stateDir = join(dir, 'state')
    // 10 ms every 40 records: the first run could not finish the input in under 10 s.
    const first = start(stateDir, [], { LS_INPUT: input, LS_PAUSE_EVERY: '40', LS_PAUSE_MS: '10' })
    await first.url
    await waitUntil('a completed checkpoint', () => completeCheckpoints(stateDir, TOTALS_JOB).length > 0)
    const periodic = completeCheckpoints(stateDir, TOTALS_JOB)[0]!.id
    const sent = Date.now()
    first.child.kill('SIGTERM')
    const exit = await first.exited
    expect(Date.now() - sent).toBeLessThan(10_000)
    expect(exit).toEqual({ code: 0, signal: null })
    expect(first.stderr()).toContain("SIGTERM: stopping job 'totals' with a final checkpoint")
    expect(first.stderr(), 'a stopped job does not offer to serve on').not.toContain('serving the final state')
    const final = completeCheckpoints(stateDir, TOTALS_JOB)[0]!
    expect(final.id, 'a final checkpoint was taken at the stop').toBeGreaterThan(periodic)
    const stoppedAt = sourceCount(final)
    expect(stoppedAt).toBeGreaterThan(0)
    expect(stoppedAt, 'stopped mid-input').toBeLessThan(N)

    const second = start(stateDir, [], { LS_INPUT: input })
    const url = await second.url
    await waitForFinished(url)
    expect(traceOf(traceFile(stateDir), second.child.pid), 'resumed from the final checkpoint').toEqual([stoppedAt])
    expect(await settledDiff(url, oracle)).toEqual([])
  })

  it('SIGTERM after HTTP ingest: the next run serves the exact state at once and reprocesses nothing', async () => {
    const N = 10_000
    const events = totalsEvents(N, 73)
    const dir = tempDir()
    const stateDir = join(dir, 'state')
    const feeder = new IngestFeeder(events, 1000)
    const first = start(stateDir, [], { LS_SOURCE: 'http' })
    let url = await first.url
    expect(await feeder.run(url)).toBe('done')
    await waitUntil('every event processed', async () => (await totalProcessed(url)) === N, 30_000, 20)
    const sent = Date.now()
    first.child.kill('SIGTERM')
    expect(await first.exited).toEqual({ code: 0, signal: null })
    expect(Date.now() - sent).toBeLessThan(10_000)
    expect(sourceCount(completeCheckpoints(stateDir, TOTALS_JOB)[0]!)).toBe(N)

    const second = start(stateDir, [], { LS_SOURCE: 'http' })
    url = await second.url
    const restored = await waitUntil('every state readable', () => dumpTotals(url).catch(() => undefined), 10_000, 20)
    expect(diffTotals(restored, totalsOracle(events)), 'the exact state, before any new input').toEqual([])
    expect(traceOf(traceFile(stateDir), second.child.pid), 'no event processed again').toEqual([])
    const more = totalsEvents(N + 100, 73).slice(N)
    const extra = new IngestFeeder(more, 100, 'extra')
    expect(await extra.run(url)).toBe('done')
    expect(extra.acked.get(0)!.position, 'ingest positions continue after the restart').toBe(String(N + 100))
    await waitUntil('the new events processed', async () => (await totalProcessed(url)) === N + 100, 10_000, 20)
    expect(traceOf(traceFile(stateDir), second.child.pid)).toEqual([N])
    expect(await settledDiff(url, totalsOracle([...events, ...more]))).toEqual([])
  })
})
