// Exactly-once state across a SIGKILL of `livestate run`: the process is killed at a random moment
// after at least one completed checkpoint, restarted on the same --state-dir, and every key's count,
// sum and last seq must equal an oracle computed from the same seeded input. Each test also proves its
// fault happened (the child died of SIGKILL) and that the restart restored a checkpoint (the 'total'
// counter's first update after the restart starts from exactly that checkpoint's source position).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { completeCheckpoints, sourceCount, traceOf, waitUntil } from '../support/checkpoint-inspect.ts'
import { killHard, type LivestateProcess, ROOT, runJobProcess, stopQuietly } from '../support/livestate-process.ts'
import { randomInt, seededRandom } from '../support/seeded-random.ts'
import { totalsEvents, totalsOracle, writeTotalsNdjson } from '../support/totals-input.ts'
import {
  getJob,
  getKey,
  postBatch,
  settledDiff,
  totalProcessed,
  TOTALS_JOB,
  waitForFinished,
} from '../support/totals-state.ts'

const JOB = join(ROOT, 'test/fixtures/checkpoint/totals-job.ts')
const dirs: string[] = []
const procs: LivestateProcess[] = []

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'livestate-kill-'))
  dirs.push(d)
  return d
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

describe('SIGKILL at a random moment after a completed checkpoint', () => {
  it('NDJSON job of 1M events: the restarted job resumes from the newest checkpoint and every key is exact', async () => {
    const N = 1_000_000
    const dir = tempDir()
    const input = join(dir, 'events.ndjson')
    const trace = join(dir, 'trace.ndjson')
    const oracle = writeTotalsNdjson(input, N, 11)
    const env = { LS_INPUT: input, LS_TRACE: trace }
    const stateDir = join(dir, 'state')

    // The first run waits 40 ms every 10k records (≥ 4 s in all) so that the kill, at most 600 ms after
    // the first completed checkpoint, always lands mid-input however fast the machine is.
    const first = start(JOB, stateDir, [], { ...env, LS_PAUSE_EVERY: '10000', LS_PAUSE_MS: '40' })
    await first.url
    await waitUntil('a completed checkpoint', () => completeCheckpoints(stateDir, TOTALS_JOB).length > 0, 30_000)
    await new Promise((r) => setTimeout(r, randomInt(seededRandom(Date.now()), 0, 600)))
    expect(first.stderr(), 'killed while the job still ran').not.toContain('FINISHED')
    const exit = await killHard(first)
    expect(exit.signal).toBe('SIGKILL')

    const resumeFrom = completeCheckpoints(stateDir, TOTALS_JOB)[0]!
    const consumed = sourceCount(resumeFrom)
    expect(consumed, 'the checkpoint covers part of the input, not all of it').toBeGreaterThan(0)
    expect(consumed).toBeLessThan(N)

    const second = start(JOB, stateDir, [], env)
    const url = await second.url
    const { checkpoints } = await getJob(url)
    expect(checkpoints.latestId, 'the job reports the restored checkpoint (or a newer one)').toBeGreaterThanOrEqual(
      resumeFrom.id,
    )
    await waitForFinished(url)
    expect(traceOf(trace, second.child.pid), 'the restart began from the checkpoint state, not from scratch').toEqual([
      consumed,
    ])
    expect(await settledDiff(url, oracle)).toEqual([])
  }, 120_000)

  it('HTTP ingest with Idempotency-Key batches: events acknowledged before the kill and retried after it count exactly once', async () => {
    const N = 30_000
    const BATCH = 300
    const events = totalsEvents(N, 23)
    const batches = Array.from({ length: N / BATCH }, (_, i) => events.slice(i * BATCH, (i + 1) * BATCH))
    const dir = tempDir()
    const trace = join(dir, 'trace.ndjson')
    const env = { LS_SOURCE: 'http', LS_TRACE: trace }
    const stateDir = join(dir, 'state')

    const first = start(JOB, stateDir, ['--parallelism', '3'], env)
    let url = await first.url
    const acked = new Set<number>()
    const answers = new Map<number, unknown>()
    let connectionErrors = 0
    const client = (async () => {
      for (let i = 0; i < batches.length; i++) {
        try {
          const r = await postBatch(url, batches[i]!, `batch-${i}`)
          expect(r.status).toBe(202)
          acked.add(i)
          answers.set(i, r.body)
        } catch {
          connectionErrors++
          return
        }
      }
    })()
    await waitUntil('a completed checkpoint', () => completeCheckpoints(stateDir, TOTALS_JOB).length > 0, 30_000)
    await new Promise((r) => setTimeout(r, randomInt(seededRandom(Date.now()), 0, 400)))
    const exit = await killHard(first)
    await client
    expect(exit.signal).toBe('SIGKILL')
    expect(acked.size, 'the kill happened while batches were still being sent').toBeLessThan(batches.length)
    expect(connectionErrors).toBe(1)

    const resumeFrom = completeCheckpoints(stateDir, TOTALS_JOB)[0]!
    const consumed = sourceCount(resumeFrom)
    expect(consumed).toBeGreaterThan(0)

    const second = start(JOB, stateDir, ['--parallelism', '3'], env)
    url = await second.url
    // A retry of an acknowledged batch is appended once and answers the first answer.
    const lastAcked = Math.max(...acked)
    const again = await postBatch(url, batches[lastAcked]!, `batch-${lastAcked}`)
    expect(again.status).toBe(202)
    expect(again.body).toEqual(answers.get(lastAcked))
    for (let i = 0; i < batches.length; i++) {
      if (acked.has(i)) continue
      const r = await postBatch(url, batches[i]!, `batch-${i}`)
      expect(r.status).toBe(202)
      acked.add(i)
    }
    await waitUntil('every event processed', async () => (await totalProcessed(url)) === N, 30_000, 50)
    expect(traceOf(trace, second.child.pid)).toEqual([consumed])
    expect(await settledDiff(url, totalsOracle(events))).toEqual([])
  })

  it('a crash with many uncommitted updates, including keys first seen after the last checkpoint, loses and duplicates nothing', async () => {
    const A = 8_000
    const B = 12_000
    const events = totalsEvents(A + B, 31)
    const dir = tempDir()
    const trace = join(dir, 'trace.ndjson')
    const env = { LS_SOURCE: 'http', LS_TRACE: trace }
    const stateDir = join(dir, 'state')
    // Checkpoints every 6 s: the updates of B happen between two of them.
    const first = start(JOB, stateDir, ['--checkpoint-interval', '6s', '--state-backend', 'heap'], env)
    let url = await first.url
    for (let i = 0; i < A; i += 1000)
      expect((await postBatch(url, events.slice(i, i + 1000), `a-${i}`)).status).toBe(202)
    const committed = await waitUntil(
      'a checkpoint covering the first part',
      () => completeCheckpoints(stateDir, TOTALS_JOB).find((c) => sourceCount(c) === A),
      15_000,
      10,
    )
    for (let i = A; i < A + B; i += 1000)
      expect((await postBatch(url, events.slice(i, i + 1000), `b-${i}`)).status).toBe(202)
    await waitUntil('the second part processed (live)', async () => (await totalProcessed(url)) === A + B, 15_000, 10)
    const keysOfA = new Set(events.slice(0, A).map((e) => e.k))
    const newKeys = [...new Set(events.slice(A).map((e) => e.k))].filter((k) => !keysOfA.has(k))
    expect(newKeys.length).toBeGreaterThan(300)
    const live = await getKey(url, 'count', newKeys[newKeys.length - 1]!)
    expect(live.status, 'a key first seen after the checkpoint is in the live state').toBe(200)
    const exit = await killHard(first)
    expect(exit.signal).toBe('SIGKILL')
    expect(
      completeCheckpoints(stateDir, TOTALS_JOB)[0]!.id,
      'no checkpoint covered the second part before the kill',
    ).toBe(committed.id)

    const second = start(JOB, stateDir, ['--checkpoint-interval', '6s', '--state-backend', 'heap'], env)
    url = await second.url
    await waitUntil('the replayed second part processed', async () => (await totalProcessed(url)) === A + B, 15_000, 20)
    expect(traceOf(trace, second.child.pid)).toEqual([A])
    expect(await settledDiff(url, totalsOracle(events))).toEqual([])
  })
})
